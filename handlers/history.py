"""`/case history CODE` (과정기록): the case's record read back in a modal, a section and a page at a time.

The subcommand opens the modal on the contact notes; the section and page buttons inside it update it
(views.update) in a lazy function. Every page is read through the access check and logged (R9); a
refusal (not of the case's circle) is told to the person privately by bot.listeners. Nothing of the
record is ever sent with chat.* methods.
"""

from __future__ import annotations

import re

from bot.i18n import t
from bot.ids import Action
from bot.listeners import Listeners, Turn
from bot.metadata import CaseInChannel, HistoryPage, PrintRequest
from bot.views.history import PRINT_PATH, history_modal
from handlers.common import Invocation
from models.enums import Surface
from models.services import case_file, forms
from models.services.case_file import Section

PAGE_ACTION = re.compile(rf"^{re.escape(Action.HISTORY_PAGE)}\.[a-z]+$")
PRINT_ACTION = re.compile(rf"^{re.escape(Action.PRINT_FORM)}\.[a-z]+$")


def register(on: Listeners) -> None:
    on.subcommand("history")(open_history)
    on.action(PAGE_ACTION, lazy=[turn_page])
    on.action(PRINT_ACTION, lazy=[print_link])


def open_history(call: Invocation) -> None:
    code = call.code("history")
    if code is None:
        return
    ctx, locale = call.ctx(), call.locale
    with call.uow() as db:
        page = case_file.read_page(db, ctx, code, Section.NOTES)
    call.open_modal(history_modal(page, locale, ctx.policy.zone, channel=call.command.get("channel_id")))


def turn_page(turn: Turn) -> None:
    """A section or page button inside the modal: the same modal, updated in place."""
    clicked = HistoryPage.read(turn.action.get("value"))
    view_id = turn.view.get("id")
    if clicked is None or turn.actor is None or not view_id:
        return
    ctx, locale = turn.ctx(Surface.MODAL), turn.locale
    with turn.uow() as db:
        page = case_file.read_page(db, ctx, clicked.code, clicked.section, clicked.page)
    view = history_modal(page, locale, ctx.policy.zone, channel=_channel_of(turn))
    turn.client.views_update(view_id=view_id, hash=turn.view.get("hash"), view=view)


def _channel_of(turn: Turn) -> str | None:
    """Where `/case history` was typed, kept in the modal's metadata."""
    meta = CaseInChannel.read(turn.view.get("private_metadata"))
    return meta.channel if meta else None


def print_link(turn: Turn) -> None:
    """A one-time link to the form on Casebot's own HTTP server, for the person who asked only (ephemeral
    where they typed `/case history`, else in the bot's DM); the PDF never passes through Slack. Without
    a reachable address (PUBLIC_URL) the answer says how to print from the command line."""
    clicked = PrintRequest.read(turn.action.get("value"))
    if clicked is None or turn.actor is None or not turn.user_id:
        return
    locale, settings = turn.locale, turn.deps.settings
    form = t(f"forms.title.{clicked.form.value}", locale)
    if not settings.public_url:
        text = t("forms.link.no_address", locale, code=clicked.code, form=clicked.form.value)
    else:
        with turn.uow() as db:
            token = forms.issue_link(db, turn.ctx(Surface.BUTTON), clicked.code, clicked.form, locale)
        url = f"{settings.public_url.rstrip('/')}{PRINT_PATH}{token}?user={turn.user_id}"
        text = t("forms.link.ready", locale, form=form, code=clicked.code, url=url)
    channel = _channel_of(turn)
    if channel:
        turn.client.chat_postEphemeral(channel=channel, user=turn.user_id, text=text)
    else:
        turn.tell(text)
