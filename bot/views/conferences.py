"""사례회의 views: the scheduling, agenda, record, reschedule and cancel modals, the list, and the
reminders. Messages (channel posts, DMs, the list) carry the type, time and case codes only; questions,
decisions and action-item texts appear only in modals, and only to people allowed to see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import ActionItemRef, AgendaRequestRef, ConferenceRecord, ConferenceRef, Snooze, channel_ref
from bot.views.blocks import (
    LIMITS,
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    date_input,
    divider,
    header,
    modal,
    number_input,
    plain,
    radio,
    section,
    select,
    text_input,
    time_input,
)
from models.enums import (
    AgendaRequestStatus,
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceType,
    ReminderKind,
    TaskStatus,
)
from models.services.conferences import AgendaDecision, AgendaItem, AgendaRequestNotice, ConferenceBrief

CASE_ROWS = 4  # agenda rows in the scheduling modal; more cases can be added from the agenda modal
ADD_ROWS = 2  # agenda rows in the agenda modal
ACTION_ROWS = 3  # action-item rows in the record modal
THIS_ONE, FOLLOWING = "this", "following"
DEFAULT_TIME = time(14, 0)


# ------------------------------------------------------------------ formatting


def when(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    local = moment.astimezone(zone)
    weekday = t("conferences.weekdays", locale).split(",")[local.weekday()]
    return t(
        "conferences.when", locale, date=local.date().isoformat(), weekday=weekday, time=f"{local:%H:%M}"
    )


def _type(conference: ConferenceBrief, locale: str) -> str:
    return conference.conference_type.label(locale)


def _input(
    block_id: str, label: str, element: dict, *, optional: bool = False, hint: str | None = None
) -> Block:
    """An input block for elements blocks.py has no builder for (user and conversation selects)."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LIMITS["label"]),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LIMITS["hint"])
    return block


def agenda_line(item: AgendaItem, locale: str) -> str:
    severity = (
        str(item.max_severity)
        if item.max_severity is not None
        else t("conferences.agenda.severity_none", locale)
    )
    return t(
        "conferences.agenda.line",
        locale,
        code=item.code,
        purpose=item.purpose.label(locale),
        stage=t("conferences.stage", locale, number=item.stage.number, label=item.stage.label(locale)),
        overdue=item.overdue,
        severity=severity,
        referrals=item.open_referrals,
    )


# ------------------------------------------------------------------ reminders (messages)


def conference_nudge(
    kind: ReminderKind,
    conference: ConferenceBrief,
    agenda: Sequence[AgendaItem],
    zone: ZoneInfo,
    locale: str,
    *,
    cancelled_following: int = 0,
) -> tuple[str, list[Block]]:
    """A channel post or DM about a conference: type, time, agenda by case code with its figures."""
    moment = when(conference.scheduled_at, zone, locale)
    text = t(f"conferences.nudge.{kind.value}", locale, type=_type(conference, locale), when=moment)
    if kind == ReminderKind.CONFERENCE_CANCELLED and cancelled_following:
        text += t("conferences.nudge.cancelled_following", locale, count=cancelled_following)
    blocks: list[Block] = [section(text)]
    if kind != ReminderKind.CONFERENCE_CANCELLED:
        lines = [agenda_line(item, locale) for item in agenda] or [t("conferences.agenda.empty", locale)]
        blocks.append(section(f"*{t('conferences.nudge.agenda', locale)}*\n" + "\n".join(lines)))
    ref = ConferenceRef(conference_id=conference.id).dump()
    agenda_button = button(t("conferences.nudge.agenda_button", locale), Action.CONFERENCE_AGENDA, ref)
    if kind == ReminderKind.CONFERENCE_RECORD:
        buttons = [
            button(
                t("conferences.nudge.record_button", locale), Action.CONFERENCE_RECORD, ref, style="primary"
            ),
            agenda_button,
        ]
    elif kind == ReminderKind.CONFERENCE_CANCELLED:
        buttons = [button(t("conferences.nudge.list_button", locale), Action.CONFERENCE_LIST, ref)]
    else:
        buttons = [agenda_button]
    blocks.append(actions(*buttons, block_id=f"conference.{conference.id}"))
    return text, blocks


