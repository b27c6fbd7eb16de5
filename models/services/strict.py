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
from models.schemas import NAME_NEEDED, ConsentInput, IntakeInput
from models.services.context import Ctx

# Each direct identifier the inputs can carry, named for the message.
IDENTIFIERS = {
    "name": ("이름", "name"),
    "birth_date": ("생년월일", "birth date"),
    "contact": ("연락처", "contact details"),
    "address": ("주소", "address"),
    "signer_name": ("서명자 이름", "signer's name"),
}
CLIENT_IDENTIFIERS = ("name", "birth_date", "contact", "address")
GUARDIAN_IDENTIFIERS = ("name", "contact")

NEEDS_EXTERNAL_REF = Message(
    "엄격 모드에서는 기관 시스템 번호(예: 행복e음 관리번호)를 입력해야 사례를 열 수 있습니다.",
    "Strict privacy mode needs the agency's system-of-record number (e.g. the 행복e음 reference) "
    "to open a case.",
)


def refused(identifier: str) -> Message:
    ko, en = IDENTIFIERS[identifier]
    return Message(
        f"엄격 모드에서는 Casebot에 {ko} 항목을 기록하지 않습니다. 기관 시스템에만 기록하세요.",
        f"In strict privacy mode Casebot keeps no {en}. Record it in the agency's system only.",
    )


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


def check_consent(ctx: Ctx, data: ConsentInput) -> None:
    if errors := _consent_errors(ctx, data):
        raise InvalidInput(errors)


def _consent_errors(ctx: Ctx, data: ConsentInput) -> dict[str, Message]:
    if ctx.policy.strict_privacy and data.signer_name is not None:
        return {"signer_name": refused("signer_name")}
    if not ctx.policy.strict_privacy and data.signer_name is None:
        return {"signer_name": NAME_NEEDED["signer"]}
    return {}
