"""서비스 연계: referrals to resources. Sending needs third-party consent or a statutory basis (R5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from models.case import Case
from models.consent import Consent
from models.enums import ConsentScope, ReferralStatus
from models.errors import InvalidInput, Message, RuleViolation
from models.referral import Referral
from models.resource import Resource
from models.schemas import ReferralInput, check_free_text
from models.services import access
from models.services.cases import require_open
from models.services.changes import case_changed
from models.services.consents import third_party_consent_for
from models.services.context import Ctx
from models.services.lifecycle import snapshot

S = ReferralStatus
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.DRAFT: frozenset({S.AWAITING_CONSENT, S.SENT, S.CANCELLED}),
    S.AWAITING_CONSENT: frozenset({S.SENT, S.CANCELLED, S.CLIENT_DECLINED}),
    S.SENT: frozenset(
        {S.ACKNOWLEDGED, S.WAITLISTED, S.IN_SERVICE, S.DECLINED, S.CLIENT_DECLINED, S.CANCELLED}
    ),
    S.ACKNOWLEDGED: frozenset({S.WAITLISTED, S.IN_SERVICE, S.DECLINED, S.CLIENT_DECLINED, S.CANCELLED}),
    S.WAITLISTED: frozenset({S.IN_SERVICE, S.DECLINED, S.CLIENT_DECLINED, S.CANCELLED}),
    S.IN_SERVICE: frozenset({S.COMPLETED, S.CLIENT_DECLINED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.DECLINED: frozenset(),
    S.CLIENT_DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
}

NO_THIRD_PARTY_CONSENT = Message("referrals.errors.no_third_party_consent")


def create(db: Session, ctx: Ctx, code: str, data: ReferralInput) -> Referral:
    case = access.load_case(db, ctx, code, purpose="refer")
    require_open(case)
    if snapshot(db, case).active_consent(ConsentScope.COLLECT_USE, ctx.today) is None:
        raise RuleViolation(
            "R2",
            Message("referrals.errors.consent_collection_use_comes"),
        )
    resource = db.get(Resource, data.resource_id)
    if resource is None or not resource.active:
        raise InvalidInput({"resource_id": Message("referrals.errors.choose_resource_from_directory")})
    if data.consent_id is not None:
        consent = db.get(Consent, data.consent_id)
        if consent is None or consent.case_id != case.id or consent.scope != ConsentScope.THIRD_PARTY:
            raise InvalidInput({"consent_id": Message("referrals.errors.choose_third_party_consent")})
    referral = Referral(
        case_id=case.id,
        episode=case.episode,
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
        **data.model_dump(),
    )
    db.add(referral)
    db.flush()
    case_changed(db, ctx, case, "referral_created", referral=referral.id, resource=resource.id)
    return referral


def move(
    db: Session, ctx: Ctx, referral_id: int, to: ReferralStatus, *, outcome: str | None = None
) -> Referral:
    case, referral = access.load_record(
        db,
        ctx,
        Referral,
        referral_id,
        Message("referrals.errors.no_referral"),
        purpose="update referral",
    )
    check_free_text("outcome", outcome)
    if to not in TRANSITIONS[referral.status]:
        raise RuleViolation(
            "REFERRAL_TRANSITION",
            Message("referrals.errors.referral_go_from", status=referral.status, to=to),
        )
    if to == ReferralStatus.SENT:
        access.require_lead(ctx, case, "send_referral")
        _require_basis_to_send(db, ctx, case, referral)
        referral.sent_at = ctx.now
        referral.response_due = ctx.today + timedelta(days=ctx.policy.cadences.referral_response_days)
    previous = referral.status
    referral.status = to
    if outcome is not None:
        referral.outcome = outcome
    case_changed(db, ctx, case, "referral_moved", referral=referral.id, previous=previous.value, to=to.value)
    return referral


def _require_basis_to_send(db: Session, ctx: Ctx, case: Case, referral: Referral) -> None:
    if referral.statutory_basis is not None:
        return
    if referral.consent_id is not None:
        consent = db.get(Consent, referral.consent_id)
        if (
            consent
            and consent.active_on(ctx.today)
            and referral.resource_id in (consent.recipient_resource_ids or [])
        ):
            return
    found = third_party_consent_for(db, case, referral.resource_id, ctx)
    if found is None:
        raise RuleViolation("R5", NO_THIRD_PARTY_CONSENT)
    referral.consent_id = found.id


@dataclass(frozen=True)
class ReferralSummary:
    """What a referral message shows and who gets it, as plain values."""

    referral_id: int
    code: str
    resource: str
    status: ReferralStatus
    response_due: date | None
    manager: str | None  # the case manager's Slack id; None once they are no longer active
    manager_locale: str | None


def summary(db: Session, referral: Referral) -> ReferralSummary:
    """The referral with its case's code, its agency's name and its case manager."""
    case = db.get_one(Case, referral.case_id)
    manager = case.case_manager
    return ReferralSummary(
        referral_id=referral.id,
        code=case.code,
        resource=referral.resource.name,
        status=referral.status,
        response_due=referral.response_due,
        manager=manager.slack_user_id if manager.active else None,
        manager_locale=manager.locale,
    )
