"""`/case audit` (열람기록): a supervisor reviews the access log of the team's cases (R9)."""

from __future__ import annotations

from datetime import timedelta

from bot.views.access_log import access_review_modal
from handlers.common import Invocation, subcommand
from models.services import access_review as audit

REVIEW_DAYS = 30  # R9: access is reviewed monthly


@subcommand("audit", "열람기록")
def review_access(call: Invocation) -> None:
    """Refusals (not a supervisor) raise NotAllowed, which the /case handler answers privately."""
    ctx = call.ctx()
    with call.context["uow"]() as db:
        review = audit.team_review(db, ctx, ctx.now - timedelta(days=REVIEW_DAYS))
        view = access_review_modal(review, ctx.policy.zone, call.locale)
    call.open_modal(view)


def register(app) -> None:  # type: ignore[no-untyped-def]
    """Nothing beyond the subcommand: the modal has no inputs."""
