"""privacy_mode=strict: the core collects no direct identifier and links the case by reference number.

Standard mode is checked alongside: a name is still required there, exactly as before.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from models import schema
from models.case import Case
from models.client import Client, Guardian
from models.consent import Consent
from models.db import make_engine
from models.enums import ConsentMethod, ConsentScope, SignerRelationship, Stage
from models.errors import InvalidInput, Message, invalid_input_from
from models.schemas import STRICT_CONTEXT, ClientInput, ConsentInput, GuardianInput, IntakeInput
from models.services import assessments, cases, consents, demo, desk, export
from models.services.context import Policy
from tests.factories import NOW, TODAY, assessment_input, consent, intake

STRICT = Policy(privacy_mode="strict")
REF = "HE-2026-000123"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def paper_consent(
    scope: ConsentScope = ConsentScope.COLLECT_USE,
    *,
    relationship: SignerRelationship = SignerRelationship.SELF,
    verified: bool = False,
    signer_name: str | None = None,
) -> ConsentInput:
    """A consent as strict mode records it: signed on paper, no name, the form in the system of record."""
    return ConsentInput.model_validate(
        {
            "scope": scope,
            "signer_name": signer_name,
            "signer_relationship": relationship,
            "purposes": "사례관리 서비스 제공",
            "items": "가구 상황, 욕구 사정 결과",
            "retention": "종결 후 5년",
            "refusal_notice_given": True,
            "method": ConsentMethod.WRITTEN,
            "guardian_verified": verified,
            "given_on": TODAY,
        },
        context=STRICT_CONTEXT,
    )


def strict_intake(
    *,
    client: dict | None = None,
    guardians: list[dict] | None = None,
    consents_given: list[ConsentInput] | None = None,
) -> IntakeInput:
    return IntakeInput.model_validate(
        {
            "client": {"external_ref": REF, "sex": "female"} | (client or {}),
            "referral_source": "행정복지센터",
            "presenting_needs": ["ECONOMIC", "HEALTH"],
            "intake_summary": "실직 후 주거비 체납",
            "confidentiality_notice_given": True,
            "guardians": guardians or [],
            "consents": [c.model_dump() for c in (consents_given or [paper_consent()])],
        },
        context=STRICT_CONTEXT,
    )


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def assert_refused_identifier(message: Message) -> None:
    assert "엄격 모드" in message.ko and "기관 시스템에만 기록하세요" in message.ko
    assert "strict privacy mode" in message.en and "agency's system only" in message.en
    assert not HANGUL.search(message.en)


# --- strict mode: a case known only by its reference number -------------------------------------


def test_strict_intake_opens_a_case_with_no_identifier_stored(db, world):
    ctx = world.ctx(policy=STRICT)
    case = cases.open_case(db, ctx, strict_intake())
    db.flush()

    raw = db.execute(
        text("SELECT name, birth_date, contact, address, external_ref FROM clients WHERE id = :id"),
        {"id": case.client_id},
    ).one()
    assert tuple(raw) == (None, None, None, None, REF)  # NULL in the database, not an encrypted stand-in
    signed = db.scalar(select(Consent).where(Consent.case_id == case.id))
    assert signed.signer_name is None
    assert signed.signer_relationship == SignerRelationship.SELF and signed.method == ConsentMethod.WRITTEN
    raw_signer = db.execute(text("SELECT signer_name FROM consents WHERE id = :id"), {"id": signed.id})
    assert raw_signer.scalar_one() is None

    # The paper consent counts (R2): the assessment can start and the case moves on.
    assessments.assess(db, ctx, case.code, assessment_input())
    assert cases.current_state(db, ctx, case).stage == Stage.CONFERENCE


IDENTIFIERS = {
    "client.name": {"client": {"name": "홍길동"}},
    "client.birth_date": {"client": {"birth_date": "1970-05-01"}},
    "client.contact": {"client": {"contact": "010-1234-5678"}},
    "client.address": {"client": {"address": "가상시 가상구 예시로 1"}},
    "guardians.0.name": {"guardians": [{"name": "홍보호", "relationship_kind": "모"}]},
    "guardians.0.contact": {"guardians": [{"relationship_kind": "모", "contact": "010-2222-3333"}]},
}


@pytest.mark.parametrize("field", list(IDENTIFIERS))
def test_each_identifier_is_refused_in_strict_mode(db, world, field):
    data = strict_intake(**IDENTIFIERS[field])
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(policy=STRICT), data)
    assert set(excinfo.value.errors) == {field}
    assert_refused_identifier(excinfo.value.errors[field])
    assert count(db, Case) == 0 and count(db, Client) == 0


def test_a_signer_name_is_refused_in_strict_mode(db, world):
    data = strict_intake(consents_given=[paper_consent(signer_name="홍길동")])
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(policy=STRICT), data)
    assert set(excinfo.value.errors) == {"consents.0.signer_name"}
    assert_refused_identifier(excinfo.value.errors["consents.0.signer_name"])
    assert count(db, Case) == 0

    case = cases.open_case(db, world.ctx(policy=STRICT), strict_intake())
    with pytest.raises(InvalidInput) as excinfo:
        consents.record_consent(
            db,
            world.ctx(policy=STRICT),
            case.code,
            paper_consent(ConsentScope.SENSITIVE, signer_name="홍길동"),
        )
    assert set(excinfo.value.errors) == {"signer_name"}
    assert count(db, Consent, Consent.case_id == case.id) == 1  # only the intake's

    added = consents.record_consent(
        db, world.ctx(policy=STRICT), case.code, paper_consent(ConsentScope.SENSITIVE)
    )
    assert added.signer_name is None and added.scope == ConsentScope.SENSITIVE


def test_every_identifier_is_named_at_once(db, world):
    data = strict_intake(
        client={
            "name": "홍길동",
            "birth_date": "1970-05-01",
            "contact": "010-1234-5678",
            "address": "가상시",
        },
        guardians=[{"name": "홍보호", "relationship_kind": "모", "contact": "010-2222-3333"}],
        consents_given=[paper_consent(signer_name="홍길동")],
    )
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(policy=STRICT), data)
    assert set(excinfo.value.errors) == {
        "client.name",
        "client.birth_date",
        "client.contact",
        "client.address",
        "guardians.0.name",
        "guardians.0.contact",
        "consents.0.signer_name",
    }
    for message in excinfo.value.errors.values():
        assert_refused_identifier(message)


def test_a_standard_intake_is_refused_in_strict_mode(db, world):
    """A form made for standard mode (names, no reference) cannot slip through after a switch."""
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(policy=STRICT), intake())
    assert {"client.name", "client.external_ref", "consents.0.signer_name"} <= set(excinfo.value.errors)
    assert count(db, Case) == 0


def test_strict_mode_needs_the_reference_number(db, world):
    data = strict_intake(client={"external_ref": None})
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(policy=STRICT), data)
    assert set(excinfo.value.errors) == {"client.external_ref"}
    message = excinfo.value.errors["client.external_ref"]
    assert "기관 시스템 번호" in message.ko and "system-of-record number" in message.en


@pytest.mark.parametrize("ref", ["900101-1234567", "9001011234567", "900101 - 1234567"])
def test_the_reference_number_is_never_a_resident_registration_number(ref):
    with pytest.raises(ValidationError) as excinfo:
        strict_intake(client={"external_ref": ref})
    error = invalid_input_from(excinfo.value)
    assert set(error.errors) == {"client.external_ref"}
    assert "주민등록번호" in error.errors["client.external_ref"].ko


@pytest.mark.parametrize("ref", ["HE 2026", "-2026", "2026-", "행복e음-1", "a/b", "x" * 65])
def test_the_reference_number_has_a_sane_format(ref):
    with pytest.raises(ValidationError) as excinfo:
        strict_intake(client={"external_ref": ref})
    assert set(invalid_input_from(excinfo.value).errors) == {"client.external_ref"}


@pytest.mark.parametrize("ref", ["A", "2026000123", "HE-2026-000123", "x" * 64, "  HE-1  "])
def test_ordinary_reference_numbers_are_accepted(ref):
    assert strict_intake(client={"external_ref": ref}).client.external_ref == ref.strip()


# --- R7 without a birth date -------------------------------------------------------------------------


def test_under14_in_strict_mode_needs_a_verified_legal_representative(db, world):
    ctx = world.ctx(policy=STRICT)
    by_child = strict_intake(client={"under14": True}, consents_given=[paper_consent()])
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, ctx, by_child)
    assert set(excinfo.value.errors) == {"signer_relationship"}
    unverified = paper_consent(relationship=SignerRelationship.PARENT, verified=False)
    with pytest.raises(InvalidInput):
        cases.open_case(db, ctx, strict_intake(client={"under14": True}, consents_given=[unverified]))

    case = cases.open_case(
        db,
        ctx,
        strict_intake(
            client={"under14": True},
            guardians=[{"relationship_kind": "모", "is_legal_representative": True}],
            consents_given=[paper_consent(relationship=SignerRelationship.PARENT, verified=True)],
        ),
    )
    assert case.client.under14 and case.client.birth_date is None
    [guardian] = db.scalars(select(Guardian).where(Guardian.client_id == case.client_id))
    assert guardian.name is None and guardian.contact is None
    assert guardian.relationship_kind == "모" and guardian.is_legal_representative
    assert assessments.assess(db, ctx, case.code, assessment_input()).assessment.completed_at is not None


# --- what shows the case: summary and export ---------------------------------------------------------


def test_summary_and_export_show_the_reference_instead_of_a_name(db, world):
    ctx = world.ctx(policy=STRICT)
    case = cases.open_case(db, ctx, strict_intake())
    summary = desk.case_summary(db, ctx, case.code)
    assert summary.strict_privacy and summary.case.client.external_ref == REF
    assert not desk.case_summary(db, world.ctx(), case.code).strict_privacy

    for locale, paper in (("ko", "서면 동의"), ("en", "Signed on paper")):
        document = export.export_case(
            db,
            case.code,
            operator="test",
            reason="열람 청구",
            now=NOW,
            zone=ZoneInfo("Asia/Seoul"),
            locale=locale,
        )
        assert REF in document and paper in document
        assert "None" not in document


# --- standard mode: unchanged ------------------------------------------------------------------------


def test_standard_mode_still_stores_and_requires_the_name(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    assert case.client.name == "가나다테스트" and case.client.birth_date == date(1970, 5, 1)
    assert db.scalar(select(Consent.signer_name).where(Consent.case_id == case.id)) == "가나다테스트"

    # An input made for strict mode has no name: standard mode refuses it, field by field.
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(), strict_intake(guardians=[{"relationship_kind": "모"}]))
    assert set(excinfo.value.errors) == {"client.name", "guardians.0.name", "consents.0.signer_name"}
    with pytest.raises(InvalidInput) as excinfo:
        consents.record_consent(db, world.ctx(), case.code, paper_consent(ConsentScope.SENSITIVE))
    assert set(excinfo.value.errors) == {"signer_name"}
    assert count(db, Case) == 1


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ClientInput(), "name"),
        (lambda: ClientInput(name="   "), "name"),
        (lambda: GuardianInput(relationship_kind="모"), "name"),
        (lambda: ConsentInput.model_validate(consent().model_dump() | {"signer_name": None}), "signer_name"),
    ],
)
def test_without_the_strict_context_the_inputs_still_require_names(build, field):
    with pytest.raises(ValidationError) as excinfo:
        build()
    error = invalid_input_from(excinfo.value)
    assert set(error.errors) == {field}
    assert HANGUL.search(error.errors[field].ko) and "name" in error.errors[field].en


def test_the_strict_context_only_relaxes_the_names():
    assert ClientInput.model_validate({"external_ref": REF}, context=STRICT_CONTEXT).name is None
    with pytest.raises(ValidationError):  # the RRN check holds in every mode
        ClientInput.model_validate({"name": "900101-1234567"}, context=STRICT_CONTEXT)


# --- demo data and the schema ------------------------------------------------------------------------


def test_demo_data_in_strict_mode_holds_no_identifier(db):
    demo.load(db, STRICT, cases=6, now=NOW)
    clients = list(db.scalars(select(Client)))
    assert len(clients) == 6
    assert all(
        c.name is None and c.birth_date is None and c.contact is None and c.address is None for c in clients
    )
    assert all(c.external_ref and c.external_ref.startswith("DEMO-") for c in clients)
    assert db.scalars(select(Consent)).all() and all(
        c.signer_name is None for c in db.scalars(select(Consent))
    )


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_downgrading_below_strict_mode_fills_missing_names(empty_database_url, backend_name):
    engine = make_engine(empty_database_url(backend_name))
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO clients (name, characteristics, interpreter_needed, under14, external_ref,"
                    " created_at) VALUES (NULL, '[]', :no, :no, 'HE-1', :at)"
                ),
                {"no": False, "at": NOW},
            )
        schema.downgrade(engine, "0006")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM clients")).scalar_one() == "-"
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()
