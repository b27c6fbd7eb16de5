"""The 인쇄 button's one-time link: one download, within ten minutes, by the person who asked; anything
else is refused and logged, and serves nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.audit import AuditLog
from models.enums import AuditAction, StaffRole
from models.errors import InvalidInput, NotAllowed
from models.print_link import PrintLink
from models.services.forms import Form, issue_link, issue_stats_link, redeem_link
from tests.factories import NOW, case_in_monitoring

SEOUL = ZoneInfo("Asia/Seoul")


def redeem(uow, token, user, now=NOW):
    with uow() as db:
        return redeem_link(db, token, user, now=now, zone=SEOUL, agency="가상복지관")


def refusals(db, why: str) -> list[AuditLog]:
    return list(
        db.scalars(
            select(AuditLog).where(
                AuditLog.action == AuditAction.REFUSED, AuditLog.detail == f"print link plan: {why}"
            )
        )
    )


def test_one_download_by_the_person_who_asked_then_refused_and_logged(db, uow, world):
    case = case_in_monitoring(db, world)
    token = issue_link(db, world.ctx(), case.code, Form.PLAN, "ko")
    db.flush()
    assert token not in str([link.token_hash for link in db.scalars(select(PrintLink))])  # only a hash
    name, pdf = redeem(uow, token, world.manager.slack_user_id, NOW + timedelta(minutes=9))
    assert name == f"{case.code}-plan.pdf" and pdf.startswith(b"%PDF")
    printed = db.scalars(select(AuditLog).where(AuditLog.record == "printed_form")).all()
    assert [(p.actor_id, p.detail) for p in printed] == [(world.manager.id, "plan")]
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.manager.slack_user_id)
    assert len(refusals(db, "used")) == 1


def test_a_late_link_is_refused_and_logged(db, uow, world):
    case = case_in_monitoring(db, world)
    token = issue_link(db, world.ctx(), case.code, Form.PLAN, "ko")
    db.flush()
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.manager.slack_user_id, NOW + timedelta(minutes=10, seconds=1))
    assert len(refusals(db, "expired")) == 1
    assert db.scalar(select(PrintLink.used_at)) is None


def test_another_person_s_use_is_refused_and_logged(db, uow, world):
    case = case_in_monitoring(db, world)
    token = issue_link(db, world.ctx(), case.code, Form.PLAN, "ko")
    db.flush()
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.coworker.slack_user_id)
    [refused] = refusals(db, "other_person")
    assert refused.actor_ref == world.coworker.slack_user_id and refused.case_code == case.code
    # the person it was made for still gets it, once
    assert redeem(uow, token, world.manager.slack_user_id)[1].startswith(b"%PDF")


def test_only_the_circle_gets_a_link(db, world):
    case = case_in_monitoring(db, world)
    with pytest.raises(NotAllowed):
        issue_link(db, world.ctx(world.outsider), case.code, Form.PLAN, "ko")


def test_an_unknown_token_is_refused(uow):
    with pytest.raises(NotAllowed):
        redeem(uow, "not-a-token", "UMANAGER")


# ------------------------------------------------------------------ the statistics workbook (`/case stats`)


def test_a_supervisor_gets_the_months_workbook_once_and_others_are_refused(db, uow, world):
    case_in_monitoring(db, world)
    token, month = issue_stats_link(db, world.ctx(world.supervisor), "2026-02", "ko")
    db.flush()
    assert month == "2026-02"
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.manager.slack_user_id)  # the link is the supervisor's
    name, workbook = redeem(uow, token, world.supervisor.slack_user_id)
    assert name == "casebot-stats-2026-02.xlsx"
    sheets = load_workbook(io.BytesIO(workbook)).sheetnames
    assert sheets[:3] == ["overview", "intake", "assessments"]
    runs = db.scalars(select(AuditLog.detail).where(AuditLog.record == "statistics")).all()
    assert runs == ["from=2026-02-01 to=2026-02-28 team=사례관리1팀"]  # the run is logged, once
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.supervisor.slack_user_id)
    refused = db.scalars(select(AuditLog.detail).where(AuditLog.action == AuditAction.REFUSED)).all()
    assert sorted(refused) == ["print link stats: other_person", "print link stats: used"]


def test_only_a_supervisor_gets_a_statistics_link_and_a_demoted_one_cannot_use_it(db, uow, world):
    with pytest.raises(NotAllowed):
        issue_stats_link(db, world.ctx(world.manager), None, "ko")
    with pytest.raises(InvalidInput):
        issue_stats_link(db, world.ctx(world.supervisor), "2026-13", "ko")
    token, month = issue_stats_link(db, world.ctx(world.supervisor), None, "en")
    assert month == "2026-02"  # the last full month before NOW (2026-03)
    world.supervisor.role = StaffRole.CASE_MANAGER
    db.flush()
    with pytest.raises(NotAllowed):
        redeem(uow, token, world.supervisor.slack_user_id)
