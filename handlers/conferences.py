"""`/case conference` (사례회의): schedule, list, agenda, reschedule, cancel, record the outcome, and the
buttons on conference reminders and action-item nudges.

Every modal submission goes through `submit_once`; the core's field errors come back under the row they
are about (`cases.2.code` is the third agenda row of the modal, whatever rows were left empty).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.errors import loggable
from bot.i18n import t
from bot.ids import Action, View
from bot.views import conferences as views
from bot.views.blocks import section
from bot.views.referrals import loading_modal, notice_modal
from handlers.common import (
    Invocation,
    button_value,
    clicked_in,
    metadata,
    record_id,
    subcommand,
    submit_once,
)
from models.case import Case
from models.conference import CaseConference
from models.enums import ConferenceStatus, Surface
from models.errors import DomainError, InvalidInput, Message, invalid_input_from
from models.schemas import (
    ConferenceCaseInput,
    ConferenceInput,
    OutcomeInput,
    RescheduleInput,
)
from models.services import access, conferences, staff
from models.services.context import Ctx
from models.staff import StaffMember

log = logging.getLogger("casebot")

CASE_FIELDS = ("code", "purpose", "question")
SCHEDULE_BLOCKS = [
    "conference_type",
    "scheduled_at",
    "scheduled_time",
    "duration_minutes",
    "slack_channel_id",
    "chair_id",
    "participant_ids",
    "externals",
    "pledge",
    "recurrence",
    "occurrences",
    *(f"cases.{row}.{name}" for row in range(views.CASE_ROWS) for name in CASE_FIELDS),
]
SCHEDULE_ALIASES = {"cases": "cases.0.code", "externals": "externals", "scheduled_at": "scheduled_at"}
AGENDA_BLOCKS = [f"cases.{row}.{name}" for row in range(views.ADD_ROWS) for name in CASE_FIELDS]
ITEM_FIELDS = ("description", "owner_id", "owner_external", "due_date", "code")
RECORD_BLOCKS = [
    *(f"action_items.{row}.{name}" for row in range(views.ACTION_ROWS) for name in ITEM_FIELDS),
    "minutes_ref",
]
RESCHEDULE_BLOCKS = ["scheduled_at", "scheduled_time", "duration_minutes"]


def register(app: App) -> None:
    app.view(View.CONFERENCE)(submit_schedule)
    app.view(View.CONFERENCE_AGENDA)(submit_agenda)
    app.view(View.CONFERENCE_RESCHEDULE)(submit_reschedule)
    app.view(View.CONFERENCE_CANCEL)(submit_cancel)
    app.view(View.CONFERENCE_RECORD)(submit_record)
    app.action(Action.OPEN_CONFERENCE)(open_schedule_button)
    app.action(Action.CONFERENCE_LIST)(list_button)
    app.action(Action.CONFERENCE_AGENDA)(open_agenda)
    app.action(Action.CONFERENCE_RESCHEDULE)(open_reschedule)
    app.action(Action.CONFERENCE_CANCEL)(open_cancel)
    app.action(Action.CONFERENCE_RECORD)(open_record)
    app.action(Action.ACTION_ITEM_DONE)(item_done)
    app.action(Action.ACTION_ITEM_SHOW)(item_show)


def _zone(context: BoltContext) -> ZoneInfo:
    return context["policy"].zone


# ------------------------------------------------------------------ /case conference [list]


@subcommand("conference", "사례회의", "회의")
def conference_command(call: Invocation) -> None:
    if call.args and call.args[0].lower() in ("list", "목록"):
        return call.reply(
            blocks=_list_blocks(call.context, call.ctx()), text=t("conferences.list.new", call.locale)
        )
    policy = call.context["policy"]
    today = call.ctx().today
    call.open_modal(
        views.schedule_modal(call.locale, policy.zone, today, channel_id=call.command.get("channel_id"))
    )


def _list_blocks(context: BoltContext, ctx: Ctx) -> list[dict]:
    with context["uow"]() as db:
        found = conferences.upcoming(db, ctx)
    return views.list_blocks(found, _zone(context), ctx.now, context["locale"])


def open_schedule_button(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    if context["actor"] is None:
        return
    ctx: Ctx = context["ctx_for"](Surface.BUTTON)
    view = views.schedule_modal(context["locale"], _zone(context), ctx.today, channel_id=clicked_in(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def list_button(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    channel = clicked_in(body)
    if context["actor"] is None or channel is None:
        return
    blocks = _list_blocks(context, context["ctx_for"](Surface.BUTTON))
    client.chat_postEphemeral(
        channel=channel,
        user=context.user_id,
        text=t("conferences.list.new", context["locale"]),
        blocks=blocks,
    )


# ------------------------------------------------------------------ modals opened from buttons


def _open_loaded(
    client: WebClient,
    body: dict,
    context: BoltContext,
    title: str,
    build: Callable[[Session, Ctx], dict],
) -> None:
    """Open a modal at once (the trigger id lasts 3 s), then put the built view or the refusal in it."""
    locale = context["locale"]
    close = t("conferences.modal.close", locale)
    opened = client.views_open(
        trigger_id=body["trigger_id"], view=loading_modal(title, t("conferences.modal.loading", locale))
    )
    if context["actor"] is None:
        view = notice_modal(title, t("common.not_staff", locale), close)
    else:
        try:
            with context["uow"]() as db:
                view = build(db, context["ctx_for"](Surface.BUTTON))
        except DomainError as error:
            view = notice_modal(title, error.text(locale), close)
    client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


def _conference_id(action: dict) -> int:
    return record_id(button_value(action), "conference_id")


def open_agenda(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale, conference_id = context["locale"], _conference_id(action)

    def build(db: Session, ctx: Ctx) -> dict:
        conference = conferences.load(db, ctx, conference_id)
        items = conferences.agenda(db, ctx, conference)
        brief = conferences.brief(db, conference, ctx.actor)
        can_add = conference.status == ConferenceStatus.SCHEDULED
        return views.agenda_modal(brief, items, _zone(context), locale, can_add=can_add)

    _open_loaded(client, body, context, t("conferences.agenda.title", locale), build)


def _for_change(conference_id: int, make: Callable[[conferences.ConferenceBrief], dict]):  # type: ignore[no-untyped-def]
    def build(db: Session, ctx: Ctx) -> dict:
        conference = conferences.load(db, ctx, conference_id)
        brief = conferences.brief(db, conference, ctx.actor)
        if not brief.can_change:
            raise access.refuse(ctx, None, f"change conference {conference_id}", conferences.NOT_ORGANISER)
        return make(brief)

    return build


def open_reschedule(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale = context["locale"]
    build = _for_change(_conference_id(action), lambda b: views.reschedule_modal(b, _zone(context), locale))
    _open_loaded(client, body, context, t("conferences.reschedule.title", locale), build)


def open_cancel(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale = context["locale"]
    build = _for_change(_conference_id(action), lambda b: views.cancel_modal(b, _zone(context), locale))
    _open_loaded(client, body, context, t("conferences.cancel.title", locale), build)


def open_record(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale = context["locale"]
    build = _for_change(_conference_id(action), lambda b: views.record_modal(b, _zone(context), locale))
    _open_loaded(client, body, context, t("conferences.record.title", locale), build)


# ------------------------------------------------------------------ reading the forms


class Rows:
    """Which modal row each list entry came from, so the core's `cases.1.code` finds its row again."""

    def __init__(self, prefix: str, rows: list[int]) -> None:
        self.prefix, self.rows = prefix, rows

    def to_blocks(self, errors: dict[str, Message]) -> dict[str, Message]:
        mapped: dict[str, Message] = {}
        for name, message in errors.items():
            parts = name.split(".")
            if parts[0] == self.prefix and len(parts) >= 2 and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.rows):
                    parts[1] = str(self.rows[index])
            mapped.setdefault(".".join(parts), message)
        return mapped


