"""Consents: one record per scope (R3); withdrawal stops what depends on it (R13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.conference import AgendaRequest, CaseConference, ConferenceCase
from models.consent import Consent
from models.enums import (
    AgendaRequestStatus,
    ConferenceStatus,
    ConsentMethod,
    ConsentScope,
    MissingConsent,
    ReferralStatus,
    SignerRelationship,
)
from models.errors import InvalidInput, Message, NotFound
from models.referral import Referral
from models.resource import Resource
from models.schemas import ConsentInput, check_free_text
from models.services import access, guardians, strict
from models.services.audit import record_event
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import derive, snapshot


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


def record_consent(
    db: Session, ctx: Ctx, code: str, data: ConsentInput, *, renews_id: int | None = None
) -> Consent:
    """A consent added on its own (the consent dialogue), or the renewal of one (`renews_id`): a new
    record of the same scope that carries the old one on; the stage follows at once (R2)."""
    case = access.load_case(db, ctx, code, purpose="record consent")
    renewed = None
    if renews_id is not None:
        renewed = db.get(Consent, renews_id)
        if renewed is None or renewed.case_id != case.id:
            raise NotFound(Message("consents.errors.no_consent_record"))
        if renewed.withdrawn_at is not None:
            raise InvalidInput({"scope": Message("consents.errors.renew_withdrawn")})
        if data.scope != renewed.scope:
            raise InvalidInput({"scope": Message("consents.errors.renew_same_scope", scope=renewed.scope)})
    consent = add_consent(db, ctx, case, data)
    if renewed is not None:
        consent.renews_id = renewed.id
        case_changed(db, ctx, case, "consent_renewed", consent=consent.id, renews=renewed.id)
    return consent


def withdraw_consent(
    db: Session, ctx: Ctx, consent_id: int, *, on: date | None = None, reason: str | None = None
) -> list[Referral]:
    """Withdraw a consent on the day the person withdrew it (default today), with their reason;
    referrals that relied on it and are still under way are cancelled, and the stage follows (R13)."""
    case, consent = access.load_record(
        db,
        ctx,
        Consent,
        consent_id,
        Message("consents.errors.no_consent_record"),
        purpose="withdraw consent",
    )
    check_free_text("reason", reason)
    day = on or ctx.today
    if consent.withdrawn_at is not None:
        raise InvalidInput({"withdrawn_on": Message("consents.errors.consent_already_withdrawn")})
    if day > ctx.today:
        raise InvalidInput({"withdrawn_on": Message("consents.errors.withdrawn_in_future")})
    if day < consent.given_on:
        raise InvalidInput(
            {
                "withdrawn_on": Message(
                    "consents.errors.withdrawn_before_given", given=consent.given_on.isoformat()
                )
            }
        )
    consent.withdrawn_at = ctx.now
    consent.withdrawn_on = day
    consent.withdrawal_reason = reason
    stopped: list[Referral] = []
    unshared: list[int] = []
    if consent.scope == ConsentScope.THIRD_PARTY:
        for referral in db.scalars(select(Referral).where(Referral.consent_id == consent.id)):
            if not referral.status.terminal and referral.statutory_basis is None:
                referral.status = ReferralStatus.CANCELLED
                stopped.append(referral)
        db.flush()
        unshared = _stop_external_sharing(db, case, ctx)
        _cancel_agenda_requests(db, case, ctx)
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


def _cancel_agenda_requests(db: Session, case: Case, ctx: Ctx) -> None:
    """Requests to put the case on another team's coming integrated conference that still wait for an
    agreement, where that conference has outside members no consent covers any more: cancelled (an
    agreement could no longer put it on the agenda). Agreed ones are on the agenda and leave it
    through `_stop_external_sharing`."""
    waiting = db.scalars(
        select(AgendaRequest)
        .join(CaseConference, CaseConference.id == AgendaRequest.conference_id)
        .where(
            AgendaRequest.case_id == case.id,
            AgendaRequest.status == AgendaRequestStatus.PENDING,
            CaseConference.status == ConferenceStatus.SCHEDULED,
            CaseConference.scheduled_at > ctx.now,
        )
        .order_by(AgendaRequest.id)
    )
    for request in list(waiting):
        conference = db.get_one(CaseConference, request.conference_id)
        organisations = [p.organisation or "" for p in conference.participants if p.external]
        if any(sharing_consent_for(db, case, o, ctx.today) is None for o in organisations):
            request.status = AgendaRequestStatus.CANCELLED
            request.decided_at = ctx.now
            db.flush()
            record_event(
                db, ctx, case, "conference_agenda_cancelled", conference=conference.id, request=request.id
            )


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


# --- the consent dialogue (/case consent CODE) ------------------------------------------------------


@dataclass(frozen=True)
class ConsentRow:
    """One consent as the dialogue lists it: no signer, no free text (R1)."""

    consent_id: int
    scope: ConsentScope
    given_on: date
    expires_on: date | None
    withdrawn_on: date | None
    active: bool


@dataclass(frozen=True)
class RenewalDraft:
    """What a renewal starts from: the consent's scope, texts and recipients (never the signer)."""

    consent_id: int
    scope: ConsentScope
    purposes: str
    items: str
    retention: str
    recipient_resource_ids: list[int]
    recipient_names: list[str]
    method: ConsentMethod
    signer_relationship: SignerRelationship


