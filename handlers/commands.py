"""`/case` and its subcommands. English words are the stable grammar; Korean aliases are accepted.

Each dialogue module registers its own subcommands with `handlers.common.subcommand`.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.views.messages import case_list_blocks, help_blocks
from handlers.common import ALIASES, SUBCOMMANDS, Invocation, subcommand
from models.errors import DomainError
from models.services import desk

COMMAND = "/case"
LIST_SIZE = 40  # a message holds 50 blocks; the App Home pages through the rest


def register(app: App) -> None:
    app.command(COMMAND)(handle_case)


def handle_case(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    words = (command.get("text") or "").split()
    sub = ALIASES.get(words[0], words[0]) if words else "help"
    locale = context["locale"]
    # Answers that need no database go in the ack itself: Slack shows them to the asker only,
    # at once, without a Web API call.
    if context["actor"] is None:
        return ack(text=t("common.not_staff", locale), response_type="ephemeral")
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        return ack(text=t("common.unknown_subcommand", locale, sub=sub), response_type="ephemeral")
    if sub == "help":
        return ack(text=t("help.title", locale), blocks=help_blocks(locale), response_type="ephemeral")
    ack()  # within Slack's 3 seconds, before any database or Web API work
    call = Invocation(words[1:], context, locale, client, command)
    try:
        handler(call)
    except DomainError as error:
        call.reply(text=error.text(call.locale))


@subcommand("help", "도움말")
def _help(call: Invocation) -> None:  # answered in the ack by handle_case; kept for the registry
    call.reply(blocks=help_blocks(call.locale))


@subcommand("list", "목록")
def _list(call: Invocation) -> None:
    call.later(lambda: _send_list(call))  # a message, no modal: other requests' acks go first


def _send_list(call: Invocation) -> None:
    ctx = call.ctx()
    with call.context["uow"]() as db:
        page = desk.my_desk(db, ctx, page_size=LIST_SIZE)
    call.reply(
        blocks=case_list_blocks(page, call.locale),
        text=t("list.header", call.locale, count=sum(page.counts.values())),
    )


@subcommand("show", "보기")
def _show(call: Invocation) -> None:
    """The case summary in a modal: private to the person allowed to see it, never a chat message.

    A refusal or an unknown code raises DomainError, which `handle_case` answers ephemerally.
    """
    code = call.code("show")
    if code is None:
        return
    from bot.views.show import show_modal
    from models.services import desk

    ctx = call.ctx()
    with call.context["uow"]() as db:
        view = show_modal(desk.case_summary(db, ctx, code), call.locale)
    call.open_modal(view)
