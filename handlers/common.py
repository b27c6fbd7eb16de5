"""What every dialogue shares: a `/case` call, payload readers and the one submission flow."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from slack_sdk import WebClient

from bot.errors import loggable
from bot.forms import read_state, slack_errors
from bot.i18n import t
from bot.listeners import Turn
from bot.metadata import CaseRef
from models.db import UnitOfWork
from models.enums import Surface
from models.errors import DomainError, InvalidInput, invalid_input_from
from models.services import idempotency
from models.services.access import case_code
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")
FormT = TypeVar("FormT", bound=BaseModel)


@dataclass(frozen=True)
class Invocation:
    """One `/case <sub> …` call, answered in the /case listener's lazy function."""

    args: list[str]
    turn: Turn

    @property
    def locale(self) -> str:
        return self.turn.locale

    @property
    def client(self) -> WebClient:
        return self.turn.client

    @property
    def command(self) -> dict:
        return self.turn.body

    @property
    def uow(self) -> UnitOfWork:
        return self.turn.uow

    def reply(self, blocks: list[dict] | None = None, text: str = "") -> None:
        """An ephemeral answer through the command's response_url: only the person who asked sees it,
        wherever they typed it (a channel without the bot, a DM between two people), and it leaves no
        history."""
        self.turn.tell(text or t("help.title", self.locale), blocks)

    def ctx(self) -> Ctx:
        return self.turn.ctx(Surface.SLASH_COMMAND)

    def code(self, sub: str) -> str | None:
        """The case code argument, or None after telling the user how to give it; NotFound (answered
        by the command) for an argument that is not shaped like a case code."""
        if not self.args:
            self.reply(text=t("common.need_code", self.locale, sub=sub))
            return None
        return case_code(self.args[0])

    def open_modal(self, view: dict) -> None:
        self.client.views_open(trigger_id=self.command["trigger_id"], view=view)


def open_for_clicked_case(turn: Turn, build: Callable[[Turn, Ctx, str], dict | str]) -> None:
    """A case button's dialogue (its value a `CaseRef`): pushed over the modal it was clicked in, else
    opened; a string from `build` is told privately instead, and so is a refusal (by bot.listeners)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return None
    view = build(turn, turn.ctx(Surface.BUTTON), clicked.code)
    if isinstance(view, str):
        return turn.tell(view)
    if turn.view.get("type") == "modal":
        turn.client.views_push(trigger_id=turn.trigger_id, view=view)  # a button inside another modal
    else:
        turn.client.views_open(trigger_id=turn.trigger_id, view=view)
    return None


def clicked_in(body: dict) -> str | None:
    """The channel of a clicked button (a message), or of the container (App Home has none)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def submit_once(
    turn: Turn,
    *,
    blocks: list[str],
    parse: Callable[[dict[str, Any], Ctx], FormT],
    work: Callable[[Session, Ctx, FormT], dict[str, object]],
    aliases: dict[str, str] | None = None,
) -> tuple[dict[str, object], bool] | None:
    """Parse, do the work once per view, and ack with field errors when anything is wrong.

    Returns (result, first_time) with nothing acked yet, so the caller renders its own answer;
    returns None when it has already answered with errors. The modal stays open with everything the
    user typed whenever the input is invalid, a rule refuses, or the database fails.
    """
    ack, view, locale = turn.ack, turn.view, turn.locale
    if turn.actor is None:
        ack(response_action="errors", errors={blocks[0]: t("common.not_staff", locale)})
        return None
    ctx = turn.ctx(Surface.MODAL)
    try:
        form = parse(read_state(view), ctx)
    except ValidationError as error:
        ack(response_action="errors", errors=slack_errors(invalid_input_from(error), locale, blocks, aliases))
        return None
    except InvalidInput as error:
        ack(response_action="errors", errors=slack_errors(error, locale, blocks, aliases))
        return None
    try:
        return idempotency.once(turn.uow, f"view:{view['id']}", lambda db: work(db, ctx, form))
    except InvalidInput as error:
        ack(response_action="errors", errors=slack_errors(error, locale, blocks, aliases))
    except DomainError as error:
        ack(response_action="errors", errors={blocks[0]: error.text(locale)[:2000]})
    except Exception as error:  # the database or anything else: keep the modal and what was typed
        reference = uuid.uuid4().hex[:8]
        log.error(
            "submission of %s failed, reference %s\n%s", view.get("callback_id"), reference, loggable(error)
        )
        ack(response_action="errors", errors={blocks[0]: t("common.save_failed", locale, ref=reference)})
    return None