def action_item_nudge(
    item_id: int,
    code: str | None,
    due: date,
    today: date,
    conference: ConferenceBrief,
    zone: ZoneInfo,
    locale: str,
    *,
    reminder_id: int | None = None,
    outside: bool = False,
) -> tuple[str, list[Block]]:
    """A DM to an action item's owner: case code (if any), due date, the conference; never the text.
    `outside`: the owner is outside Casebot and the DM goes to the chair, who records its status (done,
    or dropped); it comes D-2 and on the due date until then. The owner is not named (the modal has it)."""
    late_days = (today - due).days
    late = t("conferences.item.late", locale, days=late_days) if late_days > 0 else ""
    held = conference.scheduled_at.astimezone(zone).date().isoformat()
    kind = _type(conference, locale)
    k = "conferences.item.outside_" if outside else "conferences.item."
    if code:
        text = t(k + "text", locale, code=code, due=due.isoformat(), late=late, type=kind, date=held)
    else:
        text = t(k + "text_no_case", locale, due=due.isoformat(), late=late, type=kind, date=held)
    ref = ActionItemRef(item_id=item_id).dump()
    buttons = [
        button(t(k + "done", locale), Action.ACTION_ITEM_DONE, ref, style="primary"),
        button(t("conferences.item.show", locale), Action.ACTION_ITEM_SHOW, ref),
    ]
    if outside:
        buttons.insert(1, button(t(k + "dropped", locale), Action.ACTION_ITEM_DROPPED, ref))
    if reminder_id is not None:  # the snooze buttons of every case nudge (handlers/reminders.py)
        buttons += [
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
        ]
    return text, [section(text), actions(*buttons, block_id=f"item.{item_id}")]


# ------------------------------------------------------------------ the list (ephemeral)


def list_blocks(
    conferences: Sequence[ConferenceBrief], zone: ZoneInfo, now: datetime, locale: str
) -> list[Block]:
    k = "conferences.list."
    new = actions(button(t(k + "new", locale), Action.OPEN_CONFERENCE, style="primary"))
    if not conferences:
        return [section(t(k + "empty", locale)), new]
    blocks: list[Block] = [section(t(k + "header", locale, count=len(conferences)))]
    for conference in conferences[:15]:  # 3 blocks each: a message holds 50
        series = ""
        if conference.series_key:
            series = " · " + conference.recurrence.label(locale)
        line = t(
            k + "line",
            locale,
            type=_type(conference, locale),
            when=when(conference.scheduled_at, zone, locale),
            chair=conference.chair_name,
            series=series,
        )
        if conference.channel_id:
            line += t(k + "channel", locale, channel=conference.channel_id)
        codes = ", ".join(conference.codes) if conference.codes else t(k + "no_agenda", locale)
        blocks.append(section(line + "\n" + t(k + "agenda", locale, codes=codes)))
        ref = ConferenceRef(conference_id=conference.id).dump()
        buttons = [button(t(k + "agenda_button", locale), Action.CONFERENCE_AGENDA, ref)]
        if conference.can_change:
            if now >= conference.scheduled_at:
                buttons.append(
                    button(t(k + "record", locale), Action.CONFERENCE_RECORD, ref, style="primary")
                )
            else:
                buttons.append(button(t(k + "reschedule", locale), Action.CONFERENCE_RESCHEDULE, ref))
                buttons.append(button(t(k + "cancel", locale), Action.CONFERENCE_CANCEL, ref, style="danger"))
        blocks.append(actions(*buttons, block_id=f"conference.{conference.id}"))
    blocks.append(new)
    return blocks


# ------------------------------------------------------------------ the scheduling modal


def case_row_blocks(row: int, locale: str) -> list[Block]:
    k = "conferences.modal."
    p = f"cases.{row}."
    return [
        text_input(
            p + "code",
            t(k + "case_code", locale, number=row + 1),
            optional=True,
            max_length=32,
            placeholder=t(k + "case_code_placeholder", locale),
        ),
        select(
            p + "purpose",
            t(k + "case_purpose", locale),
            [(purpose.label(locale), purpose.value) for purpose in ConferencePurpose],
            optional=True,
            initial=ConferencePurpose.REVIEW.value,
        ),
        text_input(
            p + "question", t(k + "case_question", locale), optional=True, multiline=True, max_length=1000
        ),
    ]


