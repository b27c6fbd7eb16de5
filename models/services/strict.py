"""privacy_mode=strict: Casebot holds no direct identifiers; a case points at the system of record.

In strict mode the client's name, birth date, contact and address, the guardian's name and contact, and
the name of whoever signed a consent are never collected. The case carries the agency's
system-of-record number (`Client.external_ref`, e.g. the 행복e음 reference) instead, and a consent is
recorded as signed on paper, with the signer's relationship, the signed form kept in that system.
Under-14 rules (R7) still hold: `under14` is an explicit flag, not derived from a birth date.

Standard mode is the same as it always was: the client's name, a guardian's name and the signer's
name are required. The inputs (`models/schemas.py`) check that when parsed without the strict context;
these checks hold whatever the caller passed.
"""

from __future__ import annotations

from models.errors import InvalidInput, Message
from models.schemas import NAME_NEEDED, ConsentInput, IntakeInput, RecordIntakeInput
from models.services.context import Ctx

# Each direct identifier the inputs can carry, named for the message (`strict.identifier.<name>`).
IDENTIFIERS = ("name", "birth_date", "contact", "address", "signer_name")
CLIENT_IDENTIFIERS = ("name", "birth_date", "contact", "address")
GUARDIAN_IDENTIFIERS = ("name", "contact")

NEEDS_EXTERNAL_REF = Message("strict.errors.strict_privacy_mode_needs")


def refused(identifier: str) -> Message:
    return Message("strict.errors.identifier_kept", identifier=Message(f"strict.identifier.{identifier}"))


def check_intake(ctx: Ctx, data: IntakeInput) -> None:
    """Every identifier problem of an intake at once, keyed like the input's fields."""
    errors: dict[str, Message] = {}
    if ctx.policy.strict_privacy:
        for field in CLIENT_IDENTIFIERS:
            if getattr(data.client, field) is not None:
                errors[f"client.{field}"] = refused(field)
        for index, guardian in enumerate(data.guardians):
            for field in GUARDIAN_IDENTIFIERS:
                if getattr(guardian, field) is not None:
                    errors[f"guardians.{index}.{field}"] = refused(field)
        for index, member in enumerate(data.household):
            if member.name is not None:
                errors[f"household.{index}.name"] = refused("name")
        if data.client.external_ref is None:
            errors["client.external_ref"] = NEEDS_EXTERNAL_REF
    else:
        if data.client.name is None:
            errors["client.name"] = NAME_NEEDED["client"]
        for index, guardian in enumerate(data.guardians):
            if guardian.name is None:
                errors[f"guardians.{index}.name"] = NAME_NEEDED["guardian"]
    for index, consent in enumerate(data.consents):
        for field, message in _consent_errors(ctx, consent).items():
            errors[f"consents.{index}.{field}"] = message
    if errors:
        raise InvalidInput(errors)


def check_record_intake(ctx: Ctx, data: RecordIntakeInput) -> None:
    """The household members and guardians added at the first interview of a referred case: the same
    identifier rules as at intake, keyed like the input's fields."""
    errors: dict[str, Message] = {}
    for index, guardian in enumerate(data.guardians):
        for field in GUARDIAN_IDENTIFIERS:
            if ctx.policy.strict_privacy and getattr(guardian, field) is not None:
                errors[f"guardians.{index}.{field}"] = refused(field)
        if not ctx.policy.strict_privacy and guardian.name is None:
            errors[f"guardians.{index}.name"] = NAME_NEEDED["guardian"]
    for index, member in enumerate(data.household):
        if ctx.policy.strict_privacy and member.name is not None:
            errors[f"household.{index}.name"] = refused("name")
    if errors:
        raise InvalidInput(errors)


def check_consent(ctx: Ctx, data: ConsentInput) -> None:
    if errors := _consent_errors(ctx, data):
        raise InvalidInput(errors)


def _consent_errors(ctx: Ctx, data: ConsentInput) -> dict[str, Message]:
    if ctx.policy.strict_privacy and data.signer_name is not None:
        return {"signer_name": refused("signer_name")}
    if not ctx.policy.strict_privacy and data.signer_name is None:
        return {"signer_name": NAME_NEEDED["signer"]}
    return {}
