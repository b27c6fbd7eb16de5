"""서비스 연계: referrals to resources. Sending needs third-party consent or a statutory basis (R5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from models.case import Case
from models.closure import AfterCareCheck
from models.consent import Consent
from models.enums import (
    OUTCOME_STATUSES,
    AfterCareAction,
    CaseStatus,
    ClientDeclineReason,
    ConsentScope,
    DeclineReason,
    LabeledEnum,
    ReferralStatus,
)
from models.errors import InvalidInput, Message, RuleViolation
from models.referral import Referral, UnmetNeed
from models.resource import Resource
from models.schemas import ReferralInput, ReferralOutcomeInput, check_free_text
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
# The reasons each decline is given with (catalog labels `enum.<Reason>.<code>`).
REASONS: dict[ReferralStatus, type[LabeledEnum]] = {
    S.DECLINED: DeclineReason,
    S.CLIENT_DECLINED: ClientDeclineReason,
}


def require_referable(db: Session, case: Case, aftercare_check_id: int | None = None) -> None:
    """A referral is made on an open case, or on a case in after-care (or closed by that check) from
    an after-care check of the case that found a resource to link (사후관리 LINK)."""
    if aftercare_check_id is None or case.status not in (CaseStatus.AFTERCARE, CaseStatus.CLOSED):
        require_open(case)
        return
    check = db.get(AfterCareCheck, aftercare_check_id)
    if (
        check is None
        or check.case_id != case.id
        or check.done_at is None
        or check.action != AfterCareAction.LINK
    ):
        raise RuleViolation("AFTERCARE_LINK", Message("referrals.errors.aftercare_link_only"))


def create(
    db: Session, ctx: Ctx, code: str, data: ReferralInput, *, aftercare_check_id: int | None = None
) -> Referral:
    case = access.load_case(db, ctx, code, purpose="refer")
    require_referable(db, case, aftercare_check_id)
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
        aftercare_check_id=aftercare_check_id if case.status != CaseStatus.OPEN else None,
        **data.model_dump(),
    )
    db.add(referral)
    db.flush()
    origin = {"aftercare": True} if referral.aftercare_check_id is not None else {}
    case_changed(db, ctx, case, "referral_created", referral=referral.id, resource=resource.id, **origin)
    return referral


def _load(db: Session, ctx: Ctx, referral_id: int) -> tuple[Case, Referral]:
    return access.load_record(
        db,
        ctx,
        Referral,
        referral_id,
        Message("referrals.errors.no_referral"),
        purpose="update referral",
    )


def move(
    db: Session, ctx: Ctx, referral_id: int, to: ReferralStatus, *, outcome: str | None = None
) -> Referral:
    """A move without an outcome dialogue (sending, cancelling, and the others from the core); the
    declines need their reason (`record_outcome`)."""
    case, referral = _load(db, ctx, referral_id)
    if to in REASONS and to in TRANSITIONS[referral.status]:
        raise InvalidInput({"outcome_reason": Message("referrals.errors.reason_needed")})
    return _move(db, ctx, case, referral, to, outcome=outcome)


def outcome_target(db: Session, ctx: Ctx, referral_id: int, to: ReferralStatus) -> ReferralSummary:
    """The referral an outcome dialogue is opened for, once the person may move it there (refused at
    the click, not after the form is filled)."""
    _, referral = _load(db, ctx, referral_id)
    if to not in OUTCOME_STATUSES or to not in TRANSITIONS[referral.status]:
        raise RuleViolation(
            "REFERRAL_TRANSITION",
            Message("referrals.errors.referral_go_from", status=referral.status, to=to),
        )
    return summary(db, referral)


def record_outcome(db: Session, ctx: Ctx, referral_id: int, data: ReferralOutcomeInput) -> Referral:
    """The outcome dialogue: the move with its date and note; a decline with its reason (and a note for
    the agency's decline); a decline with no alternative resource records an unmet need."""
    case, referral = _load(db, ctx, referral_id)
    if data.to not in OUTCOME_STATUSES or data.to not in TRANSITIONS[referral.status]:
        raise RuleViolation(
            "REFERRAL_TRANSITION",
            Message("referrals.errors.referral_go_from", status=referral.status, to=data.to),
        )
    errors: dict[str, Message] = {}
    reasons = REASONS.get(data.to)
    if reasons is not None and not data.reason:
        errors["outcome_reason"] = Message("referrals.errors.reason_needed")
    elif reasons is not None and data.reason not in {r.value for r in reasons}:
        errors["outcome_reason"] = Message("referrals.errors.reason_from_list")
    elif reasons is None and data.reason:
        errors["outcome_reason"] = Message("referrals.errors.reason_not_for_status")
    if data.to == S.DECLINED and not data.note:
        errors["outcome_note"] = Message("referrals.errors.decline_note_needed")
    if data.no_alternative and data.to != S.DECLINED:
        errors["no_alternative"] = Message("referrals.errors.no_alternative_declined_only")
    if data.on > ctx.today:
        errors["outcome_on"] = Message("referrals.errors.outcome_in_future")
    elif referral.sent_at is not None and data.on < referral.sent_at.astimezone(ctx.policy.zone).date():
        errors["outcome_on"] = Message("referrals.errors.outcome_before_sent")
    if errors:
        raise InvalidInput(errors)
    referral.outcome_on = data.on
    referral.outcome_reason = data.reason
    if data.no_alternative:
        referral.no_alternative = True
        db.add(
            UnmetNeed(
                case_id=case.id,
                referral_id=referral.id,
                domain=referral.domain,
                category=referral.resource.category,
                recorded_on=data.on,
                recorded_by_id=ctx.actor.id,
                recorded_at=ctx.now,
            )
        )
    return _move(db, ctx, case, referral, data.to, outcome=data.note, unmet_need=data.no_alternative)


def _move(
    db: Session,
    ctx: Ctx,
    case: Case,
    referral: Referral,
    to: ReferralStatus,
    *,
    outcome: str | None = None,
    unmet_need: bool = False,
) -> Referral:
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
    # Codes only in the timeline: the note and the reason stay in the referral's encrypted columns.
    event = {"referral": referral.id, "previous": previous.value, "to": to.value}
    case_changed(db, ctx, case, "referral_moved", **event, **({"unmet_need": True} if unmet_need else {}))
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