@dataclass(frozen=True)
class ConsentOverview:
    code: str
    rows: list[ConsentRow]
    resources: list[tuple[int, str]]  # the directory, for third-party recipients
    renewal: RenewalDraft | None  # the consent to renew, when the dialogue opens with "renew" ready
    # A school case still missing a student-support consent (its next step): the form starts there,
    # with the signer whose consent is missing (the student's first).
    suggested: tuple[ConsentScope, SignerRelationship] | None = None


def consent_overview(
    db: Session, ctx: Ctx, code: str, *, renew_id: int | None = None, renew_next: bool = False
) -> ConsentOverview:
    """The case's consents for the dialogue; with `renew_id` (a renew button) or `renew_next` (an
    expiry nudge: the live consent that ends first) a renewal draft to start the form from."""
    case = access.load_case(db, ctx, code, purpose="consents")
    records = list(
        db.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.given_on, Consent.id))
    )
    rows = [
        ConsentRow(c.id, c.scope, c.given_on, c.expires_on, c.withdrawn_on, c.active_on(ctx.today))
        for c in records
    ]
    chosen = None
    if renew_id is not None:
        chosen = next((c for c in records if c.id == renew_id and c.withdrawn_at is None), None)
        if chosen is None:
            raise NotFound(Message("consents.errors.no_consent_record"))
    elif renew_next:
        ending = [c for c in records if c.withdrawn_at is None and c.expires_on is not None]
        chosen = min(ending, key=lambda c: (c.expires_on, c.id), default=None)
    renewal = None
    if chosen is not None:
        renewal = RenewalDraft(
            chosen.id,
            chosen.scope,
            chosen.purposes,
            chosen.items,
            chosen.retention,
            list(chosen.recipient_resource_ids or []),
            list(chosen.recipient_names or []),
            chosen.method,
            chosen.signer_relationship,
        )
    resources = [
        (r.id, r.name)
        for r in db.scalars(select(Resource).where(Resource.active.is_(True)).order_by(Resource.name))
    ]
    return ConsentOverview(case.code, rows, resources, renewal, _suggested(db, ctx, case))


def _suggested(db: Session, ctx: Ctx, case: Case) -> tuple[ConsentScope, SignerRelationship] | None:
    """The consent a school case's next step asks for (lifecycle.derive), if that is its next step."""
    missing = derive(snapshot(db, case), ctx.today).missing_consent
    if missing is None:
        return None
    if missing == MissingConsent.GUARDIAN:
        return ConsentScope.STUDENT_SUPPORT, SignerRelationship.PARENT
    return ConsentScope.STUDENT_SUPPORT, SignerRelationship.SELF


def case_code_of_consent(db: Session, ctx: Ctx, consent_id: int) -> str:
    """The code of the case a consent belongs to (through the access check)."""
    case, _ = access.load_record(
        db, ctx, Consent, consent_id, Message("consents.errors.no_consent_record"), purpose="consents"
    )
    return case.code