def schedule_modal(locale: str, zone: ZoneInfo, today: date, *, channel_id: str | None = None) -> dict:
    k = "conferences.modal."
    channel: dict = {
        "type": "conversations_select",
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
    }
    if channel_id and channel_id[:1] in ("C", "G"):
        channel["initial_conversation"] = channel_id
    blocks: list[Block] = [
        section(t(k + "intro", locale)),
        select(
            "conference_type",
            t(k + "type", locale),
            [(kind.label(locale), kind.value) for kind in ConferenceType],
            initial=ConferenceType.INTERNAL.value,
        ),
        date_input("scheduled_at", t(k + "date", locale), initial=today),
        time_input("scheduled_time", t(k + "time", locale), timezone=zone.key, initial=DEFAULT_TIME),
        number_input("duration_minutes", t(k + "duration", locale), minimum=15, maximum=480, initial=60),
        _input(
            "slack_channel_id",
            t(k + "channel", locale),
            channel,
            optional=True,
            hint=t(k + "channel_hint", locale),
        ),
        _input(
            "chair_id",
            t(k + "chair", locale),
            {"type": "users_select"},
            optional=True,
            hint=t(k + "chair_hint", locale),
        ),
        _input(
            "participant_ids",
            t(k + "participants", locale),
            {"type": "multi_users_select", "max_selected_items": 30},
            optional=True,
            hint=t(k + "participants_hint", locale),
        ),
        text_input(
            "externals",
            t(k + "externals", locale),
            optional=True,
            multiline=True,
            max_length=2000,
            placeholder=t(k + "externals_placeholder", locale),
            hint=t(k + "externals_hint", locale),
        ),
        checkboxes("pledge", t(k + "pledge", locale), [(t(k + "pledge_option", locale), YES)]),
        select(
            "recurrence",
            t(k + "recurrence", locale),
            [(r.label(locale), r.value) for r in ConferenceRecurrence],
            initial=ConferenceRecurrence.NONE.value,
        ),
        number_input(
            "occurrences",
            t(k + "occurrences", locale),
            minimum=1,
            maximum=24,
            initial=1,
            hint=t(k + "occurrences_hint", locale),
        ),
        header(t(k + "cases_header", locale)),
        context(t(k + "cases_intro", locale)),
    ]
    for row in range(CASE_ROWS):
        blocks += case_row_blocks(row, locale)
    return modal(
        View.CONFERENCE,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=channel_ref(channel_id),
    )


def done_modal(locale: str, lines: Sequence[str]) -> dict:
    return modal(View.DONE, t("conferences.done.title", locale), [section(line) for line in lines])


def scheduled_lines(conferences: Sequence[ConferenceBrief], zone: ZoneInfo, locale: str) -> list[str]:
    first = conferences[0]
    series = ""
    if len(conferences) > 1:
        series = t(
            "conferences.series",
            locale,
            recurrence=first.recurrence.label(locale),
            index=1,
            count=len(conferences),
        )
    lines = [
        t(
            "conferences.done.scheduled",
            locale,
            type=_type(first, locale),
            when=when(first.scheduled_at, zone, locale),
            series=series,
        )
    ]
    if first.codes:
        lines.append(t("conferences.done.agenda", locale, codes=", ".join(first.codes)))
    else:
        lines.append(t("conferences.done.no_agenda", locale))
    return lines


# ------------------------------------------------------------------ agenda, reschedule, cancel, record


