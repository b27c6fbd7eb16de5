"""`/case audit` (열람기록): a supervisor reviews the access log of the team's cases (R9)."""

from __future__ import annotations

from datetime import timedelta

from bot.listeners import Listeners
from bot.views.access_log import access_review_modal
from handlers.common import Invocation
from models.services import access_review as audit

REVIEW_DAYS = 30  # R9: access is reviewed monthly


def register(on: Listeners) -> None:
    """Only the subcommand: the modal has no inputs."""
    on.subcommand("audit")(review_access)


def review_access(call: Invocation) -> None:
    """Refusals (not a supervisor) raise NotAllowed, which is told to the person privately."""
    ctx, locale = call.ctx(), call.locale  # the locale before the unit of work (remember_locale)
    with call.uow() as db:
        review = audit.team_review(db, ctx, ctx.now - timedelta(days=REVIEW_DAYS))
        view = access_review_modal(review, ctx.policy.zone, locale)
    call.open_modal(view)
