"""R5 at case conferences: a case is discussed with outside members only under a third-party consent
naming their organisation, and withdrawing that consent takes the case off coming agendas."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import CaseEvent
from models.conference import ConferenceCase
from models.errors import InvalidInput
from models.resource import Resource
from models.schemas import ConferenceCaseInput, ExternalMemberInput
from models.services import conferences, consents
from tests.factories import case_in_monitoring, sharing_consent
from tests.unit.core.test_conferences import conference_input

CENTRE = "가상구 정신건강복지센터"
OUTSIDER = ExternalMemberInput(name="김가상", organisation=CENTRE, confidentiality_pledge=True)


def third_party(db, world, case, *, names=(), resources=()):
    data = sharing_consent(*names).model_copy(update={"recipient_resource_ids": list(resources)})
    return consents.record_consent(db, world.ctx(), case.code, data)


def test_no_consent_naming_the_outside_organisation_refuses_the_agenda_row(db, world):
    case = case_in_monitoring(db, world)
    third_party(db, world, case, names=["다른 기관"])
    with pytest.raises(InvalidInput) as refused:
        conferences.schedule(db, world.ctx(), conference_input(case, externals=[OUTSIDER]))
    assert set(refused.value.errors) == {"cases.0.code"}
    assert CENTRE in refused.value.errors["cases.0.code"].ko
    # The same case at a meeting of staff only needs no third-party consent.
    assert conferences.schedule(db, world.ctx(), conference_input(case))


def test_a_consent_naming_the_organisation_or_its_directory_entry_allows_it(db, world):
    by_name, by_resource = case_in_monitoring(db, world), case_in_monitoring(db, world)
    third_party(db, world, by_name, names=["가상구  정신건강복지센터"])  # spacing does not matter
    centre = Resource(name=CENTRE, category=world.resource.category, sector=world.resource.sector)
    db.add(centre)
    db.flush()
    third_party(db, world, by_resource, resources=[centre.id])
    data = conference_input(by_name, externals=[OUTSIDER])
    data.cases.append(ConferenceCaseInput(code=by_resource.code, purpose=data.cases[0].purpose))
    [conference] = conferences.schedule(db, world.ctx(), data)
    assert {c.case_id for c in conference.cases} == {by_name.id, by_resource.id}


def test_withdrawing_the_consent_takes_the_case_off_coming_external_agendas(db, world):
    case = case_in_monitoring(db, world)
    given = third_party(db, world, case, names=[CENTRE])
    [external] = conferences.schedule(db, world.ctx(), conference_input(case, externals=[OUTSIDER]))
    [internal] = conferences.schedule(db, world.ctx(), conference_input(case))
    consents.withdraw_consent(db, world.ctx(), given.id)
    on_agenda = set(db.scalars(select(ConferenceCase.conference_id).where(ConferenceCase.case_id == case.id)))
    assert on_agenda == {internal.id}
    withdrawn = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event == "consent_withdrawn")
    ).one()
    assert withdrawn.data["removed_from_conferences"] == [external.id]
