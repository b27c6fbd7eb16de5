"""가구: cases of one household linked by their case manager or supervisor; a viewer sees the codes of
the household's other cases only where they may see those cases, and nothing of the others."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from models.audit import AuditLog, CaseEvent
from models.enums import AuditAction, CaseStatus, HouseholdRelation, LifeStage, NeedDomain, Severity
from models.errors import InvalidInput, NotAllowed, RuleViolation
from models.household import Household, HouseholdPerson
from models.schemas import HouseholdInput, HouseholdPersonInput
from models.services import case_file, cases, desk, households, retention
from models.services.context import Policy
from tests.factories import NOW, intake

SEOUL = ZoneInfo("Asia/Seoul")

MEMBER_NAME = "가상둘째"


def events(db, case) -> list[str]:
    return list(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )


def test_linking_two_cases_makes_a_household_with_a_code_and_both_timelines_say_so(db, world):
    first = cases.open_case(db, world.ctx(), intake())
    second = cases.open_case(db, world.ctx(), intake(name="가상이웃"))
    shown = households.change(db, world.ctx(), first.code, HouseholdInput(link_code=second.code.lower()))
    assert shown.code is not None and shown.code.startswith("H-2026-")
    assert shown.others == (second.code,)
    assert households.show(db, world.ctx(), second.code).others == (first.code,)
    assert events(db, first)[-1] == events(db, second)[-1] == "household_linked"
    # Linking again changes nothing; a case is not linked to itself.
    households.change(db, world.ctx(), first.code, HouseholdInput(link_code=second.code))
    assert len(db.scalar(select(Household)).cases) == 2
    with pytest.raises(InvalidInput) as same:
        households.change(db, world.ctx(), first.code, HouseholdInput(link_code=first.code))
    assert set(same.value.errors) == {"link_code"}


def test_a_viewer_sees_only_the_codes_of_the_cases_they_may_see(db, world):
    mine = cases.open_case(db, world.ctx(), intake())
    theirs = cases.open_case(db, world.ctx(world.coworker), intake(name="가상이웃"))
    # The supervisor of the team leads both cases and links them.
    households.change(db, world.ctx(world.supervisor), mine.code, HouseholdInput(link_code=theirs.code))
    # The manager does not see the co-worker's case: nothing of it, not even a count.
    seen = households.show(db, world.ctx(), mine.code)
    assert seen.code is not None and seen.others == ()
    summary = desk.case_summary(db, world.ctx(), mine.code)
    assert summary.household is not None and summary.household.others == ()
    page = case_file.read_page(db, world.ctx(), mine.code, case_file.Section.NOTES)
    assert page.household is not None and page.household.others == ()
    # Made a co-worker of it, the manager sees its code.
    cases.add_coworker(db, world.ctx(world.coworker), theirs.code, world.manager.id)
    assert households.show(db, world.ctx(), mine.code).others == (theirs.code,)
    assert desk.case_summary(db, world.ctx(world.supervisor), theirs.code).household.others == (mine.code,)
    page = case_file.read_page(db, world.ctx(world.supervisor), theirs.code, case_file.Section.NOTES)
    assert page.household.code == seen.code and page.household.others == (mine.code,)


def test_only_the_lead_of_both_cases_links_them_and_refusals_are_audited(db, world):
    mine = cases.open_case(db, world.ctx(), intake())
    theirs = cases.open_case(db, world.ctx(world.coworker), intake(name="가상이웃"))
    cases.add_coworker(db, world.ctx(world.coworker), theirs.code, world.manager.id)
    # The manager sees the other case as a co-worker but does not lead it.
    with pytest.raises(NotAllowed):
        households.change(db, world.ctx(), mine.code, HouseholdInput(link_code=theirs.code))
    # A co-worker does not change the household of a case they do not lead.
    with pytest.raises(NotAllowed):
        households.change(db, world.ctx(), theirs.code, HouseholdInput(create=True))
    # Someone of another team may not even read it.
    with pytest.raises(NotAllowed):
        households.show(db, world.ctx(world.outsider), mine.code)
    assert db.scalar(select(Household)) is None


def test_members_and_one_household_rating_and_unlinking(db, world):
    first = cases.open_case(db, world.ctx(), intake())
    second = cases.open_case(db, world.ctx(), intake(name="가상이웃"))
    person = HouseholdPersonInput(
        relation=HouseholdRelation.CHILD, age_band=LifeStage.CHILD, name=MEMBER_NAME
    )
    shown = households.change(
        db,
        world.ctx(),
        first.code,
        HouseholdInput(person=person, needs={NeedDomain.ECONOMIC: Severity.SEVERE}),
    )
    assert shown.code is not None and shown.others == ()  # made for this case alone
    [member] = shown.people
    assert (member.relation, member.age_band, member.name) == (
        HouseholdRelation.CHILD,
        LifeStage.CHILD,
        MEMBER_NAME,
    )
    assert shown.needs == {NeedDomain.ECONOMIC: Severity.SEVERE}
    stored = db.execute(text("select name from household_persons")).scalar_one()
    assert stored.startswith("enc1:") and MEMBER_NAME not in stored  # encrypted at rest (the tests' keyring)
    assert NeedDomain.ECONOMIC in shown.domains
    households.change(db, world.ctx(), second.code, HouseholdInput(link_code=first.code))
    # The rating is the household's: seen from the other case, changed from it once.
    again = households.change(
        db, world.ctx(), second.code, HouseholdInput(needs={NeedDomain.ECONOMIC: Severity.MODERATE})
    )
    assert again.needs == {NeedDomain.ECONOMIC: Severity.MODERATE} and again.code == shown.code
    assert "household_changed" in events(db, second)
    # A member is removed by id; an unknown id is refused on its field.
    with pytest.raises(InvalidInput):
        households.change(db, world.ctx(), first.code, HouseholdInput(remove_person_ids=[member.id + 99]))
    assert (
        households.change(db, world.ctx(), first.code, HouseholdInput(remove_person_ids=[member.id])).people
        == ()
    )
    # Unlinking: the case leaves; the last case leaving ends the household and what it held.
    households.change(db, world.ctx(), first.code, HouseholdInput(unlink=True))
    assert households.show(db, world.ctx(), first.code).code is None
    assert households.show(db, world.ctx(), second.code).others == ()
    with pytest.raises(RuleViolation):
        households.change(db, world.ctx(), first.code, HouseholdInput(unlink=True))
    households.change(db, world.ctx(), second.code, HouseholdInput(unlink=True))
    assert db.scalar(select(Household)) is None and db.scalar(select(HouseholdPerson)) is None
    assert events(db, first)[-1] == "household_unlinked"
    destroyed = db.scalar(
        select(AuditLog).where(AuditLog.record == "household", AuditLog.action == AuditAction.DESTROY)
    )
    assert destroyed is not None and destroyed.detail == shown.code


def test_a_case_in_another_household_is_not_moved_silently(db, world):
    a, b, c = (cases.open_case(db, world.ctx(), intake(name=n)) for n in ("가상가", "가상나", "가상다"))
    households.change(db, world.ctx(), a.code, HouseholdInput(link_code=b.code))
    households.change(db, world.ctx(), c.code, HouseholdInput(create=True))
    with pytest.raises(InvalidInput) as moved:
        households.change(db, world.ctx(), c.code, HouseholdInput(link_code=a.code))
    assert set(moved.value.errors) == {"link_code"}


def test_strict_mode_keeps_no_member_name(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    strict = world.ctx(policy=Policy(privacy_mode="strict"))
    person = HouseholdPersonInput(relation=HouseholdRelation.SPOUSE, name=MEMBER_NAME)
    with pytest.raises(InvalidInput) as refused:
        households.change(db, strict, case.code, HouseholdInput(person=person))
    assert set(refused.value.errors) == {"person_name"}


def test_reads_are_logged(db, world):
    first = cases.open_case(db, world.ctx(), intake())
    households.change(db, world.ctx(), first.code, HouseholdInput(create=True))
    households.show(db, world.ctx(), first.code)
    reads = db.scalars(
        select(AuditLog.record).where(AuditLog.case_id == first.id, AuditLog.action == AuditAction.READ)
    )
    assert "household" in set(reads)


def test_destroying_the_last_case_of_a_household_destroys_its_members(db, world):
    first = cases.open_case(db, world.ctx(), intake())
    second = cases.open_case(db, world.ctx(), intake(name="가상이웃"))
    person = HouseholdPersonInput(relation=HouseholdRelation.PARENT, name=MEMBER_NAME)
    households.change(db, world.ctx(), first.code, HouseholdInput(link_code=second.code, person=person))
    for case in (first, second):
        case.status = CaseStatus.ARCHIVED
    db.flush()
    retention.purge_case(db, first.id, now=NOW, zone=SEOUL)
    db.expire_all()
    assert len(db.scalar(select(Household)).cases) == 1  # the other case keeps it
    retention.purge_case(db, second.id, now=NOW, zone=SEOUL)
    db.expire_all()
    assert db.scalar(select(Household)) is None and db.scalar(select(HouseholdPerson)) is None