def agenda_modal(
    conference: ConferenceBrief,
    agenda: Sequence[AgendaItem],
    zone: ZoneInfo,
    locale: str,
    *,
    can_add: bool,
) -> dict:
    k = "conferences.agenda."
    blocks: list[Block] = [
        section(
            t(
                k + "head",
                locale,
                type=_type(conference, locale),
                when=when(conference.scheduled_at, zone, locale),
                duration=t("conferences.duration", locale, minutes=conference.duration_minutes),
                chair=conference.chair_name,
            )
        ),
        context(t(k + "status", locale, status=conference.status.label(locale))),
    ]
    if conference.external_count:
        blocks.append(context(t(k + "externals", locale, count=conference.external_count)))
    if not agenda:
        blocks.append(section(t(k + "empty", locale)))
    for item in agenda[:30]:
        text = agenda_line(item, locale)
        if item.question:
            text += "\n" + t(k + "question", locale, text=item.question)
        if item.decision:
            text += "\n" + t(k + "decision", locale, text=item.decision)
        blocks.append(section(text))
        if conference.external_count and not item.third_party_consent:
            blocks.append(context(t(k + "no_third_party", locale)))
    if can_add:
        blocks += [divider(), header(t(k + "add_header", locale))]
        for row in range(ADD_ROWS):
            blocks += case_row_blocks(row, locale)
    return modal(
        View.CONFERENCE_AGENDA,
        t(k + "title", locale),
        blocks[:100],
        submit=t(k + "submit", locale) if can_add else None,
        close=t(k + "close", locale),
        private_metadata=ConferenceRef(conference_id=conference.id).dump(),
    )


def reschedule_modal(conference: ConferenceBrief, zone: ZoneInfo, locale: str) -> dict:
    k = "conferences.reschedule."
    local = conference.scheduled_at.astimezone(zone)
    blocks = [
        section(
            t(
                k + "intro",
                locale,
                type=_type(conference, locale),
                when=when(conference.scheduled_at, zone, locale),
            )
        ),
        date_input("scheduled_at", t("conferences.modal.date", locale), initial=local.date()),
        time_input(
            "scheduled_time", t("conferences.modal.time", locale), timezone=zone.key, initial=local.time()
        ),
        number_input(
            "duration_minutes",
            t("conferences.modal.duration", locale),
            minimum=15,
            maximum=480,
            initial=conference.duration_minutes,
        ),
    ]
    return modal(
        View.CONFERENCE_RESCHEDULE,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=ConferenceRef(conference_id=conference.id).dump(),
    )


def cancel_modal(conference: ConferenceBrief, zone: ZoneInfo, locale: str) -> dict:
    k = "conferences.cancel."
    blocks: list[Block] = [
        section(
            t(
                k + "intro",
                locale,
                type=_type(conference, locale),
                when=when(conference.scheduled_at, zone, locale),
            )
        )
    ]
    # Always a choice, so that a refusal has a field to be shown under.
    scopes = [(t(k + "this_one", locale), THIS_ONE)]
    if conference.series_key:
        scopes.append((t(k + "following", locale), FOLLOWING))
    blocks.append(radio("scope", t(k + "scope", locale), scopes, initial=THIS_ONE))
    return modal(
        View.CONFERENCE_CANCEL,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=ConferenceRef(conference_id=conference.id).dump(),
    )


def action_row_blocks(row: int, codes: Sequence[str], locale: str) -> list[Block]:
    k = "conferences.record."
    p = f"action_items.{row}."
    blocks = [
        header(t(k + "items_header", locale, number=row + 1)),
        text_input(
            p + "description",
            t(k + "item_description", locale),
            optional=True,
            multiline=True,
            max_length=1000,
            hint=t(k + "item_description_hint", locale),
        ),
        _input(p + "owner_id", t(k + "item_owner", locale), {"type": "users_select"}, optional=True),
        text_input(
            p + "owner_external",
            t(k + "item_owner_external", locale),
            optional=True,
            max_length=100,
            hint=t(k + "item_owner_external_hint", locale),
        ),
        date_input(p + "due_date", t(k + "item_due", locale), optional=True),
    ]
    if codes:
        blocks.append(select(p + "code", t(k + "item_case", locale), [(c, c) for c in codes], optional=True))
    return blocks


