"""통합사례회의: a case of another team of the deployment goes on an integrated conference's agenda only
when a supervisor of that team agrees; the third-party consent rule holds for it as for any case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import CaseEvent
from models.conference import AgendaRequest
from models.enums import AgendaRequestStatus, ConferenceType
from models.errors import InvalidInput, NotAllowed, RuleViolation
from models.schemas import ConferenceCaseInput, ExternalMemberInput
from models.services import cases, conferences, consents
from tests.factories import case_in_monitoring, intake, sharing_consent
from tests.unit.core.test_conferences import conference_input

CENTRE = "가상구 정신건강복지센터"
OUTSIDER = ExternalMemberInput(name="김가상", organisation=CENTRE, confidentiality_pledge=True)


def other_teams_case(db, world):
    return cases.open_case(db, world.ctx(world.outsider), intake(name="가상다른팀"))


def test_another_teams_case_waits_for_its_supervisors_agreement(db, world):
    ours = case_in_monitoring(db, world)
    theirs = other_teams_case(db, world)
    data = conference_input(ours)
    data.cases.append(ConferenceCaseInput(code=theirs.code, purpose=data.cases[0].purpose))
    [conference] = conferences.schedule(db, world.ctx(), data)
    # Not on the agenda yet: only our case.
    assert [c.case_id for c in conference.cases] == [ours.id]
    assert conferences.brief(db, conference).codes == (ours.code,)
    [notice] = conferences.pending_requests(db, [conference.id], world.ctx().today)
    assert notice.code == theirs.code
    assert [user for user, _ in notice.supervisors] == [world.other_supervisor.slack_user_id]
    assert "conference_agenda_requested" in set(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == theirs.id))
    )
    # Only the case's team supervisor decides: not the chair, not the case's manager.
    with pytest.raises(NotAllowed):
        conferences.decide_request(db, world.ctx(), notice.request_id, agree=True)
    with pytest.raises(NotAllowed):
        conferences.decide_request(db, world.ctx(world.outsider), notice.request_id, agree=True)
    decided = conferences.decide_request(db, world.ctx(world.other_supervisor), notice.request_id, agree=True)
    assert decided.status == AgendaRequestStatus.AGREED and decided.code == theirs.code
    db.refresh(conference)
    assert {c.case_id for c in conference.cases} == {ours.id, theirs.id}
    assert conferences.pending_requests(db, [conference.id], world.ctx().today) == []
    # A second click changes nothing.
    again = conferences.decide_request(db, world.ctx(world.other_supervisor), notice.request_id, agree=False)
    assert again.status == AgendaRequestStatus.AGREED


def test_a_refusal_keeps_it_off_the_agenda(db, world):
    theirs = other_teams_case(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input(theirs))
    assert conference.cases == []
    [request] = db.scalars(select(AgendaRequest))
    conferences.decide_request(db, world.ctx(world.other_supervisor), request.id, agree=False)
    assert request.status == AgendaRequestStatus.REFUSED and conference.cases == []
    assert "conference_agenda_refused" in set(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == theirs.id))
    )


def test_only_an_integrated_conference_asks_and_the_third_party_consent_rule_holds(db, world):
    theirs = other_teams_case(db, world)
    with pytest.raises(InvalidInput) as refused:  # an internal conference does not take another team's case
        conferences.schedule(
            db, world.ctx(), conference_input(theirs, conference_type=ConferenceType.INTERNAL)
        )
    assert set(refused.value.errors) == {"cases.0.code"}
    # With an outside member, the other team's case needs a consent naming the organisation, as any case.
    with pytest.raises(InvalidInput) as no_consent:
        conferences.schedule(db, world.ctx(), conference_input(theirs, externals=[OUTSIDER]))
    assert set(no_consent.value.errors) == {"cases.0.code"}
    given = consents.record_consent(db, world.ctx(world.outsider), theirs.code, sharing_consent(CENTRE))
    [conference] = conferences.schedule(db, world.ctx(), conference_input(theirs, externals=[OUTSIDER]))
    [request] = db.scalars(select(AgendaRequest))
    # The consent withdrawn before the supervisor agrees: the waiting request is cancelled (logged on
    # the case's timeline), and an agreement afterwards cannot put it on.
    consents.withdraw_consent(db, world.ctx(world.outsider), given.id)
    assert request.status == AgendaRequestStatus.CANCELLED
    assert "conference_agenda_cancelled" in set(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == theirs.id))
    )
    with pytest.raises(RuleViolation) as cancelled:
        conferences.decide_request(db, world.ctx(world.other_supervisor), request.id, agree=True)
    assert cancelled.value.rule == "AGENDA_REQUEST_CANCELLED"
    assert conference.cases == [] and request.status == AgendaRequestStatus.CANCELLED
