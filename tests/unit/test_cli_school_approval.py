"""`casebot staff approve / revoke / approvals` and the approval column of `staff list` (school profile)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.settings import load_settings
from casebot.cli import main
from models.audit import AuditLog
from models.db import make_engine, make_session_factory
from models.enums import AuditAction
from models.staff import DataHandlingApproval


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, empty_database_url):
    url = empty_database_url(request.param)
    assert run(url, "db", "upgrade") == 0
    for user, role in (("U0TEACH", "school_staff"), ("U0CM", "case_manager"), ("U0ADM", "admin")):
        assert (
            run(url, "staff", "add", user, "--name", f"{user}(가상)", "--role", role, "--team", "교육복지")
            == 0
        )
    return url


def run(url: str, *argv: str, profile: str = "school") -> int:
    return main(list(argv), settings_loader=lambda: load_settings(database_url=url, profile=profile))


def rows(url: str, model, *where):
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        found = list(db.scalars(select(model).where(*where).order_by(model.id)))
    engine.dispose()
    return found


def listing(url: str, capsys) -> dict[str, str]:
    capsys.readouterr()
    assert run(url, "staff", "list") == 0
    return {line.split("\t")[1]: line for line in capsys.readouterr().out.splitlines()}


def test_approve_list_revoke_and_the_history(database_url, capsys):
    today = date.today()
    until = (today + timedelta(days=120)).isoformat()
    assert listing(database_url, capsys)["U0TEACH"].endswith("\tnot approved")

    assert (
        run(
            database_url,
            "staff",
            "approve",
            "U0TEACH",
            "--by",
            "교장 김가상",
            "--ref",
            "교무-101",
            "--until",
            until,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Approved" in out and "U0TEACH" in out and "교무-101" in out
    lines = listing(database_url, capsys)
    assert f"until {until}" in lines["U0TEACH"] and "교장 김가상" in lines["U0TEACH"]
    assert lines["U0CM"].endswith("\tnot approved") and lines["U0ADM"].endswith("\t-")

    assert run(database_url, "staff", "revoke", "U0TEACH", "--reason", "전보") == 0
    assert "Revoked" in capsys.readouterr().out
    assert "approval revoked" in listing(database_url, capsys)["U0TEACH"]
    assert run(database_url, "staff", "revoke", "U0TEACH") == 1  # nothing left to revoke
    assert "no approval to revoke" in capsys.readouterr().err

    assert run(database_url, "staff", "approvals", "U0TEACH") == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 1 and "revoked" in history[0] and "(전보)" in history[0] and "cli:" in history[0]

    (kept,) = rows(database_url, DataHandlingApproval)
    assert kept.approved_by == "교장 김가상" and kept.reference == "교무-101"
    assert kept.valid_until == date.fromisoformat(until) and kept.revoked_at is not None
    assert kept.entered_by.startswith("cli:") and kept.revoked_by == kept.entered_by
    logged = rows(database_url, AuditLog, AuditLog.record == "staff_approval")
    assert [r.action for r in logged] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert all(r.actor_ref == kept.entered_by for r in logged)


def test_bad_input_is_one_line_and_records_nothing(database_url, capsys):
    assert (
        run(
            database_url, "staff", "approve", "U0TEACH", "--by", "교장", "--ref", "1", "--until", "31/12/2026"
        )
        == 1
    )
    assert "--until" in capsys.readouterr().err
    assert run(database_url, "staff", "approve", "U0ADM", "--by", "교장", "--ref", "1") == 1
    assert "Administrators" in capsys.readouterr().err
    assert run(database_url, "staff", "approve", "UNOBODY", "--by", "교장", "--ref", "1") == 1
    assert "No staff member UNOBODY" in capsys.readouterr().err
    assert rows(database_url, DataHandlingApproval) == []


def test_outside_the_school_profile_the_list_is_unchanged_and_approving_says_it_is_not_needed(
    database_url, capsys
):
    capsys.readouterr()
    assert run(database_url, "staff", "list", profile="welfare_centre") == 0
    assert all(line.count("\t") == 5 for line in capsys.readouterr().out.splitlines())
    assert (
        run(database_url, "staff", "approve", "U0CM", "--by", "교장", "--ref", "1", profile="welfare_centre")
        == 0
    )
    assert "only under PROFILE=school" in capsys.readouterr().err
