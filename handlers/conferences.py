"""`/case conference` (사례회의): schedule, list, agenda, reschedule, cancel, record the outcome, and the
buttons on conference reminders and action-item nudges.

Every modal submission goes through `submit_once` in the ack (field errors come back inline); the forms
are read by bot.conference_forms, which puts the core's field errors under the row they are about.
Buttons ack at once and open or update their modal lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import conference_forms as forms
from bot.errors import loggable
from bot.i18n import t, words
from bot.ids import Action, View
from bot.listeners import Listeners, Turn, user_locale
from bot.metadata import ActionItemRef, AgendaRequestRef, ConferenceRecord, ConferenceRef
from bot.notify import dm
from bot.views import conferences as views
from bot.views.blocks import section
from bot.views.referrals import loading_modal, notice_modal
from handlers.common import Invocation, clicked_in, submit_once
from handlers.home import publish_home
from models.enums import ConferenceStatus, Surface, TaskStatus
from models.errors import DomainError, InvalidInput
from models.schemas import RescheduleInput
from models.services import access, conferences, staff
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")


def register(on: Listeners) -> None:
    on.view(View.CONFERENCE, ack=submit_schedule, lazy=[ask_supervisors])
    on.view(View.CONFERENCE_AGENDA, ack=submit_agenda, lazy=[ask_supervisors])
    on.view(View.CONFERENCE_RESCHEDULE, ack=submit_reschedule)
    on.view(View.CONFERENCE_CANCEL, ack=submit_cancel)
    on.view(View.CONFERENCE_RECORD, ack=submit_record)
    on.action(Action.OPEN_CONFERENCE, lazy=[open_schedule_button])
    on.action(Action.CONFERENCE_LIST, lazy=[list_button])
    on.action(Action.CONFERENCE_AGENDA, lazy=[open_agenda])
    on.action(Action.CONFERENCE_RESCHEDULE, lazy=[open_reschedule])
    on.action(Action.CONFERENCE_CANCEL, lazy=[open_cancel])
    on.action(Action.CONFERENCE_RECORD, lazy=[open_record])
    on.action(Action.ACTION_ITEM_DONE, lazy=[item_done])
    on.action(Action.ACTION_ITEM_SHOW, lazy=[item_show])
    on.action(Action.ACTION_ITEM_DROPPED, lazy=[item_dropped])
    on.action(Action.AGENDA_AGREE, lazy=[agenda_agree])
    on.action(Action.AGENDA_REFUSE, lazy=[agenda_refuse])
    on.subcommand("conference")(conference_command)


def _zone(turn: Turn) -> ZoneInfo:
    return turn.policy.zone


# ------------------------------------------------------------------ /case conference [list]


def conference_command(call: Invocation) -> None:
    if call.args and call.args[0].lower() in words("commands.words.list"):
        return call.reply(
            blocks=_list_blocks(call.turn, call.ctx()), text=t("conferences.list.new", call.locale)
        )
    today = call.ctx().today
    call.open_modal(
        views.schedule_modal(call.locale, _zone(call.turn), today, channel_id=call.command.get("channel_id"))
    )


def _list_blocks(turn: Turn, ctx: Ctx) -> list[dict]:
    with turn.uow() as db:
        found = conferences.upcoming(db, ctx)
    return views.list_blocks(found, _zone(turn), ctx.now, turn.locale)


def open_schedule_button(turn: Turn) -> None:
    if turn.actor is None:
        return
    ctx = turn.ctx(Surface.BUTTON)
    view = views.schedule_modal(turn.locale, _zone(turn), ctx.today, channel_id=clicked_in(turn.body))
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def list_button(turn: Turn) -> None:
    channel = clicked_in(turn.body)
    if turn.actor is None or channel is None:
        return
    blocks = _list_blocks(turn, turn.ctx(Surface.BUTTON))
    turn.tell(t("conferences.list.new", turn.locale), blocks)


# ------------------------------------------------------------------ modals opened from buttons


def _open_loaded(turn: Turn, title: str, build: Callable[[Session, Ctx], dict]) -> None:
    """Open a modal at once (the trigger id lasts 3 s), then put the built view or the refusal in it."""
    locale, client = turn.locale, turn.client
    close = t("conferences.modal.close", locale)
    opened = client.views_open(
        trigger_id=turn.trigger_id, view=loading_modal(title, t("conferences.modal.loading", locale))
    )
    if turn.actor is None:
        view = notice_modal(title, t("common.not_staff", locale), close)
    else:
        try:
            with turn.uow() as db:
                view = build(db, turn.ctx(Surface.BUTTON))
        except DomainError as error:  # the modal says why, in place of the form
            view = notice_modal(title, error.text(locale), close)
    client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


def _conference_id(carrier: dict, key: str = "value") -> int:
    """The conference of a button (its value) or a modal (its private_metadata); 0, which no conference
    has (the core's "not found"), for anything the app did not write."""
    ref = ConferenceRef.read(carrier.get(key))
    return ref.conference_id if ref else 0


def open_agenda(turn: Turn) -> None:
    locale, zone, conference_id = turn.locale, _zone(turn), _conference_id(turn.action)

    def build(db: Session, ctx: Ctx) -> dict:
        conference = conferences.load(db, ctx, conference_id)
        items = conferences.agenda(db, ctx, conference)
        brief = conferences.brief(db, conference, ctx.actor)
        can_add = brief.status == ConferenceStatus.SCHEDULED
        return views.agenda_modal(brief, items, zone, locale, can_add=can_add)

    _open_loaded(turn, t("conferences.agenda.title", locale), build)


def _for_change(conference_id: int, make: Callable[[conferences.ConferenceBrief], dict]):  # type: ignore[no-untyped-def]
    def build(db: Session, ctx: Ctx) -> dict:
        conference = conferences.load(db, ctx, conference_id)
        brief = conferences.brief(db, conference, ctx.actor)
        if not brief.can_change:
            raise access.refuse(ctx, None, f"change conference {conference_id}", conferences.NOT_ORGANISER)
        return make(brief)

    return build


def open_reschedule(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    build = _for_change(_conference_id(turn.action), lambda b: views.reschedule_modal(b, zone, locale))
    _open_loaded(turn, t("conferences.reschedule.title", locale), build)


def open_cancel(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    build = _for_change(_conference_id(turn.action), lambda b: views.cancel_modal(b, zone, locale))
    _open_loaded(turn, t("conferences.cancel.title", locale), build)


def open_record(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    build = _for_change(_conference_id(turn.action), lambda b: views.record_modal(b, zone, locale))
    _open_loaded(turn, t("conferences.record.title", locale), build)


# ------------------------------------------------------------------ submissions (in the ack)


def submit_schedule(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)

    def work(db: Session, ctx: Ctx, form: forms.ScheduleForm) -> dict[str, object]:
        participants = staff.staff_ids_for(db, form.participant_users, "participant_ids", forms.not_staff)
        chair = (
            staff.staff_ids_for(db, [form.chair_user], "chair_id", forms.not_staff) if form.chair_user else []
        )
        data = form.data.model_copy(
            update={"participant_ids": participants, "chair_id": chair[0] if chair else None}
        )
        try:
            scheduled = conferences.schedule(db, ctx, data)
        except InvalidInput as error:
            error.errors = forms.Rows("cases", form.case_rows).to_blocks(error.errors)
            raise  # the same exception: a refusal among them is still audited by the unit of work
        briefs = [conferences.brief(db, conference) for conference in scheduled]
        lines = views.scheduled_lines(briefs, zone, locale)
        asked = [n.code for n in conferences.pending_requests(db, [briefs[0].id], ctx.today)]
        if asked:
            lines.append(t("conferences.request.asked", locale, codes=", ".join(asked)))
        return {"lines": lines, "ids": [b.id for b in briefs]}

    outcome = submit_once(
        turn,
        blocks=forms.SCHEDULE_BLOCKS,
        aliases=forms.SCHEDULE_ALIASES,
        parse=lambda form, ctx: forms.parse_schedule(form, zone),
        work=work,
    )
    if outcome is not None:
        result, first_time = outcome
        lines = [str(line) for line in result["lines"]]  # type: ignore[attr-defined]
        turn.ack(response_action="update", view=views.done_modal(locale, lines))
        if first_time:
            turn.pass_on(conference_ids=result["ids"])


def submit_agenda(turn: Turn) -> None:
    locale = turn.locale
    conference_id = _conference_id(turn.view, "private_metadata")

    def work(db: Session, ctx: Ctx, form: forms.AddCasesForm) -> dict[str, object]:
        try:
            conference = conferences.add_cases(db, ctx, conference_id, form.cases)
        except InvalidInput as error:
            error.errors = forms.Rows("cases", form.case_rows).to_blocks(error.errors)
            raise
        asked = [n.code for n in conferences.pending_requests(db, [conference.id], ctx.today)]
        added = [entry.code for entry in form.cases if entry.code not in asked]
        return {"codes": added, "asked": asked, "id": conference.id}

    outcome = submit_once(
        turn,
        blocks=forms.AGENDA_BLOCKS,
        aliases=forms.AGENDA_ALIASES,
        parse=lambda form, ctx: forms.parse_add_cases(form),
        work=work,
    )
    if outcome is not None:
        result, first_time = outcome
        codes = ", ".join(str(code) for code in result["codes"])  # type: ignore[attr-defined]
        lines = [t("conferences.done.added", locale, codes=codes)] if codes else []
        asked = ", ".join(str(code) for code in result.get("asked") or [])  # type: ignore[attr-defined]
        if asked:
            lines.append(t("conferences.request.asked", locale, codes=asked))
        turn.ack(response_action="update", view=views.done_modal(locale, lines))
        if first_time:
            turn.pass_on(conference_ids=[result["id"]])


def ask_supervisors(turn: Turn) -> None:
    """A DM to each supervisor of the team of a case asked onto an integrated conference: the code,
    the conference and agree/refuse buttons. One failed DM does not keep the others from theirs."""
    outcome = turn.outcome
    if outcome is None or turn.actor is None:
        return
    zone, today = _zone(turn), turn.ctx(Surface.MODAL).today
    with turn.uow() as db:
        notices = conferences.pending_requests(db, [int(i) for i in outcome["conference_ids"]], today)
    for notice in notices:
        for user, stored_locale in notice.supervisors:
            locale = stored_locale or user_locale(turn.client, user, turn.deps.settings.default_locale)
            text, blocks = views.agenda_request_dm(notice, zone, locale)
            try:
                dm(turn.client, user, text, blocks)
            except SlackApiError as error:
                log.warning("agenda request DM for %s failed: %s", notice.code, error.response.get("error"))


def agenda_agree(turn: Turn) -> None:
    _decide(turn, agree=True)


def agenda_refuse(turn: Turn) -> None:
    _decide(turn, agree=False)


def _decide(turn: Turn, *, agree: bool) -> None:
    """The supervisor's answer, from the DM or the App Home; the DM (or the Home) says what was decided,
    and the conference's chair is told by DM. A refusal of the rules (not the case's supervisor, no
    third-party consent) is told privately (bot.listeners)."""
    if turn.actor is None:
        return
    ref = AgendaRequestRef.read(turn.action.get("value"))
    request_id = ref.request_id if ref else 0  # no request has id 0: the core's "not found"
    with turn.uow() as db:
        decision = conferences.decide_request(db, turn.ctx(Surface.BUTTON), request_id, agree=agree)
    _tell_chair(turn, decision)
    text = views.agenda_decision_text(decision, _zone(turn), turn.locale)
    if turn.from_home:
        publish_home(turn, page=0)  # the request leaves the Home's list
        turn.tell(text)
        return
    if turn.answer_in_place(text, [section(text)]):
        return
    message, channel = turn.body.get("message"), clicked_in(turn.body)
    if message and channel:
        try:
            turn.client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=[section(text)])
            return
        except SlackApiError as error:
            log.warning("could not update the agenda request DM: %s", error.response.get("error"))
    turn.tell(text)


def _tell_chair(turn: Turn, decision: conferences.AgendaDecision) -> None:
    """The chair hears of a decision taken now: the case code and the conference's date only."""
    if decision.chair is None:
        return
    user, stored_locale = decision.chair
    locale = stored_locale or user_locale(turn.client, user, turn.deps.settings.default_locale)
    text = views.agenda_chair_text(decision, _zone(turn), locale)
    try:
        dm(turn.client, user, text, [section(text)])
    except SlackApiError as error:
        log.warning("agenda decision DM for %s failed: %s", decision.code, error.response.get("error"))


def submit_reschedule(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    conference_id = _conference_id(turn.view, "private_metadata")

    def work(db: Session, ctx: Ctx, data: RescheduleInput) -> dict[str, object]:
        conference = conferences.reschedule(db, ctx, conference_id, data)
        text = t(
            "conferences.done.rescheduled",
            locale,
            type=conference.conference_type.label(locale),
            when=views.when(conference.scheduled_at, zone, locale),
        )
        return {"lines": [text]}

    _submit_and_show(
        turn, forms.RESCHEDULE_BLOCKS, lambda form, ctx: forms.parse_reschedule(form, zone), work
    )


def submit_cancel(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    conference_id = _conference_id(turn.view, "private_metadata")

    def work(db: Session, ctx: Ctx, form: forms.CancelForm) -> dict[str, object]:
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

    _submit_and_show(turn, forms.CANCEL_BLOCKS, lambda form, ctx: forms.parse_cancel(form), work)


def submit_record(turn: Turn) -> None:
    locale, zone = turn.locale, _zone(turn)
    meta = ConferenceRecord.read(turn.view.get("private_metadata"))
    # The agenda's case codes the modal was built with, one decision each; none found for junk.
    conference_id, codes = (meta.conference_id, meta.codes) if meta else (0, [])

    def work(db: Session, ctx: Ctx, form: forms.RecordForm) -> dict[str, object]:
        try:
            data = forms.outcome_input(db, form)
            conference = conferences.record_outcome(db, ctx, conference_id, data)
        except InvalidInput as error:
            error.errors = form.to_blocks(error.errors)
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
        turn, forms.record_blocks(codes), lambda form, ctx: forms.parse_record(form, codes), work
    )


def _submit_and_show(
    turn: Turn,
    blocks: list[str],
    parse: Callable[[dict[str, Any], Ctx], Any],
    work: Callable[[Session, Ctx, Any], dict[str, object]],
) -> None:
    outcome = submit_once(turn, blocks=blocks, parse=parse, work=work)
    if outcome is not None:
        result, _ = outcome
        lines = [str(line) for line in result["lines"]]  # type: ignore[attr-defined]
        turn.ack(response_action="update", view=views.done_modal(turn.locale, lines))


# ------------------------------------------------------------------ action items


def _item_id(action: dict) -> int:
    ref = ActionItemRef.read(action.get("value"))
    return ref.item_id if ref else 0  # no item has id 0: the core's "not found"


def _item_modal(item: conferences.ActionItemDetail, zone: ZoneInfo, locale: str) -> dict:
    return views.action_item_modal(
        item_id=item.id,
        description=item.description,
        code=item.code,
        due=item.due_date,
        owner=item.owner,
        status=item.status,
        conference=item.conference,
        zone=zone,
        locale=locale,
    )


def item_show(turn: Turn) -> None:
    locale, zone, item_id = turn.locale, _zone(turn), _item_id(turn.action)

    def build(db: Session, ctx: Ctx) -> dict:
        return _item_modal(conferences.action_item_detail(db, ctx, item_id), zone, locale)

    _open_loaded(turn, t("conferences.item.title", locale), build)


def item_done(turn: Turn) -> None:
    """Done from the nudge (the message says so) or from the item's modal (shown again, done).
    A refusal or an unknown item is told to the person privately (bot.listeners)."""
    _record_item(turn, TaskStatus.DONE)


def item_dropped(turn: Turn) -> None:
    """The chair records that an outside owner's action item will not be done (the nudges stop)."""
    _record_item(turn, TaskStatus.CANCELLED)


def _record_item(turn: Turn, status: TaskStatus) -> None:
    if turn.actor is None:
        return
    locale, zone, item_id = turn.locale, _zone(turn), _item_id(turn.action)
    ctx = turn.ctx(Surface.BUTTON)
    view = turn.view
    with turn.uow() as db:
        done = conferences.mark_action_item_done(db, ctx, item_id, status)
        shown = conferences.action_item_detail(db, ctx, item_id) if view else None
    if view and shown is not None:
        turn.client.views_update(view_id=view["id"], view=_item_modal(shown, zone, locale))
        return
    what = f"{done.conference.conference_type.label(locale)} {done.due_date.isoformat()}"
    key = "conferences.item.done_text" if done.status == TaskStatus.DONE else "conferences.item.dropped_text"
    text = t(key, locale, what=what)
    message, channel = turn.body.get("message"), clicked_in(turn.body)
    if turn.answer_in_place(text, [section(text)]):
        return  # the nudge says the item is done
    if message and channel:
        try:
            turn.client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=[section(text)])
            return
        except Exception as error:  # the item is done; say so another way
            log.warning("could not update the action-item nudge\n%s", loggable(error))
    if done.status == TaskStatus.DONE:
        turn.tell(t("conferences.done.item_done", locale, what=what))
    else:
        turn.tell(text)
