"""Guardians and R12: a guardian marked as the alleged abuser is never a consent signer, never a contact
for the case, and the case's circle is warned wherever the case is shown.

Casebot writes to staff only (Slack) and to the operator (the export), never to a guardian; what this
module adds is that nothing of the case is addressed or handed to an alleged abuser through the app:
no consent in their name, no contact number of theirs in the export, a warning on the case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.case import Case
from models.client import Client, Guardian
from models.errors import InvalidInput, Message
from models.schemas import ConsentInput, IntakeInput
from models.services import access
from models.services.changes import case_changed
from models.services.context import Ctx

ABUSER_CANNOT_SIGN = Message("guardians.errors.abuser_cannot_sign")


@dataclass(frozen=True)
class GuardianLine:
    id: int
    relationship: str
    name: str | None  # None under strict mode
    legal_representative: bool
    alleged_abuser: bool


@dataclass(frozen=True)
class CaseGuardians:
    code: str
    lines: list[GuardianLine]


def _normal(name: str | None) -> str:
    return "".join((name or "").split()).casefold()


def alleged_abusers(client: Client) -> list[Guardian]:
    return [g for g in client.guardians or [] if g.is_alleged_abuser]


def contacts_for(client: Client) -> list[Guardian]:
    """The guardians who may be contacted about the case: never an alleged abuser (R12)."""
    return [g for g in client.guardians or [] if not g.is_alleged_abuser]


def check_signer(case: Case, data: ConsentInput) -> None:
    """R12: a consent is never signed by a guardian marked as the alleged abuser (field error)."""
    signer = _normal(data.signer_name)
    if signer and any(_normal(g.name) == signer for g in alleged_abusers(case.client)):
        raise InvalidInput({"signer_name": ABUSER_CANNOT_SIGN})


def check_intake_signer(data: IntakeInput) -> None:
    """R12 at intake: the guardian chosen to sign the consents is one of the intake's guardians, and
    never one marked there as the alleged abuser (before anything is written)."""
    index = data.signer_guardian
    if index is not None:
        if index >= len(data.guardians):
            raise InvalidInput({"signer_guardian": Message("guardians.errors.no_guardian")})
        if data.guardians[index].is_alleged_abuser:
            raise InvalidInput({"signer_guardian": ABUSER_CANNOT_SIGN})
    # A consent in an alleged abuser's name (whoever was chosen) is refused as each consent is added.


def mark_alleged_abuser(
    db: Session, ctx: Ctx, code: str, guardian_id: int, *, alleged: bool = True
) -> Guardian:
    """Set (or clear) the flag on one of the case's guardians; on the timeline, ids only."""
    case = access.load_case(db, ctx, code, purpose="mark guardian")
    guardian = next((g for g in case.client.guardians if g.id == guardian_id), None)
    if guardian is None:
        raise InvalidInput({"guardian": Message("guardians.errors.no_guardian")})
    guardian.is_alleged_abuser = alleged
    db.flush()
    case_changed(db, ctx, case, "guardian_flagged", guardian=guardian.id, alleged_abuser=alleged)
    return guardian


def of_case(db: Session, ctx: Ctx, code: str) -> CaseGuardians:
    """The case's guardians for the `/case guardian` dialogue: the circle only (the read is logged)."""
    case = access.load_case(db, ctx, code, purpose="read guardians")
    lines = [
        GuardianLine(g.id, g.relationship_kind, g.name, g.is_legal_representative, g.is_alleged_abuser)
        for g in case.client.guardians
    ]
    return CaseGuardians(case.code, lines)


def set_alleged_abusers(db: Session, ctx: Ctx, code: str, guardian_ids: set[int]) -> list[int]:
    """The dialogue's answer: exactly these guardians of the case are marked; returns the ids changed.
    An id that is not one of the case's guardians is a field error (nothing changes)."""
    case = access.load_case(db, ctx, code, purpose="mark guardian")
    own = {g.id: g for g in case.client.guardians}
    if guardian_ids - own.keys():
        raise InvalidInput({"guardian": Message("guardians.errors.no_guardian")})
    changed = [g.id for g in own.values() if g.is_alleged_abuser != (g.id in guardian_ids)]
    for guardian_id in changed:
        mark_alleged_abuser(db, ctx, case.code, guardian_id, alleged=guardian_id in guardian_ids)
    return changed
