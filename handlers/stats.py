"""`/case stats [YYYY-MM]` (통계): the team's monthly figures in a modal, for its supervisors; its button
gives the same figures as a workbook through a one-time link to Casebot's own server (never through
Slack: a file shared in Slack would stay in the workspace's files, out of the agency's hands)."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import Action
from bot.listeners import Listeners, Turn
from bot.metadata import StatsMonth
from bot.views.history import PRINT_PATH
from bot.views.stats import download_modal, stats_modal
from handlers.common import Invocation
from models.enums import Surface
from models.services import forms, stats


def register(on: Listeners) -> None:
    on.subcommand("stats")(open_stats)
    on.action(Action.STATS_DOWNLOAD, lazy=[download_link])


def open_stats(call: Invocation) -> None:
    """A refusal (not a supervisor) or a malformed month is a DomainError, told privately in words."""
    with call.uow() as db:
        report = stats.team_month(db, call.ctx(), call.args[0] if call.args else None)
    call.open_modal(stats_modal(report, call.locale))


def download_link(turn: Turn) -> None:
    """The modal's button: a link for this supervisor alone, pushed over the figures; without a reachable
    address (PUBLIC_URL), how to make the workbook on the server. A refusal is told privately."""
    clicked = StatsMonth.read(turn.action.get("value"))
    if clicked is None or turn.actor is None or not turn.user_id:
        return
    locale, settings, ctx = turn.locale, turn.deps.settings, turn.ctx(Surface.BUTTON)
    if not settings.public_url:
        with turn.uow() as db:
            period, team = stats.month_and_team(db, ctx, clicked.month)
        text = t(
            "stats.download.no_address",
            locale,
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            team=team or "",
        )
    else:
        with turn.uow() as db:
            token, month = forms.issue_stats_link(db, ctx, clicked.month, locale)
        url = f"{settings.public_url.rstrip('/')}{PRINT_PATH}{token}?user={turn.user_id}"
        text = t("stats.download.ready", locale, period=month, url=url)
    turn.client.views_push(trigger_id=turn.trigger_id, view=download_modal(locale, text))
