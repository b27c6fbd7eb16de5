"""Daily housekeeping: what only the passing of time changes, so no service call ever records it.

Consent expiry: nothing happens to a case on the day one of its consents runs out. The housekeeping
job finds consents that expired since its last run, writes one timeline entry per expiry (naming the
referrals that relied on it), and recomputes the case's reminders: warnings that the consent "expires
soon" go away, and a THIRD_PARTY consent that a referral under way relied on becomes a nudge to the
case manager (see reminders.due_items). Each expiry is recorded once, whatever the number of runs.

The functions here work on one session and never commit; scheduler/housekeeping.py runs them, one
unit of work per expiry. The retention purge (R10) is the job's other task (models/services/retention.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.consent import Consent
from models.enums import AuditAction, Surface
from models.idempotency import ProcessedRequest
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.reminders import referrals_relying_on, refresh

CONSENT_EXPIRED_EVENT = "consent_expired"
RUN_KEY_PREFIX = "housekeeping:consent_expiry:run:"
# A consent recorded late with an end date just past is still caught this many days after a run.
LOOKBACK = timedelta(days=14)


@dataclass(frozen=True)
class Expiry:
    consent_id: int
    case_id: int
    expires_on: date

    @property
    def key(self) -> str:
        # The end date is part of the key: a consent whose end date is corrected expires anew.
        return f"housekeeping:consent_expired:{self.consent_id}:{self.expires_on}"


def last_run(db: Session) -> date | None:
    """The day of the last complete consent-expiry run (its marker is a processed request)."""
    key = db.scalar(
        select(ProcessedRequest.key)
        .where(ProcessedRequest.key.startswith(RUN_KEY_PREFIX))
        .order_by(ProcessedRequest.key.desc())
        .limit(1)
    )
    return date.fromisoformat(key.removeprefix(RUN_KEY_PREFIX)) if key else None


def run_key(today: date) -> str:
    return f"{RUN_KEY_PREFIX}{today.isoformat()}"


def expired_since(db: Session, today: date, since: date | None) -> list[Expiry]:
    """Live consents that expired before `today` (and on or after `since`) not yet recorded."""
    query = select(Consent.id, Consent.case_id, Consent.expires_on).where(
        Consent.withdrawn_at.is_(None), Consent.expires_on.is_not(None), Consent.expires_on < today
    )
    if since is not None:
        query = query.where(Consent.expires_on >= since)
    found = [Expiry(i, c, e) for i, c, e in db.execute(query.order_by(Consent.expires_on, Consent.id))]
    done: set[str] = set()
    for start in range(0, len(found), 500):
        keys = [e.key for e in found[start : start + 500]]
        done.update(db.scalars(select(ProcessedRequest.key).where(ProcessedRequest.key.in_(keys))))
    return [e for e in found if e.key not in done]


def record_expiry(db: Session, expiry: Expiry, policy: Policy, now: datetime) -> dict[str, object]:
    """Timeline and access log entries for one expiry, and the case's reminders recomputed."""
    consent = db.get(Consent, expiry.consent_id)
    case = db.get(Case, expiry.case_id)
    assert consent is not None and case is not None
    snap = snapshot(db, case)
    relying = referrals_relying_on(snap, consent)
    data: dict[str, object] = {
        "consent": consent.id,
        "scope": consent.scope.value,
        "expired_on": expiry.expires_on.isoformat(),
        "referrals_relying": relying,
    }
    # The scheduler acts for nobody in particular: no actor, the scheduler as the surface.
    db.add(CaseEvent(case_id=case.id, actor_id=None, event=CONSENT_EXPIRED_EVENT, data=data, at=now))
    db.add(
        AuditLog(
            at=now,
            actor_id=None,
            actor_ref=None,
            action=AuditAction.UPDATE,
            record=CONSENT_EXPIRED_EVENT,
            case_id=case.id,
            case_code=case.code,
            surface=Surface.SCHEDULER,
        )
    )
    refresh(db, case, policy, snap=snap, today=now.astimezone(policy.zone).date())
    return data
