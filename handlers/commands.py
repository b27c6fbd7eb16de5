"""`/case` and its subcommands. English words are the stable grammar; Korean aliases are accepted.

Each dialogue module registers its own subcommands with `on.subcommand` in its `register(on)`.
The ack answers what needs no data (help, an unknown word, a stranger); the subcommand runs lazily.
"""

from __future__ import annotations

from bot.i18n import t
from bot.listeners import Listeners, Turn
from bot.views.messages import case_list_blocks, help_blocks
from bot.views.show import show_modal
from handlers.common import Invocation
from models.services import desk

COMMAND = "/case"
LIST_SIZE = 40  # a message holds 50 blocks; the App Home pages through the rest


def register(on: Listeners) -> None:
    def words_of(turn: Turn) -> tuple[str, list[str]]:
        return parse(turn.body)

    def parse(body: dict) -> tuple[str, list[str]]:
        words = (body.get("text") or "").split()
        sub = on.aliases.get(words[0], words[0]) if words else "help"
        return sub, words[1:]

    def answered_in_the_ack(body: dict) -> bool:
        """Help and unknown words need no lazy work: no copy of the request is made for it (Bolt copies
        the whole request for every lazy function it starts)."""
        sub, _ = parse(body)
        return sub == "help" or sub not in on.subcommands

    def acknowledge(turn: Turn) -> None:
        sub, _ = words_of(turn)
        # Answers that need no database go in the ack itself: Slack shows them to the asker only,
        # at once, without a Web API call.
        if turn.actor is None:
            return turn.ack(text=t("common.not_staff", turn.locale), response_type="ephemeral")
        if sub not in on.subcommands:
            return turn.ack(
                text=t("common.unknown_subcommand", turn.locale, sub=sub), response_type="ephemeral"
            )
        if sub == "help":
            return turn.ack(
                text=t("help.title", turn.locale), blocks=help_blocks(turn.locale), response_type="ephemeral"
            )
        turn.ack()  # within Slack's 3 seconds, before any database or Web API work

    def run_subcommand(turn: Turn) -> None:
        sub, args = words_of(turn)
        handler = on.subcommands.get(sub)
        if sub == "help" or handler is None or turn.actor is None:
            return  # answered in the ack
        handler(Invocation(args, turn))  # a DomainError is told to the person (bot.listeners)

    on.command(COMMAND, ack=acknowledge, matchers=[answered_in_the_ack])  # first: Bolt tries in order
    on.command(COMMAND, ack=acknowledge, lazy=[run_subcommand])
    on.subcommand("help")(_help)
    on.subcommand("list")(_list)
    on.subcommand("show")(_show)


def _help(call: Invocation) -> None:  # answered in the ack; kept so that `help` is a known word
    call.reply(blocks=help_blocks(call.locale))


def _list(call: Invocation) -> None:
    with call.uow() as db:
        page = desk.my_desk(db, call.ctx(), page_size=LIST_SIZE)
    call.reply(
        blocks=case_list_blocks(page, call.locale),
        text=t("list.header", call.locale, count=sum(page.counts.values())),
    )


def _show(call: Invocation) -> None:
    """The case summary in a modal: private to the person allowed to see it, never a chat message.

    A refusal or an unknown code raises DomainError, which is told to the person privately.
    """
    code = call.code("show")
    if code is None:
        return
    with call.uow() as db:
        view = show_modal(desk.case_summary(db, call.ctx(), code), call.locale)
    call.open_modal(view)
