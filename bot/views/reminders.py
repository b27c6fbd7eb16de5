"""A nudge: case code, what is due, when, and buttons. Nothing else about the client (R1)."""

from __future__ import annotations

from datetime import date

from bot.i18n import t
from bot.ids import Action
from bot.metadata import CaseRef, ConsentOpen, Snooze, TaskPick
from bot.views.blocks import actions, button, section
from models.enums import ReminderKind, TaskStatus

# The dialogue each nudge's button opens (the same one its /case subcommand opens).
OPENS: dict[ReminderKind, Action] = {
    ReminderKind.NEXT_CONTACT: Action.OPEN_NOTE,
    ReminderKind.CONTACT_OVERDUE: Action.OPEN_NOTE,
    ReminderKind.ASSESSMENT_DUE: Action.OPEN_ASSESS,
    ReminderKind.CLASSIFICATION_DUE: Action.OPEN_CLASSIFY,
    ReminderKind.PLAN_DUE: Action.OPEN_PLAN,
    ReminderKind.PLAN_REVIEW: Action.OPEN_PLAN_REVIEW,
    ReminderKind.PLAN_REVISION: Action.OPEN_PLAN,
    ReminderKind.TASK_DUE: Action.OPEN_TASKS,
    ReminderKind.PLAN_END: Action.OPEN_PLAN,
    ReminderKind.REASSESSMENT_DUE: Action.OPEN_ASSESS,
    ReminderKind.REFERRAL_RESPONSE: Action.OPEN_SHOW,
    ReminderKind.CLOSURE_APPROVAL: Action.OPEN_SHOW,
    ReminderKind.AFTERCARE_CHECK: Action.OPEN_AFTERCARE,
    ReminderKind.CONSENT_EXPIRY: Action.OPEN_CONSENT,
    ReminderKind.ACTION_ITEM: Action.OPEN_SHOW,
    ReminderKind.HOLD_END: Action.OPEN_RESUME,
    ReminderKind.CRISIS_FIRST_RESPONSE: Action.OPEN_NOTE,
    ReminderKind.CRISIS_RESPONSE_OVERDUE: Action.OPEN_SHOW,
    ReminderKind.REFERRER_REPLY: Action.OPEN_REFERRER_REPLY,
    # School teams' academic calendar: select again (classify), a safety check or hand-over (a contact).
    ReminderKind.SCHOOL_SELECTION: Action.OPEN_CLASSIFY,
    ReminderKind.SAFETY_CHECK: Action.OPEN_NOTE,
    ReminderKind.GRADE_HANDOVER: Action.OPEN_NOTE,
    ReminderKind.AFTERCARE_HANDOVER: Action.OPEN_HANDOVER,
}


def _value(kind: ReminderKind, code: str) -> str:
    """The open button's value: the case; an expiry nudge opens the consent dialogue with "renew" ready."""
    if kind == ReminderKind.CONSENT_EXPIRY:
        return ConsentOpen(code=code, renew=True).dump()
    return CaseRef(code=code).dump()


def settled_nudge(kind: ReminderKind, code: str | None, locale: str) -> tuple[str, list[dict]]:
    """A sent nudge once its task is no longer due: says so, with no buttons left."""
    what = kind.label(locale)
    text = (
        t("reminders.settled", locale, code=code, what=what)
        if code
        else t("reminders.settled_no_case", locale, what=what)
    )
    return text, [section(text)]


def nudge(
    kind: ReminderKind,
    code: str,
    due_on: date,
    today: date,
    reminder_id: int,
    locale: str,
    *,
    task_id: int | None = None,
) -> tuple[str, list[dict]]:
    """`task_id`: a plan task's nudge (TASK_DUE) also offers to mark that task done."""
    what = kind.label(locale)
    text = t("reminders.text", locale, code=code, what=what, due=due_on.isoformat())
    late = (today - due_on).days
    if late > 0:
        text += t("reminders.overdue", locale, days=late)
    done = (
        [
            button(
                t("tasks.nudge.done", locale),
                Action.TASK_DONE,
                TaskPick(task_id=task_id, status=TaskStatus.DONE).dump(),
            )
        ]
        if task_id is not None
        else []
    )
    blocks = [
        section(text),
        actions(
            button(t("reminders.open", locale), OPENS[kind], _value(kind, code), style="primary"),
            *done,
            button(
                t("reminders.snooze_day", locale),
                f"{Action.SNOOZE_REMINDER}.1",
                Snooze(reminder_id=reminder_id, days=1).dump(),
            ),
            button(
                t("reminders.snooze_week", locale),
                f"{Action.SNOOZE_REMINDER}.7",
                Snooze(reminder_id=reminder_id, days=7).dump(),
            ),
        ),
    ]
    return text, blocks
