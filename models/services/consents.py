"""Consents: one record per scope (R3); withdrawal stops what depends on it (R13)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.conference import CaseConference, ConferenceCase
from models.consent import Consent
from models.enums import ConferenceStatus, ConsentScope, ReferralStatus, SignerRelationship
from models.errors import InvalidInput, Message, RuleViolation
from models.referral import Referral
from models.resource import Resource
from models.schemas import ConsentInput
from models.services import access, guardians, strict
from models.services.changes import case_changed
from models.services.context import Ctx


def add_consent(db: Session, ctx: Ctx, case: Case, data: ConsentInput) -> Consent:
    """Record a consent on a case the caller has already loaded through access."""
    strict.check_consent(ctx, data)  # strict mode: the signed form and its name stay in the system of record
    guardians.check_signer(case, data)  # R12: never signed by a guardian marked as the alleged abuser
    if case.client.under14 and (
        data.signer_relationship == SignerRelationship.SELF or not data.guardian_verified
    ):
        # R7: under 14, the legal representative consents and the representation is verified.
        raise InvalidInput(
            {"signer_relationship": Message("consents.errors.under_verified_legal_representative")}
        )
    consent = Consent(case_id=case.id, recorded_by_id=ctx.actor.id, **data.model_dump())
    db.add(consent)
    db.flush()
    case_changed(db, ctx, case, "consent_recorded", consent=consent.id, scope=data.scope.value)
    return consent


def record_consent(db: Session, ctx: Ctx, code: str, data: ConsentInput) -> Consent:
    case = access.load_case(db, ctx, code, purpose="record consent")
    return add_consent(db, ctx, case, data)


def withdraw_consent(db: Session, ctx: Ctx, consent_id: int) -> list[Referral]:
    """Withdraw a consent; referrals that relied on it and are still under way are cancelled."""
    case, consent = access.load_record(
        db,
        ctx,
        Consent,
        consent_id,
        Message("consents.errors.no_consent_record"),
        purpose="withdraw consent",
    )
    if consent.withdrawn_at is not None:
        raise RuleViolation("CONSENT_WITHDRAWN", Message("consents.errors.consent_already_withdrawn"))
    consent.withdrawn_at = ctx.now
    stopped: list[Referral] = []
    unshared: list[int] = []
    if consent.scope == ConsentScope.THIRD_PARTY:
        for referral in db.scalars(select(Referral).where(Referral.consent_id == consent.id)):
            if not referral.status.terminal and referral.statutory_basis is None:
                referral.status = ReferralStatus.CANCELLED
                stopped.append(referral)
        db.flush()
        unshared = _stop_external_sharing(db, case, ctx)
    case_changed(
        db,
        ctx,
        case,
        "consent_withdrawn",
        consent=consent.id,
        scope=consent.scope.value,
        cancelled_referrals=[r.id for r in stopped],
        removed_from_conferences=unshared,
    )
    return stopped


def _stop_external_sharing(db: Session, case: Case, ctx: Ctx) -> list[int]:
    """Take the case off the agenda of coming conferences whose outside members no consent covers any
    more; returns those conferences' ids."""
    removed = []
    entries = db.scalars(
        select(ConferenceCase)
        .join(CaseConference, CaseConference.id == ConferenceCase.conference_id)
        .where(
            ConferenceCase.case_id == case.id,
            CaseConference.status == ConferenceStatus.SCHEDULED,
            CaseConference.scheduled_at > ctx.now,
        )
    )
    for entry in list(entries):
        organisations = [p.organisation or "" for p in entry.conference.participants if p.external]
        if any(sharing_consent_for(db, case, o, ctx.today) is None for o in organisations):
            removed.append(entry.conference_id)
            db.delete(entry)
    return removed


def _normal(name: str) -> str:
    return "".join(name.split()).casefold()


def names_recipient(db: Session, consent: Consent, organisation: str) -> bool:
    """Whether a THIRD_PARTY consent names this organisation (typed, or a directory resource)."""
    wanted = _normal(organisation)
    if not wanted:
        return False
    named = list(consent.recipient_names or [])
    if consent.recipient_resource_ids:
        named += db.scalars(select(Resource.name).where(Resource.id.in_(consent.recipient_resource_ids)))
    return any(_normal(name) == wanted for name in named if name)


def sharing_consent_for(db: Session, case: Case, organisation: str, today: date) -> Consent | None:
    """An active THIRD_PARTY consent that lets the case be discussed with this organisation (R5)."""
    for consent in db.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.THIRD_PARTY)
    ):
        if consent.active_on(today) and names_recipient(db, consent, organisation):
            return consent
    return None


def third_party_consent_for(db: Session, case: Case, resource_id: int, ctx: Ctx) -> Consent | None:
    """An active THIRD_PARTY consent on the case that names this resource as a recipient (R5)."""
    for consent in db.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.THIRD_PARTY)
    ):
        if consent.active_on(ctx.today) and resource_id in (consent.recipient_resource_ids or []):
            return consent
    return None


def covered_resources(db: Session, ctx: Ctx, case: Case) -> set[int]:
    """Resources that an active THIRD_PARTY consent of the case names as recipients (R5)."""
    covered: set[int] = set()
    for consent in db.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.THIRD_PARTY)
    ):
        if consent.active_on(ctx.today):
            covered.update(consent.recipient_resource_ids or [])
    return covered
