"""`/case` and its subcommands. English words are the stable grammar; Korean aliases are accepted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.views.intake import intake_modal
from bot.views.messages import case_list_blocks, case_summary_blocks, help_blocks
from models.enums import Surface
from models.errors import DomainError
from models.services import cases

COMMAND = "/case"
ALIASES = {"도움말": "help", "목록": "list", "보기": "show", "접수": "new", "신규": "new", "": "help"}


@dataclass(frozen=True)
class Invocation:
    args: list[str]
    context: BoltContext
    locale: str
    client: WebClient
    command: dict

    def reply(self, blocks: list[dict] | None = None, text: str = "") -> None:
        """An ephemeral answer: only the person who asked sees it, and it leaves no history."""
        self.client.chat_postEphemeral(
            channel=self.command["channel_id"],
            user=self.context.user_id,
            text=text or t("help.title", self.locale),
            blocks=blocks,
        )


def register(app: App) -> None:
    app.command(COMMAND)(handle_case)


def handle_case(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    ack()  # within Slack's 3 seconds, before any database or Web API work
    words = (command.get("text") or "").split()
    sub = ALIASES.get(words[0], words[0]) if words else "help"
    call = Invocation(words[1:], context, context["locale"], client, command)
    if context["actor"] is None:
        return call.reply(text=t("common.not_staff", call.locale))
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        return call.reply(text=t("common.unknown_subcommand", call.locale, sub=sub))
    try:
        handler(call)
    except DomainError as error:
        call.reply(text=error.text(call.locale))


def _help(call: Invocation) -> None:
    call.reply(blocks=help_blocks(call.locale))


def _new(call: Invocation) -> None:
    view = intake_modal(
        call.locale, call.context["policy"].profile, channel_id=call.command.get("channel_id")
    )
    call.client.views_open(trigger_id=call.command["trigger_id"], view=view)


def _list(call: Invocation) -> None:
    ctx = call.context["ctx_for"](Surface.SLASH_COMMAND)
    with call.context["uow"]() as db:
        rows = [(case, cases.current_state(db, ctx, case)) for case in cases.my_cases(db, ctx)]
        blocks = case_list_blocks(rows, call.locale)
    call.reply(blocks=blocks, text=t("list.header", call.locale, count=len(rows)))


def _show(call: Invocation) -> None:
    if not call.args:
        return call.reply(text=t("common.need_code", call.locale, sub="show"))
    ctx = call.context["ctx_for"](Surface.SLASH_COMMAND)
    with call.context["uow"]() as db:
        view = cases.show(db, ctx, call.args[0])
        blocks = case_summary_blocks(view.case, view.state, call.locale)
        code = view.case.code
    call.reply(blocks=blocks, text=t("show.title", call.locale, code=code))


SUBCOMMANDS: dict[str, Callable[[Invocation], None]] = {
    "help": _help,
    "new": _new,
    "list": _list,
    "show": _show,
}
