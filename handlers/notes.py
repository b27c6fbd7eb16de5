"""Contact notes (과정기록 / 점검): `/case note CODE`, the note button, and "add as case note" on a message.

The message shortcut pre-fills the (private) modal with the message text; what is stored with the note
is the message's permalink, and no text of the message is ever posted anywhere.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.ids import Action, Shortcut, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef, MessageRef, NoteMeta
from bot.views.notes import YES, note_blocks_of, note_done_modal, note_modal
from handlers.common import Invocation, submit_once
from models.enums import Surface
from models.errors import InvalidInput, Message
from models.schemas import ContactInput
from models.services import cases, notes
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

# Core field names that are not blocks of the note view.
ALIASES = {"source_ref": "summary"}


def register(on: Listeners) -> None:
    on.action(Action.OPEN_NOTE, lazy=[open_note_from_button])
    on.shortcut(Shortcut.ADD_AS_NOTE, lazy=[open_note_from_message])
    on.view(View.NOTE, ack=submit_note)
    on.subcommand("note")(open_note)


def zone_of(ctx: Ctx) -> ZoneInfo:
    """The user's time zone (from the staff record), else the agency's (Asia/Seoul by default)."""
    if ctx.actor.tz:
        try:
            return ZoneInfo(ctx.actor.tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ctx.policy.zone


def _with_monitoring(turn: Turn, ctx: Ctx, locale: str, code: str) -> dict:
    """The note modal of one case, with its 점검표 (the plan's goals and the services under way)."""
    with turn.uow() as db:
        monitoring = notes.monitoring_of(db, ctx, code)
    return _modal_for(ctx, locale, code=code, monitoring=monitoring)


def _modal_for(ctx: Ctx, locale: str, **kwargs: Any) -> dict:
    zone = zone_of(ctx)
    return note_modal(locale, today=ctx.now.astimezone(zone).date(), timezone=zone.key, **kwargs)


def open_note(call: Invocation) -> None:
    code = call.code("note")
    if code is None:
        return
    call.open_modal(_with_monitoring(call.turn, call.ctx(), call.locale, code))


def open_note_from_button(turn: Turn) -> None:
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    code = _code_of(turn.action)
    if code is None:
        return
    view = _with_monitoring(turn, turn.ctx(Surface.BUTTON), locale, code)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def _code_of(action: dict) -> str | None:
    """The button's case code; None for a value that holds none (not a button this app made)."""
    clicked = CaseRef.read(action.get("value"))
    return clicked.code if clicked else None


def open_note_from_message(turn: Turn) -> None:
    """A DomainError (e.g. school staff without approval) is told privately by bot.listeners."""
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    ctx = turn.ctx(Surface.SHORTCUT)
    with turn.uow() as db:
        codes = [case.code for case in cases.my_cases(db, ctx)]
    if not codes:
        return turn.tell(t("note.shortcut.no_cases", locale))
    shortcut = turn.body
    message = shortcut.get("message") or {}
    # The message the note is made from (its permalink is stored); Slack always names it.
    source = MessageRef.of(
        (shortcut.get("channel") or {}).get("id"), shortcut.get("message_ts") or message.get("ts")
    )
    view = _modal_for(ctx, locale, case_codes=codes, summary=message.get("text") or None, source=source)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def contact_time(day: str | None, clock: str | None, zone: ZoneInfo) -> datetime | None:
    """The picked local date and time as an aware datetime in the user's zone."""
    if not day or not clock:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone)
    except ValueError:
        return None


def parse_note(form: dict[str, Any], ctx: Ctx, *, source_ref: str | None = None) -> ContactInput:
    """The modal's values as the core's input; raises ValidationError with field locations."""
    values: dict[str, Any] = {
        "contact_type": form.get("contact_type"),
        "kind": form.get("kind") or "REGULAR",
        "participants": form.get("participants"),
        "outcome": form.get("outcome"),
        "result": form.get("result"),
        "plan_adherence": form.get("plan_adherence"),
        "satisfaction": form.get("satisfaction"),
        "duration_minutes": form.get("duration_minutes"),
        "risk_changed": YES in (form.get("risk_changed") or []),
        "summary": form.get("summary"),
        "next_action": form.get("next_action"),
        "next_contact_on": form.get("next_contact_on"),
        "source_ref": source_ref,
        "goal_progress": _picked(form, "goal"),
        "referral_status": _picked(form, "referral"),
    }
    moment = contact_time(form.get("contact_on"), form.get("contact_at"), zone_of(ctx))
    if moment is not None:
        values["contact_at"] = moment
    return ContactInput.model_validate(values)


def _picked(form: dict[str, Any], prefix: str) -> dict[str, Any]:
    """{record id: value} of the 점검표's `<prefix>.<id>` selects that were answered."""
    picked: dict[str, Any] = {}
    for block_id, value in form.items():
        head, _, number = block_id.partition(".")
        if head == prefix and number.isdecimal() and len(number) <= 10 and value:
            picked[number] = value
    return picked


def _permalink(client: WebClient, source: MessageRef) -> str:
    try:
        response = client.chat_getPermalink(channel=source.channel, message_ts=source.ts)
        return str(response["permalink"])
    except (SlackApiError, KeyError) as error:
        failed = Message("note.shortcut.permalink_failed")
        raise InvalidInput({"summary": failed}) from error


def submit_note(turn: Turn) -> None:
    """The ack: field errors, or the done modal (the permalink is asked for in it: its failure is one)."""
    locale = turn.locale
    # Junk metadata reads as a note modal with neither: the case is then chosen in the modal.
    meta = NoteMeta.read(turn.view.get("private_metadata")) or NoteMeta()
    # The 점검표's goal and service selects take their own errors (`goal.<id>`, `referral.<id>`).
    monitored = [
        str(block.get("block_id"))
        for block in turn.view.get("blocks") or []
        if isinstance(block, dict) and str(block.get("block_id", "")).startswith(("goal.", "referral."))
    ]
    blocks = note_blocks_of(meta) + monitored
    chosen: dict[str, str] = {}

    def parse(form: dict[str, Any], ctx: Ctx) -> ContactInput:
        code = meta.code or form.get("case_code")
        if not code:
            choose = Message("note.shortcut.choose_case")
            raise InvalidInput({"case_code": choose})
        chosen["code"] = str(code).strip().upper()
        data = parse_note(form, ctx)  # field errors first, before asking Slack for anything
        if meta.source is not None:
            data = parse_note(form, ctx, source_ref=_permalink(turn.client, meta.source))
        return data

    def work(db: Session, ctx: Ctx, data: ContactInput) -> dict[str, object]:
        note = notes.log_contact(db, ctx, chosen["code"], data)
        return {
            "code": chosen["code"],
            "note": note.id,
            "next_contact_on": data.next_contact_on.isoformat() if data.next_contact_on else None,
        }

    outcome = submit_once(turn, blocks=blocks, aliases=ALIASES, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    next_contact = result.get("next_contact_on")
    turn.ack(
        response_action="update",
        view=note_done_modal(locale, str(result["code"]), str(next_contact) if next_contact else None),
    )
