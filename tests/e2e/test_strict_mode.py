"""PRIVACY_MODE=strict through the running bot: no identifier is asked for, sent, or stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy import text as text_sql

from bot.ids import View
from bot.metadata import CaseInChannel
from models import Case, Consent, Guardian, Referral, Resource
from models.enums import ConsentScope, ReferralStatus, ResourceCategory, ResourceSector, SignerRelationship
from tests.e2e.helpers import add_staff, choice, choices, command, state, submit, text

REF = "HE-2026-000123"
NAME = "홍가상"
IDENTIFIER_BLOCKS = {
    "client.name",
    "client.birth_date",
    "client.contact",
    "client.address",
    "guardians.0.name",
    "guardians.0.contact",
    "household.0.name",
}


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    return {"PRIVACY_MODE": "strict"}


def strict_intake(**overrides: dict) -> dict:
    values = {
        "referral_source": choice("public_office"),
        "client.external_ref": text(REF),
        "client.sex": choice("female"),
        "client.life_stage": choice(None),
        "client.under14": choices(),
        "presenting_needs": choices("ECONOMIC", "HEALTH", kind="multi_static_select"),
        "intake_summary": text("실직 후 주거비 체납"),
        "guardian.relationship_kind": text(None),
        "guardian.verified": choices(),
        "confidentiality_notice_given": choices("yes"),
        "consent_scopes": choices("COLLECT_USE", "SENSITIVE"),
        "refusal_notice": choices("yes"),
    }
    values.update(overrides)
    return state(**values)


def only_case(bot) -> Case:
    with bot.uow() as db:
        [case] = db.scalars(select(Case))
        return case


def client_row(bot, case: Case) -> tuple:
    with bot.uow() as db:
        return tuple(
            db.execute(
                text_sql(
                    "SELECT name, birth_date, contact, address, external_ref FROM clients WHERE id = :id"
                ),
                {"id": case.client_id},
            ).one()
        )


def signer_names(bot, case: Case) -> list[str | None]:
    with bot.uow() as db:
        return list(
            db.execute(
                text_sql("SELECT signer_name FROM consents WHERE case_id = :id ORDER BY id"), {"id": case.id}
            ).scalars()
        )


def test_case_new_opens_the_strict_modal_without_identifier_inputs(bot):
    add_staff(bot, "UCM1")
    status, _ = command(bot, "new", "UCM1", channel_id="C0001")
    assert status == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.INTAKE
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert not IDENTIFIER_BLOCKS & set(inputs)
    assert inputs["client.external_ref"]["optional"] is False
    assert {"guardian.verified", "confidentiality_notice_given", "consent_scopes"} <= set(inputs)
    assert "기관 시스템" in json.dumps(view, ensure_ascii=False)  # the notice: identifiers stay there


def test_a_strict_intake_stores_the_reference_and_no_identifier(bot):
    add_staff(bot, "UCM1")
    metadata = '{"channel": "C0001"}'
    # A name in the submitted state (from a forged or an old form) is never read.
    values = strict_intake(**{"client.name": text(NAME)})
    status, body = submit(bot, "UCM1", View.INTAKE, values, view_id="VS1", private_metadata=metadata)
    assert status == 200 and body["response_action"] == "update", body
    case = only_case(bot)
    assert case.code in str(body["view"])
    ephemeral = bot.slack.wait_for("chat.postEphemeral")[0]
    assert case.code in ephemeral.params["text"]

    assert client_row(bot, case) == (None, None, None, None, REF)
    assert signer_names(bot, case) == [None, None]
    with bot.uow() as db:
        scopes = {c.scope for c in db.scalars(select(Consent).where(Consent.case_id == case.id))}
    assert scopes == {ConsentScope.COLLECT_USE, ConsentScope.SENSITIVE}

    # The summary shows the system-of-record number where a name would be.
    assert command(bot, f"show {case.code}", "UCM1", channel_id="C0001")[0] == 200
    shown = json.dumps(bot.slack.wait_for("views.open")[0].params["view"], ensure_ascii=False)
    assert REF in shown and "기관 시스템 번호" in shown and NAME not in shown
    for call in bot.slack.calls():
        assert NAME not in json.dumps(call.params, ensure_ascii=False)


def test_a_bad_reference_or_an_unverified_child_is_refused_on_its_block(bot):
    add_staff(bot, "UCM1")
    _, body = submit(
        bot,
        "UCM1",
        View.INTAKE,
        strict_intake(**{"client.external_ref": text("900101-1234567")}),
        view_id="VS2",
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"client.external_ref"}
    assert "주민등록번호" in body["errors"]["client.external_ref"]

    _, body = submit(
        bot, "UCM1", View.INTAKE, strict_intake(**{"client.external_ref": text("HE 12/3")}), view_id="VS3"
    )
    assert set(body["errors"]) == {"client.external_ref"}

    child = {"client.under14": choices("yes"), "guardian.relationship_kind": text("모")}
    _, body = submit(bot, "UCM1", View.INTAKE, strict_intake(**child), view_id="VS4")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"guardian.verified"}
    assert "14" in body["errors"]["guardian.verified"]
    with bot.uow() as db:
        assert db.scalars(select(Case)).all() == []

    verified = {**child, "guardian.verified": choices("yes")}
    _, body = submit(bot, "UCM1", View.INTAKE, strict_intake(**verified), view_id="VS5")
    assert body["response_action"] == "update", body
    case = only_case(bot)
    with bot.uow() as db:
        [guardian] = db.scalars(select(Guardian).where(Guardian.client_id == case.client_id))
        assert (guardian.name, guardian.contact, guardian.relationship_kind) == (None, None, "모")
        assert guardian.is_legal_representative
        signed = list(db.scalars(select(Consent).where(Consent.case_id == case.id)))
    assert all(c.signer_relationship == SignerRelationship.PARENT and c.guardian_verified for c in signed)
    assert signer_names(bot, case) == [None, None]


def test_a_strict_referral_records_the_paper_consent_without_a_name(bot):
    add_staff(bot, "UCM1")
    _, body = submit(
        bot, "UCM1", View.INTAKE, strict_intake(consent_scopes=choices("COLLECT_USE")), view_id="VS6"
    )
    assert body["response_action"] == "update", body
    case = only_case(bot)
    with bot.uow() as db:
        resource = Resource(
            name="행복주거지원센터", category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC
        )
        db.add(resource)
        db.flush()
        resource_id = resource.id

    assert command(bot, f"refer {case.code}", "UCM1", channel_id="C0001")[0] == 200
    form = bot.slack.wait_for("views.update")[0].params["view"]
    blocks = {b.get("block_id") for b in form["blocks"]}
    assert "consent.signer_name" not in blocks and "consent.refusal_notice_given" in blocks

    values = state(
        resource_id=choice(str(resource_id)),
        domain=choice("LIVING_ENV"),
        reason=text("월세 체납으로 퇴거 위기"),
        consent_now=choices("yes"),
        **{
            "consent.signer_relationship": choice("SELF"),
            "consent.refusal_notice_given": choices("yes"),
            "consent.guardian_verified": choices(),
        },
    )
    meta = CaseInChannel(code=case.code, channel="C0001").dump()
    _, body = submit(bot, "UCM1", View.REFER, values, view_id="VR1", private_metadata=meta)
    assert body.get("response_action") != "errors", body
    with bot.uow() as db:
        [referral] = db.scalars(select(Referral).where(Referral.case_id == case.id))
        assert referral.status == ReferralStatus.SENT
    assert signer_names(bot, case) == [None, None]  # the intake's and the third-party consent
