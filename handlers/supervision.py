"""슈퍼비전: `/case supervision @person` (슈퍼비전) opens the session form for a supervisor of the person's
team; its submission saves once. Refusals (not a supervisor, another team's worker) are told in words.
`/case supervision` alone, and the follow-up nudge's Open button, show the person's open follow-ups with
their words (a modal, never a message); Done marks one done from there or from the nudge."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import FollowUpRef, WorkerRef
from bot.views.blocks import section
from bot.views.supervision import (
    FOLLOW_UPS,
    SUPERVISION_BLOCKS,
    follow_up_blocks,
    follow_ups_modal,
    supervision_done_modal,
    supervision_modal,
)
from handlers.common import Invocation, submit_once
from models.enums import Surface
from models.errors import InvalidInput, Message, invalid_input_from
from models.schemas import FollowUpInput, SupervisionInput
from models.services import supervision
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.view(View.SUPERVISION, ack=submit_session)
    on.subcommand("supervision")(open_supervision)
    on.action(Action.OPEN_FOLLOW_UPS, lazy=[open_follow_ups])
    on.action(Action.FOLLOW_UP_DONE, lazy=[follow_up_done])


def open_supervision(call: Invocation) -> None:
    ctx = call.ctx()
    if not call.args:  # the person's own follow-ups (and those they gave)
        with call.uow() as db:
            items = supervision.open_follow_ups(db, ctx)
        call.open_modal(follow_ups_modal(items, call.locale, today=ctx.today))
        return
    with call.uow() as db:
        form = supervision.session_form(db, ctx, " ".join(call.args))
    call.open_modal(supervision_modal(form, call.locale, today=ctx.today))


def parse_session(form: dict[str, Any], ctx: Ctx) -> SupervisionInput:
    """The modal's values as the core's input. A follow-up needs its words and its due date together;
    each row's errors land under its own inputs."""
    errors: dict[str, Message] = {}
    follow_ups = []
    for number in range(1, FOLLOW_UPS + 1):
        text_block, due_block = follow_up_blocks(number)
        text, due = (form.get(text_block) or "").strip(), form.get(due_block)
        if not text and not due:
            continue
        if not text or not due:
            errors[text_block if not text else due_block] = Message("supervision.errors.need_both")
            continue
        try:
            follow_ups.append(FollowUpInput.model_validate({"number": number, "text": text, "due_on": due}))
        except ValidationError as error:
            for field, message in invalid_input_from(error).errors.items():
                errors.setdefault(due_block if field.startswith("due_on") else text_block, message)
    try:
        data = SupervisionInput.model_validate(
            {
                "held_on": form.get("held_on"),
                "case_codes": form.get("case_codes") or [],
                "issues": form.get("issues"),
                "guidance": form.get("guidance"),
            }
        )
    except ValidationError as error:
        raise InvalidInput({**invalid_input_from(error).errors, **errors}) from None
    if errors:
        raise InvalidInput(errors)
    return data.model_copy(update={"follow_ups": follow_ups})


def submit_session(turn: Turn) -> None:
    """The ack: field errors (a date in the future, a follow-up due before the session, no issues or
    guidance, a case not offered), a refusal under the first field, or the done modal."""
    ref = WorkerRef.read(turn.view.get("private_metadata"))
    worker_id = ref.worker if ref else 0  # a forged or stale view: "no such staff member"

    def work(db: Session, ctx: Ctx, data: SupervisionInput) -> dict[str, object]:
        session = supervision.record_session(db, ctx, worker_id, data)
        return {
            "name": session.worker.display_name,
            "held_on": session.held_on.isoformat(),
            "follow_ups": len(session.follow_ups),
        }

    outcome = submit_once(turn, blocks=SUPERVISION_BLOCKS, parse=parse_session, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(
        response_action="update",
        view=supervision_done_modal(
            turn.locale,
            str(result["name"]),
            date.fromisoformat(str(result["held_on"])),
            int(str(result["follow_ups"])),
        ),
    )


# ---------------------------------------------------------------- follow-ups read back and done


def open_follow_ups(turn: Turn) -> None:
    """The nudge's Open button: the follow-ups modal (the words shown to the person alone)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    ctx = turn.ctx(Surface.BUTTON)
    with turn.uow() as db:
        items = supervision.open_follow_ups(db, ctx)
    turn.client.views_open(
        trigger_id=turn.trigger_id, view=follow_ups_modal(items, turn.locale, today=ctx.today)
    )


def follow_up_done(turn: Turn) -> None:
    """Done from the follow-ups modal (shown again without it) or from the nudge (which then says done).
    A refusal or an unknown follow-up is told to the person privately (bot.listeners)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    ref = FollowUpRef.read(turn.action.get("value"))
    if ref is None:
        return
    ctx, locale, view = turn.ctx(Surface.BUTTON), turn.locale, turn.view
    with turn.uow() as db:
        done = supervision.complete_follow_up(db, ctx, ref.session_id, ref.number)
        items = supervision.open_follow_ups(db, ctx) if view else []
    if view:
        turn.client.views_update(view_id=view["id"], view=follow_ups_modal(items, locale, today=ctx.today))
        return
    text = t("supervision.nudge.done_text", locale, number=done.number, date=done.held_on.isoformat())
    if not turn.answer_in_place(text, [section(text)]):
        turn.tell(text)
