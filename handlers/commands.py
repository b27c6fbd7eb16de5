"""`/case` and its subcommands. English words are the stable grammar; Korean aliases are accepted."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.app import user_locale
from bot.i18n import t
from bot.views.messages import case_list_blocks, case_summary_blocks, help_blocks
from models.enums import Surface
from models.errors import DomainError
from models.services import cases

ALIASES = {"도움말": "help", "목록": "list", "보기": "show", "": "help"}


COMMAND = "/case"


def register(app: App) -> None:
    app.command(COMMAND)(handle_case)


def handle_case(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    ack()  # within Slack's 3 seconds, before any database or Web API work
    words = (command.get("text") or "").split()
    sub = ALIASES.get(words[0], words[0]) if words else "help"
    actor = context["actor"]
    locale = user_locale(client, context.user_id, context["locale"]) if actor else context["locale"]

    def reply(blocks: list[dict] | None = None, text: str = "") -> None:
        client.chat_postEphemeral(
            channel=command["channel_id"],
            user=context.user_id,
            text=text or t("help.title", locale),
            blocks=blocks,
        )

    if actor is None:
        return reply(text=t("common.not_staff", locale))
    handler: Callable[..., None] | None = SUBCOMMANDS.get(sub)
    if handler is None:
        return reply(text=t("common.unknown_subcommand", locale, sub=sub))
    try:
        handler(words[1:], context, locale, reply)
    except DomainError as error:
        reply(text=error.text(locale))


def _help(args: list[str], context: BoltContext, locale: str, reply: Callable[..., None]) -> None:
    reply(blocks=help_blocks(locale))


def _list(args: list[str], context: BoltContext, locale: str, reply: Callable[..., None]) -> None:
    ctx = context["ctx_for"](Surface.SLASH_COMMAND)
    with context["uow"]() as db:
        rows = [(case, cases.current_state(db, ctx, case)) for case in cases.my_cases(db, ctx)]
        blocks = case_list_blocks(rows, locale)
    reply(blocks=blocks, text=t("list.header", locale, count=len(rows)))


def _show(args: list[str], context: BoltContext, locale: str, reply: Callable[..., None]) -> None:
    if not args:
        return reply(text=t("common.need_code", locale, sub="show"))
    ctx = context["ctx_for"](Surface.SLASH_COMMAND)
    with context["uow"]() as db:
        view = cases.show(db, ctx, args[0])
        blocks = case_summary_blocks(view.case, view.state, locale)
        code = view.case.code
    reply(blocks=blocks, text=t("show.title", locale, code=code))


SUBCOMMANDS: dict[str, Callable[..., None]] = {"help": _help, "list": _list, "show": _show}