def _moment(form: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    day, clock = form.get("scheduled_at"), form.get("scheduled_time")
    if not day or not clock:
        return None
    try:
        picked_day = date.fromisoformat(day)
    except ValueError:  # Slack's pickers send ISO values; anything else is a field error, not a crash
        raise InvalidInput({"scheduled_at": _BAD_DATE}) from None
    try:
        picked_time = time.fromisoformat(clock)
    except ValueError:
        raise InvalidInput({"scheduled_time": _BAD_TIME}) from None
    return datetime.combine(picked_day, picked_time, tzinfo=zone)


_BAD_DATE = Message("날짜 형식이 올바르지 않습니다 (YYYY-MM-DD).", "Enter a valid date (YYYY-MM-DD).")
_BAD_TIME = Message("시각 형식이 올바르지 않습니다 (HH:MM).", "Enter a valid time (HH:MM).")


def _time_errors(form: dict[str, Any]) -> dict[str, Message]:
    if form.get("scheduled_at") and not form.get("scheduled_time"):
        return {
            "scheduled_time": Message(
                t("conferences.errors.time_missing", "ko"), t("conferences.errors.time_missing", "en")
            )
        }
    return {}


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what was not given, so that pydantic reports it as missing or uses the default."""
    return {key: value for key, value in values.items() if value is not None}


def _case_rows(form: dict[str, Any], count: int) -> tuple[list[dict[str, Any]], Rows]:
    rows = [row for row in range(count) if form.get(f"cases.{row}.code")]
    entries = [_present({name: form.get(f"cases.{row}.{name}") for name in CASE_FIELDS}) for row in rows]
    return entries, Rows("cases", rows)


def _externals(text: str | None) -> tuple[list[dict[str, Any]], dict[str, Message]]:
    """One member a line, "name / organisation" (a comma also separates)."""
    members: list[dict[str, Any]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace(",", "/").split("/", 1)]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            message = Message(
                t("conferences.errors.external_line", "ko", line=number),
                t("conferences.errors.external_line", "en", line=number),
            )
            return [], {"externals": message}
        members.append({"name": parts[0], "organisation": parts[1]})
    return members, {}


class ScheduleForm(BaseModel):
    """The modal's values; Slack users become staff ids in the unit of work."""

    data: ConferenceInput
    participant_users: list[str]
    chair_user: str | None
    case_rows: list[int]


def parse_schedule(form: dict[str, Any], zone: ZoneInfo) -> ScheduleForm:
    own = _time_errors(form)
    externals, external_errors = _externals(form.get("externals"))
    own.update(external_errors)
    pledged = views.YES in (form.get("pledge") or [])
    cases, rows = _case_rows(form, views.CASE_ROWS)
    values = {
        "conference_type": form.get("conference_type"),
        "scheduled_at": _moment(form, zone),
        "duration_minutes": form.get("duration_minutes"),
        "slack_channel_id": form.get("slack_channel_id"),
        "externals": [{**member, "confidentiality_pledge": pledged} for member in externals],
        "cases": cases,
        "recurrence": form.get("recurrence"),
        "occurrences": form.get("occurrences"),
    }
    try:
        data = ConferenceInput.model_validate(_present(values))
    except ValidationError as error:
        raise InvalidInput({**rows.to_blocks(invalid_input_from(error).errors), **own}) from None
    if own:
        raise InvalidInput(own)
    return ScheduleForm(
        data=data,
        participant_users=list(form.get("participant_ids") or []),
        chair_user=form.get("chair_id"),
        case_rows=rows.rows,
    )


def _not_staff(mentions: str) -> Message:
    """Someone picked who is not staff: outside members are typed in their own field."""
    return Message(
        t("conferences.errors.not_staff_user", "ko", users=mentions),
        t("conferences.errors.not_staff_user", "en", users=mentions),
    )


def submit_schedule(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale, zone = context["locale"], _zone(context)

    def work(db: Session, ctx: Ctx, form: ScheduleForm) -> dict[str, object]:
        participants = staff.staff_ids_for(db, form.participant_users, "participant_ids", _not_staff)
        chair = staff.staff_ids_for(db, [form.chair_user], "chair_id", _not_staff) if form.chair_user else []
        data = form.data.model_copy(
            update={"participant_ids": participants, "chair_id": chair[0] if chair else None}
        )
        try:
            scheduled = conferences.schedule(db, ctx, data)
        except InvalidInput as error:
            error.errors = Rows("cases", form.case_rows).to_blocks(error.errors)
            raise  # the same exception: a refusal among them is still audited by the unit of work
        briefs = [conferences.brief(db, conference) for conference in scheduled]
        return {"lines": views.scheduled_lines(briefs, zone, locale), "ids": [b.id for b in briefs]}

    outcome = submit_once(
        ack,
        view,
        context,
        blocks=SCHEDULE_BLOCKS,
        aliases=SCHEDULE_ALIASES,
        parse=lambda form, ctx: parse_schedule(form, zone),
        work=work,
    )
    if outcome is not None:
        result, _ = outcome
        ack(response_action="update", view=views.done_modal(locale, [str(line) for line in result["lines"]]))


# ------------------------------------------------------------------ agenda: add cases


class AddCasesForm(BaseModel):
    cases: list[ConferenceCaseInput]
    case_rows: list[int]


def parse_add_cases(form: dict[str, Any]) -> AddCasesForm:
    cases, rows = _case_rows(form, views.ADD_ROWS)
    if not cases:
        message = Message("사례번호를 적어 주세요.", "Enter a case code.")
        raise InvalidInput({"cases.0.code": message})
    try:
        return AddCasesForm(cases=[ConferenceCaseInput(**case) for case in cases], case_rows=rows.rows)
    except ValidationError as error:
        raise InvalidInput(rows.to_blocks(invalid_input_from(error).errors)) from None


def submit_agenda(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    conference_id = record_id(metadata(view), "conference_id")

    def work(db: Session, ctx: Ctx, form: AddCasesForm) -> dict[str, object]:
        try:
            conference = conferences.add_cases(db, ctx, conference_id, form.cases)
        except InvalidInput as error:
            error.errors = Rows("cases", form.case_rows).to_blocks(error.errors)
            raise
        return {"codes": [entry.code for entry in form.cases], "id": conference.id}

    outcome = submit_once(
        ack,
        view,
        context,
        blocks=AGENDA_BLOCKS,
        aliases={"cases": "cases.0.code"},
        parse=lambda form, ctx: parse_add_cases(form),
        work=work,
    )
    if outcome is not None:
        result, _ = outcome
        codes = ", ".join(str(code) for code in result["codes"])  # type: ignore[attr-defined]
        ack(
            response_action="update",
            view=views.done_modal(locale, [t("conferences.done.added", locale, codes=codes)]),
        )


# ------------------------------------------------------------------ reschedule and cancel


def submit_reschedule(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale, zone = context["locale"], _zone(context)
    conference_id = record_id(metadata(view), "conference_id")

    def parse(form: dict[str, Any], ctx: Ctx) -> RescheduleInput:
        own = _time_errors(form)
        if own:
            raise InvalidInput(own)
        values = {"scheduled_at": _moment(form, zone), "duration_minutes": form.get("duration_minutes")}
        return RescheduleInput.model_validate(_present(values))

    def work(db: Session, ctx: Ctx, data: RescheduleInput) -> dict[str, object]:
        conference = conferences.reschedule(db, ctx, conference_id, data)
        text = t(
            "conferences.done.rescheduled",
            locale,
            type=conference.conference_type.label(locale),
            when=views.when(conference.scheduled_at, zone, locale),
        )
        return {"lines": [text]}

    _submit_and_show(ack, view, context, RESCHEDULE_BLOCKS, parse, work)


class CancelForm(BaseModel):
    following: bool = False


def submit_cancel(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale, zone = context["locale"], _zone(context)
    conference_id = record_id(metadata(view), "conference_id")

    def work(db: Session, ctx: Ctx, form: CancelForm) -> dict[str, object]:
        cancelled = conferences.cancel(db, ctx, conference_id, following=form.following)
        first = cancelled[0]
        kind, moment = first.conference_type.label(locale), views.when(first.scheduled_at, zone, locale)
        if len(cancelled) > 1:
            text = t(
                "conferences.done.cancelled_series", locale, type=kind, when=moment, count=len(cancelled) - 1
            )
        else:
            text = t("conferences.done.cancelled", locale, type=kind, when=moment)
        return {"lines": [text]}

    _submit_and_show(
        ack,
        view,
        context,
        ["scope"],
        lambda form, ctx: CancelForm(following=form.get("scope") == views.FOLLOWING),
        work,
    )


def _submit_and_show(ack: Ack, view: dict, context: BoltContext, blocks: list[str], parse, work) -> None:  # type: ignore[no-untyped-def]
    outcome = submit_once(ack, view, context, blocks=blocks, parse=parse, work=work)
    if outcome is not None:
        result, _ = outcome
        lines = [str(line) for line in result["lines"]]  # type: ignore[attr-defined]
        ack(response_action="update", view=views.done_modal(context["locale"], lines))


# ------------------------------------------------------------------ record the outcome


class RecordForm(BaseModel):
    """The raw rows; owners are Slack users, resolved to staff in the unit of work."""

    decisions: list[tuple[int, str, str]]  # (agenda index, code, decision)
    items: list[tuple[int, dict[str, Any], str | None]]  # (modal row, values, owner's Slack id)
    minutes_ref: str | None


def parse_record(form: dict[str, Any], codes: list[str]) -> RecordForm:
    decisions = [
        (index, code, form[f"decisions.{index}"])
        for index, code in enumerate(codes)
        if form.get(f"decisions.{index}")
    ]
    items = []
    for row in range(views.ACTION_ROWS):
        p = f"action_items.{row}."
        if not form.get(p + "description"):
            continue
        values = _present(
            {
                "description": form.get(p + "description"),
                "owner_external": form.get(p + "owner_external"),
                "due_date": form.get(p + "due_date"),
                "code": form.get(p + "code"),
            }
        )
        items.append((row, values, form.get(p + "owner_id")))
    return RecordForm(decisions=decisions, items=items, minutes_ref=form.get("minutes_ref"))


def _outcome_input(db: Session, form: RecordForm) -> tuple[OutcomeInput, Rows, Rows]:
    item_rows = Rows("action_items", [row for row, _, _ in form.items])
    decision_rows = Rows("decisions", [index for index, _, _ in form.decisions])
    items = []
    for index, (_, values, user) in enumerate(form.items):
        entry = dict(values)
        if user:
            entry["owner_id"] = staff.staff_ids_for(db, [user], f"action_items.{index}.owner_id", _not_staff)[
                0
            ]
        items.append(entry)
    try:
        data = OutcomeInput.model_validate(
            _present(
                {
                    "decisions": [{"code": code, "decision": text} for _, code, text in form.decisions],
                    "action_items": items,
                    "minutes_ref": form.minutes_ref,
                }
            )
        )
    except ValidationError as error:
        raise InvalidInput(invalid_input_from(error).errors) from None
    return data, item_rows, decision_rows


def submit_record(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale, zone = context["locale"], _zone(context)
    meta = metadata(view)
    conference_id = record_id(meta, "conference_id")
    codes = [str(code) for code in meta.get("codes") or []] if isinstance(meta.get("codes"), list) else []
    blocks = [*(f"decisions.{index}" for index in range(len(codes))), *RECORD_BLOCKS]

    def work(db: Session, ctx: Ctx, form: RecordForm) -> dict[str, object]:
        item_rows = Rows("action_items", [row for row, _, _ in form.items])
        decision_rows = Rows("decisions", [index for index, _, _ in form.decisions])
        try:
            data, item_rows, decision_rows = _outcome_input(db, form)
            conference = conferences.record_outcome(db, ctx, conference_id, data)
        except InvalidInput as error:
            error.errors = decision_rows.to_blocks(item_rows.to_blocks(error.errors))
            raise
        text = t(
            "conferences.done.recorded",
            locale,
            type=conference.conference_type.label(locale),
            when=views.when(conference.scheduled_at, zone, locale),
            count=len(data.action_items),
        )
        return {"lines": [text]}

    _submit_and_show(
        ack,
        view,
        context,
        blocks,
        lambda form, ctx: parse_record(form, codes),
        work,
    )


# ------------------------------------------------------------------ action items


def _item_id(action: dict) -> int:
    return record_id(button_value(action), "item_id")


def item_show(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale, item_id = context["locale"], _item_id(action)

    def build(db: Session, ctx: Ctx) -> dict:
        return _item_modal(db, ctx, item_id, locale, _zone(context))

    _open_loaded(client, body, context, t("conferences.item.title", locale), build)


def _item_modal(db: Session, ctx: Ctx, item_id: int, locale: str, zone: ZoneInfo) -> dict:
    item = conferences.load_action_item(db, ctx, item_id)
    conference: CaseConference = item.conference
    owner = item.owner_external or ""
    if item.owner_id is not None:
        member = db.get(StaffMember, item.owner_id)
        owner = member.display_name if member else ""
    code = None
    if item.case_id is not None:
        code = db.get_one(Case, item.case_id).code
    return views.action_item_modal(
        item_id=item.id,
        description=item.description,
        code=code,
        due=item.due_date,
        owner=owner,
        status=item.status,
        conference=conferences.brief(db, conference),
        zone=zone,
        locale=locale,
    )


def item_done(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale, item_id = context["locale"], _item_id(action)
    if context["actor"] is None:
        return
    ctx: Ctx = context["ctx_for"](Surface.BUTTON)
    view = body.get("view")
    try:
        with context["uow"]() as db:
            item = conferences.complete_action_item(db, ctx, item_id)
            what = f"{item.conference.conference_type.label(locale)} {item.due_date.isoformat()}"
            updated = _item_modal(db, ctx, item_id, locale, _zone(context)) if view else None
    except DomainError as error:
        return _tell(client, body, context, error.text(locale))
    if view and updated is not None:
        client.views_update(view_id=view["id"], view=updated)
        return
    text = t("conferences.item.done_text", locale, what=what)
    message, channel = body.get("message"), clicked_in(body)
    if message and channel:
        try:
            client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=[section(text)])
            return
        except Exception as error:  # the item is done; say so another way
            log.warning("could not update the action-item nudge\n%s", loggable(error))
    _tell(client, body, context, t("conferences.done.item_done", locale, what=what))


def _tell(client: WebClient, body: dict, context: BoltContext, text: str) -> None:
    channel = clicked_in(body)
    if channel:
        client.chat_postEphemeral(channel=channel, user=context.user_id, text=text)
