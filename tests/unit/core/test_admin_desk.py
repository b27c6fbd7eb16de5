"""The admin desk's rules, without Slack: admins only, no case content, refusals and audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditLog, Resource
from models.enums import ResourceCategory, ResourceSector, StaffRole
from models.errors import InvalidInput, NotAllowed
from models.schemas import ResourceInput, StaffInput
from models.services import admin_desk, cases
from tests.factories import intake


def test_only_admins_use_the_desk(db, world):
    with pytest.raises(NotAllowed):
        admin_desk.directory(db, world.ctx(world.supervisor))
    data = StaffInput(slack_user_id="UNEW", display_name="새직원", role=StaffRole.CASE_MANAGER, team="1팀")
    with pytest.raises(NotAllowed):
        admin_desk.add_staff(db, world.ctx(world.manager), data)


def test_the_directory_lists_staff_and_resources_but_no_cases(db, world):
    cases.open_case(db, world.ctx(), intake())
    found = admin_desk.directory(db, world.ctx(world.admin))
    assert {row.slack_user_id for row in found.staff} >= {"UMANAGER", "UADMIN"}
    assert not hasattr(found, "cases")


def test_deactivation_is_refused_with_the_codes_of_open_cases_and_audited_when_done(db, world):
    code = cases.open_case(db, world.ctx(), intake()).code
    with pytest.raises(InvalidInput) as refused:
        admin_desk.deactivate(db, world.ctx(world.admin), "UMANAGER")
    assert code in refused.value.errors["reassign_to"].text("ko")
    assert world.manager.active
    admin_desk.deactivate(db, world.ctx(world.admin), "UCOWORKER")
    assert not world.coworker.active
    details = db.scalars(select(AuditLog.detail).where(AuditLog.record == "staff")).all()
    assert details == ["deactivated UCOWORKER"]


def test_an_import_with_a_bad_line_writes_nothing_and_names_it(db, world):
    before = len(db.scalars(select(Resource)).all())  # the world's own
    bad = "name,category,sector\nA,ECONOMIC,PUBLIC\nB,WRONG,PUBLIC\n"
    with pytest.raises(InvalidInput) as failed:
        admin_desk.import_resources(db, world.ctx(world.admin), bad)
    assert "line 3" in failed.value.errors["csv"].text("en")
    assert len(db.scalars(select(Resource)).all()) == before
    report = admin_desk.import_resources(
        db, world.ctx(world.admin), "name,category,sector\nA,ECONOMIC,PUBLIC\n"
    )
    assert (report.created, report.updated) == (1, 0)
    [resource] = db.scalars(select(Resource).where(Resource.name == "A")).all()
    admin_desk.verify_resource(db, world.ctx(world.admin), resource.id)
    assert len(db.scalars(select(AuditLog).where(AuditLog.record == "resources")).all()) == 2


def test_a_resource_is_added_and_changed_by_an_admin_only(db, world):
    data = ResourceInput(name="B", category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC)
    with pytest.raises(NotAllowed):
        admin_desk.save_resource(db, world.ctx(world.supervisor), data)
    added = admin_desk.save_resource(db, world.ctx(world.admin), data)
    form = admin_desk.resource_form(db, world.ctx(world.admin), added.id)
    changed = admin_desk.save_resource(
        db, world.ctx(world.admin), form.model_copy(update={"name": "C"}), added.id
    )
    assert changed.id == added.id and changed.name == "C"


def test_an_admin_changes_a_staff_members_role_and_team_and_it_is_audited(db, world):
    change = admin_desk.StaffChange("UCOWORKER", role=StaffRole.SUPERVISOR, team="3팀")
    with pytest.raises(NotAllowed):
        admin_desk.edit_staff(db, world.ctx(world.supervisor), change)
    member = admin_desk.edit_staff(db, world.ctx(world.admin), change)
    assert member.role == StaffRole.SUPERVISOR and member.team.name == "3팀"
    with pytest.raises(InvalidInput):
        admin_desk.edit_staff(db, world.ctx(world.admin), admin_desk.StaffChange("UCOWORKER"))
    [detail] = db.scalars(select(AuditLog.detail).where(AuditLog.record == "staff")).all()
    assert "UCOWORKER" in detail and "supervisor" in detail
