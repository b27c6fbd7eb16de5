"""Supervision and caseload: the load bars of the supervisor's Home and digest, the supervision modal
(`/case supervision @person`), its follow-up nudge and the intake's load warning.

The modal shows case codes only; what is typed in it (issues, guidance, follow-ups) is never echoed
into a message: the nudge names the session's date, the supervisor and the due date.
"""

from __future__ import annotations

import math
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import FollowUpRef, Snooze, WorkerRef
from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    date_input,
    header,
    modal,
    multi_select,
    section,
    text_input,
)
from models.services.desk import TeamCaseload, WorkerLoad
from models.services.supervision import FollowUpItem, FollowUpNudge, LoadWarning, SessionForm

BARS = "▁▂▃▄▅▆▇█"
FOLLOW_UPS = 3  # rows of follow-ups on the form
MAX_CASE_OPTIONS = 100  # Slack's limit for a multi-select's options


def follow_up_blocks(number: int) -> tuple[str, str]:
    return f"follow_up_{number}_text", f"follow_up_{number}_due"


SUPERVISION_BLOCKS = [
    "held_on",
    "case_codes",
    "issues",
    "guidance",
    *(block for n in range(1, FOLLOW_UPS + 1) for block in follow_up_blocks(n)),
]


# ------------------------------------------------------------------ load bars


def bars(values: list[float], top: float) -> str:
    """One character per week, ▁ (a little) to █ (at or over `top`); · for an empty week."""
    out = []
    for value in values:
        if value <= 0 or top <= 0:
            out.append("·")
            continue
        level = min(len(BARS), max(1, math.ceil(value / top * len(BARS))))
        out.append(BARS[level - 1])
    return "".join(out)


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def worker_line(w: WorkerLoad, locale: str) -> str:
    """A worker's load on the supervisor's Home: weighted against the threshold, crisis, overdue, trend."""
    return t(
        "home.team.line",
        locale,
        name=w.name,
        flag=t("supervision.load.over_flag", locale) if w.over else "",
        weighted=_number(w.weighted),
        threshold=_number(w.threshold),
        open=w.open_cases,
        crisis=w.crisis,
        overdue=w.overdue,
        aftercare=w.aftercare,
        bars=bars(w.trend, w.threshold),
        first=_number(w.trend[0]) if w.trend else "0",
        last=_number(w.trend[-1]) if w.trend else "0",
    )


# ------------------------------------------------------------------ the modal


def supervision_modal(form: SessionForm, locale: str, *, today: date) -> dict:
    def label(key: str, **values: object) -> str:
        return t("supervision.modal." + key, locale, **values)

    last = form.last_on.isoformat() if form.last_on else label("never")
    blocks: list[Block] = [
        header(form.worker_name),
        context(
            label(
                "load",
                weighted=_number(form.weighted),
                threshold=_number(form.threshold),
                last=last,
            )
        ),
        date_input("held_on", label("held_on"), initial=today, hint=label("held_on_hint")),
    ]
    if form.codes:
        blocks.append(
            multi_select(
                "case_codes",
                label("cases"),
                [(code, code) for code in form.codes[:MAX_CASE_OPTIONS]],
                optional=True,
                hint=label("cases_hint"),
            )
        )
    else:
        blocks.append(context(label("no_cases")))
    blocks += [
        text_input("issues", label("issues"), multiline=True, max_length=3000, hint=label("narrative_hint")),
        text_input("guidance", label("guidance"), multiline=True, max_length=3000),
    ]
    for number in range(1, FOLLOW_UPS + 1):
        text_block, due_block = follow_up_blocks(number)
        blocks.append(
            text_input(text_block, label("follow_up", number=number), optional=True, max_length=500)
        )
        blocks.append(date_input(due_block, label("follow_up_due", number=number), optional=True))
    blocks.append(context(label("privacy")))
    return modal(
        View.SUPERVISION,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=WorkerRef(worker=form.worker_id).dump(),
    )


def follow_ups_modal(items: list[FollowUpItem], locale: str, *, today: date) -> dict:
    """The person's open follow-ups (and those they gave), each with its words and a done button: the
    only place the words are shown (a modal to the person, never a message)."""

    def label(key: str, **values: object) -> str:
        return t("supervision.follow_ups." + key, locale, **values)

    blocks: list[Block] = [context(label("privacy"))]
    if not items:
        blocks.append(section(label("none")))
    for item in items:
        days = (today - item.due_on).days
        line = label(
            "mine" if item.mine else "given",
            date=item.held_on.isoformat(),
            supervisor=item.supervisor,
            worker=item.worker,
            due=item.due_on.isoformat(),
            late=label("late", days=days) if days > 0 else "",
            text=item.text,
        )
        done = button(
            label("done"),
            Action.FOLLOW_UP_DONE,
            FollowUpRef(session_id=item.session_id, number=item.number).dump(),
        )
        blocks.append(section(line, accessory=done, block_id=f"follow_up.{item.session_id}.{item.number}"))
    blocks.append(context(label("record_hint")))
    return modal(View.FOLLOW_UPS, label("title"), blocks, close=label("close"))


def supervision_done_modal(locale: str, name: str, held_on: date, follow_ups: int) -> dict:
    text = t("supervision.done.text", locale, name=name, date=held_on.isoformat(), count=follow_ups)
    return modal(View.DONE, t("supervision.done.title", locale), [header(name), section(text)])


# ------------------------------------------------------------------ the nudge


def follow_up_nudge(
    item: FollowUpNudge, today: date, reminder_id: int, locale: str
) -> tuple[str, list[dict]]:
    """The worker's nudge: which session, from whom, due when (the task's own date), days late."""
    text = t(
        "supervision.nudge.text",
        locale,
        date=item.held_on.isoformat(),
        supervisor=item.supervisor,
        number=item.number,
        due=item.due_on.isoformat(),
    )
    late = (today - item.due_on).days
    if late > 0:
        text += t("reminders.overdue", locale, days=late)
    blocks = [
        section(text),
        context(t("supervision.nudge.where", locale)),
        actions(
            button(t("supervision.nudge.open", locale), Action.OPEN_FOLLOW_UPS, style="primary"),
            button(
                t("supervision.nudge.done", locale),
                Action.FOLLOW_UP_DONE,
                FollowUpRef(session_id=item.session_id, number=item.number).dump(),
            ),
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


# ------------------------------------------------------------------ the intake's warning


def load_warning_block(warning: LoadWarning, locale: str) -> Block:
    return section(
        t(
            "supervision.intake_warning",
            locale,
            weighted=_number(warning.weighted),
            threshold=_number(warning.threshold),
            more=_number(warning.with_one_more),
        )
    )


def unsupervised_text(load: TeamCaseload, locale: str) -> str:
    """Case managers without supervision for the configured weeks, the longest gap first."""
    names = ", ".join(
        t(
            "supervision.gap.name",
            locale,
            name=u.name,
            last=u.last_on.isoformat() if u.last_on else t("supervision.gap.never", locale),
        )
        for u in load.unsupervised
    )
    return t("supervision.gap.line", locale, weeks=load.gap_weeks, count=len(load.unsupervised), names=names)
