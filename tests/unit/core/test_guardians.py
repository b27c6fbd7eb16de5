"""R12 in the core: a guardian marked as the alleged abuser never signs a consent and is never a contact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.audit import CaseEvent
from models.case import Case
from models.consent import Consent
from models.enums import ConsentScope, SignerRelationship
from models.errors import InvalidInput
from models.schemas import GuardianInput
from models.services import case_file, cases, consents, guardians
from tests.factories import consent, intake, sharing_consent

ABUSER = "최의심가상"


def flagged_intake(*, signer: str | None = None):
    data = intake()
    given = [
        consent().model_copy(update={"signer_name": signer, "signer_relationship": SignerRelationship.PARENT})
    ]
    return data.model_copy(
        update={
            "guardians": [
                GuardianInput(
                    name=ABUSER, relationship_kind="부", contact="010-7777-3131", is_alleged_abuser=True
                ),
                GuardianInput(name="박할머니가상", relationship_kind="조모"),
            ],
            "consents": given if signer else data.consents,
        }
    )


def test_the_alleged_abuser_cannot_sign_at_intake_and_nothing_is_written(db, world):
    ctx = world.ctx()
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, ctx, flagged_intake(signer=f" {ABUSER[:2]} {ABUSER[2:]} "))
    assert set(excinfo.value.errors) == {"signer_name"}
    message = excinfo.value.errors["signer_name"]
    assert "R12" in message.ko and "R12" in message.en


def test_nor_later_and_the_other_guardian_may(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, flagged_intake())
    third = sharing_consent("행복주거지원센터").model_copy(
        update={"signer_name": ABUSER, "signer_relationship": SignerRelationship.PARENT}
    )
    with pytest.raises(InvalidInput):
        consents.record_consent(db, ctx, case.code, third)
    ok = consents.record_consent(db, ctx, case.code, third.model_copy(update={"signer_name": "박할머니가상"}))
    assert ok.id and [c.scope for c in db.scalars(select(Consent).where(Consent.case_id == case.id))] == [
        ConsentScope.COLLECT_USE,
        ConsentScope.THIRD_PARTY,
    ]
    assert [g.name for g in guardians.contacts_for(case.client)] == ["박할머니가상"]


def test_marking_is_on_the_timeline_by_id_only_and_can_be_cleared(db, world):
    ctx = world.ctx()
    data = flagged_intake()
    data.guardians[0].is_alleged_abuser = False
    case = cases.open_case(db, ctx, data)
    first = case.client.guardians[0]
    assert guardians.contacts_for(case.client) == case.client.guardians
    guardians.mark_alleged_abuser(db, ctx, case.code, first.id)
    assert guardians.alleged_abusers(case.client) == [first]
    with pytest.raises(InvalidInput):
        consents.record_consent(db, ctx, case.code, consent().model_copy(update={"signer_name": ABUSER}))
    guardians.mark_alleged_abuser(db, ctx, case.code, first.id, alleged=False)
    assert guardians.alleged_abusers(case.client) == []
    events = [
        e
        for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
        if e.event == "guardian_flagged"
    ]
    assert len(events) == 2 and ABUSER not in str([e.data for e in events])
    with pytest.raises(InvalidInput):
        guardians.mark_alleged_abuser(db, ctx, case.code, 999_999)


def test_the_guardian_chosen_at_intake_never_is_an_alleged_abuser_and_nothing_is_written(db, world):
    ctx = world.ctx()
    data = flagged_intake().model_copy(update={"signer_guardian": 0})
    before = db.scalar(select(func.count()).select_from(Case))
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, ctx, data)
    assert set(excinfo.value.errors) == {"signer_guardian"}
    assert excinfo.value.errors["signer_guardian"] == guardians.ABUSER_CANNOT_SIGN
    assert db.scalar(select(func.count()).select_from(Case)) == before
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, ctx, data.model_copy(update={"signer_guardian": 5}))
    assert set(excinfo.value.errors) == {"signer_guardian"}
    case = cases.open_case(db, ctx, data.model_copy(update={"signer_guardian": 1}))
    assert [g.is_alleged_abuser for g in case.client.guardians] == [True, False]


def test_an_alleged_abusers_contact_is_left_out_of_the_intakes_record(db, world):
    case = cases.open_case(db, world.ctx(), flagged_intake())
    entry = case_file.intake_entry(case)
    assert [(g.name, g.contact, g.alleged_abuser) for g in entry.guardians] == [
        (ABUSER, None, True),
        ("박할머니가상", None, False),
    ]
