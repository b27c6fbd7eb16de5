"""`/case channel` (채널): a supervisor or admin links the channel it is run in to their team.

The team's morning board goes there (scheduler/board.py). `/case channel off` unlinks; run where
nothing changes (the linked channel itself, or a DM) it shows the current link. Anyone else gets a
plain refusal, recorded in the audit log by the unit of work.

The bot cannot see whether it is in the channel (no channels:read scope), so the answer asks the
linker to invite it; if a post then fails with not_in_channel, the team's supervisors and admins get
one DM that day (see scheduler/board.py for why a DM).
"""

from __future__ import annotations

from bot.i18n import t, words
from bot.listeners import Listeners
from bot.views.board import channel_reply
from handlers.common import Invocation
from models.errors import DomainError
from models.services import board

OFF_WORDS = frozenset(words("commands.words.channel_off"))


def register(on: Listeners) -> None:
    on.subcommand("channel")(channel_command)


def channel_command(call: Invocation) -> None:
    here = str(call.command.get("channel_id") or "")
    word = call.args[0].lower() if call.args else ""
    if word and word not in OFF_WORDS:
        return _answer(call, t("board.channel.usage", call.locale))
    ctx = call.ctx()
    try:
        with call.uow() as db:
            if word in OFF_WORDS:
                link = board.link_channel(db, ctx, None)
            elif board.CHANNEL_ID.match(here):
                link = board.link_channel(db, ctx, here)
            else:  # a DM: nothing to link, show what is linked
                link = board.channel_link(db, ctx)
    except DomainError as error:  # a refusal (audited by the unit of work) or a channel that cannot be linked
        return _answer(call, error.text(call.locale))
    _answer(call, channel_reply(link.team_name, link.channel_id, link.previous, here, call.locale))


def _answer(call: Invocation, text: str) -> None:
    """Through the command's response_url: it reaches the person where the bot is not a member yet
    (the usual case when a new channel is linked)."""
    call.reply(text=text)