def record_modal(conference: ConferenceBrief, zone: ZoneInfo, locale: str) -> dict:
    k = "conferences.record."
    blocks: list[Block] = [
        section(
            t(
                "conferences.agenda.head",
                locale,
                type=_type(conference, locale),
                when=when(conference.scheduled_at, zone, locale),
                duration=t("conferences.duration", locale, minutes=conference.duration_minutes),
                chair=conference.chair_name,
            )
        ),
        context(t(k + "intro", locale)),
    ]
    for index, code in enumerate(conference.codes[:30]):
        blocks.append(
            text_input(
                f"decisions.{index}",
                t(k + "decision", locale, code=code),
                optional=True,
                multiline=True,
                max_length=3000,
            )
        )
    for row in range(ACTION_ROWS):
        blocks += action_row_blocks(row, conference.codes, locale)
    blocks.append(
        text_input(
            "minutes_ref",
            t(k + "minutes_ref", locale),
            optional=True,
            max_length=300,
            hint=t(k + "minutes_ref_hint", locale),
        )
    )
    return modal(
        View.CONFERENCE_RECORD,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=ConferenceRecord(conference_id=conference.id, codes=list(conference.codes)).dump(),
    )


def action_item_modal(
    *,
    item_id: int,
    description: str,
    code: str | None,
    due: date,
    owner: str,
    status: TaskStatus,
    conference: ConferenceBrief,
    zone: ZoneInfo,
    locale: str,
) -> dict:
    """The action item's text, for its owner or the organisers (a modal: nothing stays in history)."""
    k = "conferences.item."
    facts = [t(k + "due", locale, due=due.isoformat()), t(k + "owner", locale, owner=owner)]
    if code:
        facts.append(t(k + "case", locale, code=code))
    facts.append(t(k + "status", locale, status=status.label(locale)))
    blocks: list[Block] = [
        context(f"{_type(conference, locale)} · {when(conference.scheduled_at, zone, locale)}"),
        section(t(k + "description", locale, text=description)),
        context(*facts),
    ]
    if status == TaskStatus.OPEN:
        blocks.append(
            actions(
                button(
                    t(k + "done", locale),
                    Action.ACTION_ITEM_DONE,
                    ActionItemRef(item_id=item_id).dump(),
                    style="primary",
                ),
                block_id=f"item.{item_id}",
            )
        )
    return modal(View.ACTION_ITEM, t(k + "title", locale), blocks, close=t("conferences.modal.close", locale))


# ------------------------------------------------------------------ another team's case (통합사례회의)


def agenda_request_dm(notice: AgendaRequestNotice, zone: ZoneInfo, locale: str) -> tuple[str, list[Block]]:
    """To a supervisor of the case's team: the case code, the conference and the asking team; agree or
    refuse. Never the question (it is read in the agenda, by those who see the case, once agreed)."""
    k = "conferences.request."
    text = t(
        k + "text",
        locale,
        code=notice.code,
        type=_type(notice.conference, locale),
        when=when(notice.conference.scheduled_at, zone, locale),
        team=notice.team,
    )
    ref = AgendaRequestRef(request_id=notice.request_id).dump()
    buttons = [
        button(t(k + "agree", locale), Action.AGENDA_AGREE, ref, style="primary"),
        button(t(k + "refuse", locale), Action.AGENDA_REFUSE, ref),
    ]
    return text, [section(text), actions(*buttons, block_id=f"request.{notice.request_id}")]


def agenda_chair_text(decision: AgendaDecision, zone: ZoneInfo, locale: str) -> str:
    """To the conference's chair: the case code and the conference's date, and what was decided."""
    key = "chair_agreed" if decision.status == AgendaRequestStatus.AGREED else "chair_refused"
    day = decision.conference.scheduled_at.astimezone(zone).date().isoformat()
    return t(f"conferences.request.{key}", locale, code=decision.code, date=day)


def agenda_decision_text(decision: AgendaDecision, zone: ZoneInfo, locale: str) -> str:
    key = "agreed" if decision.status == AgendaRequestStatus.AGREED else "refused"
    return t(
        f"conferences.request.{key}",
        locale,
        code=decision.code,
        type=_type(decision.conference, locale),
        when=when(decision.conference.scheduled_at, zone, locale),
    )
