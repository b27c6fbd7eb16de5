"""`/case stats [YYYY-MM]` (통계): the team's monthly figures in a modal, for its supervisors."""

from __future__ import annotations

from bot.listeners import Listeners
from bot.views.stats import stats_modal
from handlers.common import Invocation
from models.services import stats


def register(on: Listeners) -> None:
    on.subcommand("stats")(open_stats)


def open_stats(call: Invocation) -> None:
    """A refusal (not a supervisor) or a malformed month is a DomainError, told privately in words."""
    with call.uow() as db:
        report = stats.team_month(db, call.ctx(), call.args[0] if call.args else None)
    call.open_modal(stats_modal(report, call.locale))
