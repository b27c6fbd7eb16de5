"""School teams' practice beyond the consent and calendar rules: the Wee referral ladder.

Wee 클래스 → Wee 센터 → 가정형 Wee센터 → Wee 스쿨 (domain.md §6.3 [V2 S9]; models/profiles.py). A referral
to a Wee resource that ends (completed, or declined by the Wee resource) leaves the case manager a
suggestion to go one step up the ladder, naming the directory's resources at that step, for the case
where the need was not met: the worker judges that, the referral record does not say it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.enums import Profile, ReferralStatus, WeeLevel
from models.profiles import next_wee_level
from models.referral import Referral
from models.resource import Resource
from models.services.context import Ctx

# A referral that ends with the Wee resource's work done or refused by it; a client's refusal or a
# cancellation is no sign the next step is needed.
ENDED: frozenset[ReferralStatus] = frozenset({ReferralStatus.COMPLETED, ReferralStatus.DECLINED})


@dataclass(frozen=True)
class WeeStepUp:
    level: WeeLevel
    next: WeeLevel
    resources: list[str]  # the active resources at the next step, by name (may be empty)


def wee_step_up(db: Session, ctx: Ctx, referral: Referral) -> WeeStepUp | None:
    """The next step on the Wee ladder after this referral, if it is a school team's referral to a Wee
    resource that has just ended and a step above exists; else None."""
    level = referral.resource.wee_level
    if level is None or referral.status not in ENDED:
        return None
    case = db.get_one(Case, referral.case_id)
    if ctx.policy.team_profile(case.team) != Profile.SCHOOL:
        return None
    step = next_wee_level(level)
    if step is None:
        return None
    names = db.scalars(
        select(Resource.name)
        .where(Resource.active.is_(True), Resource.wee_level == step)
        .order_by(Resource.name)
    )
    return WeeStepUp(level, step, list(names))
