"""`/case history CODE` (과정기록): the case's record read back in a modal, a section and a page at a time.

The subcommand opens the modal on the contact notes; the section and page buttons inside it update it
(views.update) in a lazy function. Every page is read through the access check and logged (R9); a
refusal (not of the case's circle) is told to the person privately by bot.listeners. Nothing of the
record is ever sent with chat.* methods.
"""

from __future__ import annotations

import re

from bot.ids import Action
from bot.listeners import Listeners, Turn
from bot.metadata import HistoryPage
from bot.views.history import history_modal
from handlers.common import Invocation
from models.enums import Surface
from models.services import case_file
from models.services.case_file import Section

PAGE_ACTION = re.compile(rf"^{re.escape(Action.HISTORY_PAGE)}\.[a-z]+$")


def register(on: Listeners) -> None:
    on.subcommand("history")(open_history)
    on.action(PAGE_ACTION, lazy=[turn_page])


def open_history(call: Invocation) -> None:
    code = call.code("history")
    if code is None:
        return
    ctx, locale = call.ctx(), call.locale
    with call.uow() as db:
        page = case_file.read_page(db, ctx, code, Section.NOTES)
    call.open_modal(history_modal(page, locale, ctx.policy.zone))


def turn_page(turn: Turn) -> None:
    """A section or page button inside the modal: the same modal, updated in place."""
    clicked = HistoryPage.read(turn.action.get("value"))
    view_id = turn.view.get("id")
    if clicked is None or turn.actor is None or not view_id:
        return
    ctx, locale = turn.ctx(Surface.MODAL), turn.locale
    with turn.uow() as db:
        page = case_file.read_page(db, ctx, clicked.code, clicked.section, clicked.page)
    turn.client.views_update(
        view_id=view_id, hash=turn.view.get("hash"), view=history_modal(page, locale, ctx.policy.zone)
    )
