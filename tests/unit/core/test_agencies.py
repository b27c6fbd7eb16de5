"""Several agencies on one case: the lead agency (주사례관리기관) and partners with their roles, set by
the case manager or a team supervisor, seen in the summary, the history and the export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from models.agency import CaseAgency
from models.audit import CaseEvent
from models.errors import InvalidInput, NotAllowed
from models.schemas import AgenciesInput, AgencyInput
from models.services import agencies, case_file, cases, desk, export
from tests.factories import NOW, intake

TYPED = "가상시 청소년상담복지센터"


def test_the_lead_and_partners_are_set_as_a_whole_and_shown_everywhere(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    data = AgenciesInput(
        lead=AgencyInput(resource_id=world.resource.id, role="주거 지원 총괄"),
        partners=[AgencyInput(organisation=TYPED, role="청소년 상담")],
    )
    shown = agencies.set_agencies(db, world.ctx(), case.code, data)
    assert (
        shown.lead is not None
        and shown.lead.name == world.resource.name
        and shown.lead.role == "주거 지원 총괄"
    )
    assert [(p.name, p.role) for p in shown.partners] == [(TYPED, "청소년 상담")]
    event = db.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event == "agencies_changed")
    )
    assert event.data == {"lead": True, "partners": 1}  # never a typed name on the timeline
    summary = desk.case_summary(db, world.ctx(world.supervisor), case.code)
    assert [a.name for a in summary.agencies] == [world.resource.name, TYPED]
    page = case_file.read_page(db, world.ctx(), case.code, case_file.Section.NOTES)
    assert [a.lead for a in page.agencies] == [True, False]
    made = export.export_case(
        db, case.code, operator="op", reason="test", now=NOW, zone=ZoneInfo("Asia/Seoul")
    )
    assert world.resource.name in made and TYPED in made and "청소년 상담" in made
    # Saved again without the partner: it is gone.
    again = agencies.set_agencies(db, world.ctx(world.supervisor), case.code, AgenciesInput(lead=data.lead))
    assert again.partners == () and len(list(db.scalars(select(CaseAgency)))) == 1


def test_typed_names_and_roles_are_stored_encrypted(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    agencies.set_agencies(
        db, world.ctx(), case.code, AgenciesInput(partners=[AgencyInput(organisation=TYPED, role="상담")])
    )
    db.flush()
    stored = db.execute(text("select organisation, role from case_agencies")).one()
    assert CaseAgency.__table__.c.organisation.info["sensitivity"] == "PII"
    assert stored.organisation.startswith("enc1:") and stored.role.startswith("enc1:")  # the tests' keyring
    assert TYPED not in stored.organisation and "상담" not in stored.role


def test_only_the_case_manager_or_a_supervisor_changes_them(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    with pytest.raises(NotAllowed):
        agencies.set_agencies(db, world.ctx(world.coworker), case.code, AgenciesInput())
    assert agencies.show(db, world.ctx(world.coworker), case.code).may_change is False
    with pytest.raises(NotAllowed):
        agencies.show(db, world.ctx(world.outsider), case.code)
    with pytest.raises(InvalidInput) as unknown:
        agencies.set_agencies(
            db,
            world.ctx(),
            case.code,
            AgenciesInput(partners=[AgencyInput(resource_id=world.resource.id + 999)]),
        )
    assert set(unknown.value.errors) == {"partners.0.resource_id"}
    with pytest.raises(ValidationError):
        AgencyInput(resource_id=world.resource.id, organisation=TYPED)
