"""The admin's desk in Slack, through the running bot: the App Home lists staff and resources (no case
content); staff are added and deactivated and resources imported from modals, every change audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import Action, View
from models import AuditLog, Resource, StaffMember
from models.enums import StaffRole
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, choice, state, submit, text
from tests.e2e.test_home import NAME, open_cases, open_home, published

ADMIN = "UADMIN"


def audited(bot: RunningBot, record: str) -> list[str]:
    with bot.uow() as db:
        return [a.detail or "" for a in db.scalars(select(AuditLog).where(AuditLog.record == record))]


def test_the_admin_adds_staff_from_the_home_and_sees_no_case_content(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    add_staff(bot, "UCM1")
    [code] = open_cases(bot, "UCM1", 0)
    open_home(bot, ADMIN)
    home = published(bot)["view"]
    shown = json.dumps(home, ensure_ascii=False)
    assert "<@UCM1>" in shown and code not in shown and NAME not in shown  # staff, never cases

    request = block_actions(
        SIGNING_SECRET,
        user_id=ADMIN,
        actions=[{"action_id": Action.ADMIN_ADD_STAFF}],
        view={"type": "home", "id": "VHOMEADMIN"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    modal = bot.slack.wait_for("views.open")[0].params["view"]
    assert modal["callback_id"] == View.ADMIN_ADD_STAFF

    person = {"type": "users_select", "selected_user": "UNEW1"}
    values = state(
        slack_user_id=person, display_name=text("새직원"), role=choice("supervisor"), team=text("2팀")
    )
    status, body = submit(bot, ADMIN, View.ADMIN_ADD_STAFF, values, view_id="VADD1")
    assert status == 200 and body["response_action"] == "update", body
    with bot.uow() as db:
        added = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "UNEW1"))
        assert added is not None and added.role == StaffRole.SUPERVISOR and added.active
    assert any("UNEW1" in detail for detail in audited(bot, "staff"))
    again = published(bot, 2)["view"]  # the desk shows the newcomer
    assert "<@UNEW1>" in json.dumps(again, ensure_ascii=False)

    # Not an admin: refused under the first field, nothing added.
    status, body = submit(bot, "UCM1", View.ADMIN_ADD_STAFF, values | {}, view_id="VADD2")
    assert body["response_action"] == "errors"


def test_deactivating_someone_who_still_manages_cases_is_refused_with_their_codes(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    add_staff(bot, "UCM1")
    codes = open_cases(bot, "UCM1", 0, count=2)
    member = {"type": "users_select", "selected_user": "UCM1"}
    status, body = submit(bot, ADMIN, View.ADMIN_DEACTIVATE, state(member=member), view_id="VDEACT1")
    assert status == 200 and body["response_action"] == "errors", body
    refusal = body["errors"]["reassign_to"]
    assert all(code in refusal for code in codes) and "이관" in refusal
    with bot.uow() as db:
        assert db.scalar(select(StaffMember.active).where(StaffMember.slack_user_id == "UCM1"))
    assert not any("deactivated" in detail for detail in audited(bot, "staff"))

    add_staff(bot, "UIDLE")  # no cases: deactivated, and audited
    member = {"type": "users_select", "selected_user": "UIDLE"}
    status, body = submit(bot, ADMIN, View.ADMIN_DEACTIVATE, state(member=member), view_id="VDEACT2")
    assert body["response_action"] == "update", body
    with bot.uow() as db:
        assert not db.scalar(select(StaffMember.active).where(StaffMember.slack_user_id == "UIDLE"))
    assert any("deactivated UIDLE" in detail for detail in audited(bot, "staff"))


def test_a_csv_with_a_bad_row_writes_nothing_and_names_the_line(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    csv = "name,category,sector\n가상 푸드뱅크,ECONOMIC,PUBLIC\n가상 병원,NOT_A_CATEGORY,PRIVATE\n"
    status, body = submit(bot, ADMIN, View.ADMIN_IMPORT, state(csv=text(csv)), view_id="VCSV1")
    assert status == 200 and body["response_action"] == "errors", body
    assert "3번째 줄" in body["errors"]["csv"] and "2번째" not in body["errors"]["csv"]
    with bot.uow() as db:
        assert db.scalars(select(Resource)).all() == []

    good = "name,category,sector\n가상 푸드뱅크,ECONOMIC,PUBLIC\n"
    status, body = submit(bot, ADMIN, View.ADMIN_IMPORT, state(csv=text(good)), view_id="VCSV2")
    assert body["response_action"] == "update", body
    with bot.uow() as db:
        assert [r.name for r in db.scalars(select(Resource))] == ["가상 푸드뱅크"]
    assert audited(bot, "resources")


def test_a_resource_is_added_and_edited_from_the_home_and_audited(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    values = state(
        name=text("가상 주거지원센터"),
        category=choice("HOUSING"),
        sector=choice("PUBLIC"),
        has_mou={"type": "checkboxes", "selected_options": [{"value": "yes"}]},
    )
    status, body = submit(bot, ADMIN, View.ADMIN_RESOURCE, values, view_id="VRES1")
    assert status == 200 and body["response_action"] == "update", body
    with bot.uow() as db:
        [resource] = db.scalars(select(Resource)).all()
        assert resource.has_mou and resource.last_verified_at is not None
    home = published(bot)["view"]
    edit = next(
        e
        for block in home["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
        if e["action_id"] == Action.ADMIN_EDIT_RESOURCE
    )
    request = block_actions(
        SIGNING_SECRET,
        user_id=ADMIN,
        actions=[{"action_id": Action.ADMIN_EDIT_RESOURCE, "value": edit["value"]}],
        view={"type": "home", "id": "VHOMEADMIN"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    modal = bot.slack.wait_for("views.open")[0].params["view"]
    name = next(b for b in modal["blocks"] if b.get("block_id") == "name")
    assert name["element"]["initial_value"] == "가상 주거지원센터"
    changed = state(name=text("가상 주거복지센터"), category=choice("HOUSING"), sector=choice("PRIVATE"))
    status, body = submit(
        bot, ADMIN, View.ADMIN_RESOURCE, changed, view_id="VRES2", private_metadata=modal["private_metadata"]
    )
    assert body["response_action"] == "update", body
    with bot.uow() as db:
        [resource] = db.scalars(select(Resource)).all()
        assert (resource.name, resource.sector.value, resource.has_mou) == (
            "가상 주거복지센터",
            "PRIVATE",
            False,
        )
    assert len(audited(bot, "resources")) == 2


def test_an_admin_edits_a_staff_members_role_from_slack(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    add_staff(bot, "UCM1")
    member = {"type": "users_select", "selected_user": "UCM1"}
    values = state(member=member, role=choice("supervisor"))
    status, body = submit(bot, ADMIN, View.ADMIN_EDIT_STAFF, values, view_id="VEDIT1")
    assert status == 200 and body["response_action"] == "update", body
    with bot.uow() as db:
        assert db.scalar(select(StaffMember.role).where(StaffMember.slack_user_id == "UCM1")) == (
            StaffRole.SUPERVISOR
        )
    assert any("changed UCM1" in detail for detail in audited(bot, "staff"))
