"""One household picture, the household in the record export, and agenda requests answered from the
supervisor's Home: the intake's household members shown in the household (never copied), only for the
cases the viewer may see; the export names the household's code and need rating and nothing of the
other cases; a supervisor's pending requests listed for them alone; the chair told of a decision taken
now; a waiting request cancelled when the consent it needs is withdrawn."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.audit import AuditLog
from models.conference import AgendaRequest
from models.enums import AgendaRequestStatus, AuditAction, LifeStage, NeedDomain, Severity
from models.household import HouseholdPerson
from models.schemas import HouseholdInput, HouseholdMemberInput
from models.services import cases, conferences, consents, desk, households
from models.services.export import export_case
from tests.factories import NOW, intake, sharing_consent
from tests.unit.core.test_conferences import conference_input, kst
from tests.unit.core.test_integrated_conference import CENTRE, OUTSIDER, other_teams_case

SEOUL = ZoneInfo("Asia/Seoul")
MY_MEMBER = "가상첫째딸"
THEIR_MEMBER = "가상이웃아들"
THEIR_CLIENT = "가상이웃"


def with_members(name: str, member: str, relation: str):  # an intake recording one household member
    data = intake(name=name)
    return data.model_copy(
        update={
            "household": [
                HouseholdMemberInput(
                    name=member, relation=relation, age_band=LifeStage.YOUTH, co_resident=True
                )
            ]
        }
    )


def linked_pair(db, world):
    """The manager's case and the co-worker's (which the manager does not see), linked by the supervisor."""
    mine = cases.open_case(db, world.ctx(), with_members("가상본인", MY_MEMBER, "딸"))
    theirs = cases.open_case(db, world.ctx(world.coworker), with_members(THEIR_CLIENT, THEIR_MEMBER, "아들"))
    households.change(db, world.ctx(world.supervisor), mine.code, HouseholdInput(link_code=theirs.code))
    return mine, theirs


def test_the_household_shows_the_intake_members_of_the_cases_the_viewer_may_see(db, world):
    mine, theirs = linked_pair(db, world)
    # The manager sees their own client's intake members, names included, and nothing of the other case.
    seen = households.show(db, world.ctx(), mine.code)
    assert [(e.code, [(p.relation, p.age_band, p.name) for p in e.people]) for e in seen.intake] == [
        (mine.code, [("딸", LifeStage.YOUTH, MY_MEMBER)])
    ]
    assert THEIR_MEMBER not in repr(seen)
    # The supervisor sees both cases, so both intakes' members; the other case's read is logged on it.
    before = db.scalar(
        select(AuditLog.id)
        .where(AuditLog.case_code == theirs.code, AuditLog.action == AuditAction.READ)
        .order_by(AuditLog.id.desc())
    )
    both = households.show(db, world.ctx(world.supervisor), mine.code)
    assert [e.code for e in both.intake] == [mine.code, theirs.code]
    assert both.intake[1].people[0].name == THEIR_MEMBER and both.intake[1].people[0].relation == "아들"
    logged = db.scalars(
        select(AuditLog.record).where(
            AuditLog.case_code == theirs.code,
            AuditLog.action == AuditAction.READ,
            AuditLog.id > (before or 0),
        )
    ).all()
    assert "household" in logged
    # Shown from the intake, not copied: the household's own member list stays empty.
    assert db.scalars(select(HouseholdPerson)).all() == []
    # A case in no household shows its own intake members, for the modal to say they are known.
    alone = cases.open_case(db, world.ctx(), with_members("가상혼자", "가상어머니", "어머니"))
    assert [e.code for e in households.show(db, world.ctx(), alone.code).intake] == [alone.code]
    # A submission's answer carries no intake members (nobody reads them there).
    saved = households.change(
        db, world.ctx(), mine.code, HouseholdInput(needs={NeedDomain.ECONOMIC: Severity("3")})
    )
    assert saved.intake == ()


def test_the_export_names_the_household_code_and_rating_and_nothing_of_the_other_cases(db, world):
    mine, theirs = linked_pair(db, world)
    shown = households.change(
        db, world.ctx(world.supervisor), mine.code, HouseholdInput(needs={NeedDomain.ECONOMIC: Severity("3")})
    )
    households.change(
        db,
        world.ctx(world.supervisor),
        theirs.code,
        HouseholdInput(person={"relation": "GRANDPARENT", "age_band": "SENIOR", "name": "가상할머니"}),
    )
    text = export_case(db, mine.code, operator="tester", reason="열람 청구", now=NOW, zone=SEOUL)
    assert shown.code is not None and shown.code in text
    assert "- 가구 욕구 " in text and "3/4" in text
    for other in (theirs.code, THEIR_CLIENT, THEIR_MEMBER, "가상할머니"):
        assert other not in text, other
    assert MY_MEMBER in text  # the client's own intake members stay, as before
    # A case in no household: the section says there is none.
    alone = cases.open_case(db, world.ctx(), intake(name="가상혼자"))
    alone_text = export_case(db, alone.code, operator="tester", reason="열람 청구", now=NOW, zone=SEOUL)
    assert "### 가구\n\n없음" in alone_text


def test_a_supervisor_sees_the_requests_waiting_on_them_and_the_chair_hears_of_a_decision(db, world):
    theirs = other_teams_case(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input(theirs))
    [request] = db.scalars(select(AgendaRequest))
    # Listed on the case's supervisor's Home only: not the chair's team supervisor, not the case's manager.
    [waiting] = desk.team_caseload(db, world.ctx(world.other_supervisor)).agenda_requests
    assert waiting.request_id == request.id and waiting.code == theirs.code
    assert waiting.conference_type == conference.conference_type
    assert desk.team_caseload(db, world.ctx(world.supervisor)).agenda_requests == []
    # Agreed: the chair (the conference's organiser) is to be told; the request leaves the list.
    decided = conferences.decide_request(db, world.ctx(world.other_supervisor), request.id, agree=True)
    assert decided.chair == (world.manager.slack_user_id, world.manager.locale)
    assert desk.team_caseload(db, world.ctx(world.other_supervisor)).agenda_requests == []
    # A second click decides nothing, so nobody is told again.
    again = conferences.decide_request(db, world.ctx(world.other_supervisor), request.id, agree=False)
    assert again.status == AgendaRequestStatus.AGREED and again.chair is None


def test_withdrawing_a_consent_cancels_only_the_requests_that_needed_it(db, world):
    theirs = other_teams_case(db, world)
    given = consents.record_consent(db, world.ctx(world.outsider), theirs.code, sharing_consent(CENTRE))
    [with_outsider] = conferences.schedule(db, world.ctx(), conference_input(theirs, externals=[OUTSIDER]))
    [internal_only] = conferences.schedule(
        db, world.ctx(), conference_input(theirs, scheduled_at=kst(2026, 3, 18, 14, 0))
    )
    consents.withdraw_consent(db, world.ctx(world.outsider), given.id)
    status = dict(db.execute(select(AgendaRequest.conference_id, AgendaRequest.status)).all())
    assert status == {
        with_outsider.id: AgendaRequestStatus.CANCELLED,
        internal_only.id: AgendaRequestStatus.PENDING,
    }
    [left] = desk.team_caseload(db, world.ctx(world.other_supervisor)).agenda_requests
    assert left.code == theirs.code
