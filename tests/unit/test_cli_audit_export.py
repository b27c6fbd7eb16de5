"""`casebot audit` and `casebot export`: the access log and a client's record, from the command line."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.settings import load_settings
from casebot.cli import main
from models import AuditLog
from models.db import make_engine, make_session_factory
from models.enums import AuditAction, Surface
from models.services import notes
from tests.factories import CLIENT_NAME, case_in_monitoring, contact, make_world


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, empty_database_url):
    url = empty_database_url(request.param)
    assert main(["db", "upgrade"], settings_loader=lambda: load_settings(database_url=url)) == 0
    return url


def run(url: str, *argv: str) -> int:
    return main(list(argv), settings_loader=lambda: load_settings(database_url=url))


@pytest.fixture
def case_code(database_url) -> str:
    """A case in monitoring with a contact note, committed to the database."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        world = make_world(db)
        case = case_in_monitoring(db, world)
        notes.log_contact(db, world.ctx(), case.code, contact(world.ctx().now, summary="가정방문 내용 기록"))
        code = case.code
        db.commit()
    engine.dispose()
    return code


def exports(url: str) -> list[AuditLog]:
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        rows = list(db.scalars(select(AuditLog).where(AuditLog.action == AuditAction.EXPORT)))
    engine.dispose()
    return rows


def test_audit_of_a_case_lists_every_write_and_is_itself_logged(database_url, case_code, capsys):
    assert run(database_url, "audit", "--case", case_code, "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    records = [row["record"] for row in rows]
    assert rows and {row["case"] for row in rows} == {case_code}
    assert "case_opened" in records and "contact_logged" in records
    assert all(row["actor"] == "Manager" for row in rows)
    logged = exports(database_url)
    assert [(r.record, r.surface, r.actor_ref.startswith("cli:")) for r in logged] == [
        ("audit_log", Surface.CLI, True)
    ]
    assert f"case={case_code}" in logged[0].detail


def test_audit_by_person_and_by_team(database_url, case_code, capsys):
    assert run(database_url, "audit", "--person", "UMANAGER") == 0
    out = capsys.readouterr().out
    assert case_code in out and out.strip().splitlines()[-1].startswith(f"{len(out.splitlines()) - 1} access")
    assert run(database_url, "audit", "--team", "사례관리2팀") == 0  # the other team: none of its cases
    assert capsys.readouterr().out.strip() == "0 access record(s) for team=사례관리2팀"
    assert run(database_url, "audit", "--team", "없는팀") == 1
    assert "No team named" in capsys.readouterr().err
    assert run(database_url, "audit") == 1
    assert "--case CODE" in capsys.readouterr().err


def test_export_is_a_readable_document_with_the_record_and_its_access_log(
    database_url, case_code, tmp_path, capsys
):
    out = tmp_path / "export.md"
    assert run(database_url, "export", case_code, "--reason", "열람 청구 2026-11-20", "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# 사례 기록 열람본: {case_code}")
    for expected in (
        CLIENT_NAME,
        "가정방문 내용 기록",
        "## 사정",
        "## 서비스 계획",
        "## 열람·처리 기록",
        "사유: 열람 청구",
    ):
        assert expected in text
    assert "- 이름: " + CLIENT_NAME in text
    logged = exports(database_url)
    assert [(r.record, r.case_code, r.detail) for r in logged] == [
        ("case_export", case_code, "열람 청구 2026-11-20")
    ]
    assert run(database_url, "export", case_code, "--reason", "access request", "--locale", "en") == 0
    english = capsys.readouterr().out
    assert "# Case record export" in english and "- Name: " + CLIENT_NAME in english


def test_export_of_an_unknown_case_says_so(database_url, capsys):
    assert run(database_url, "export", "C-2026-9999", "--reason", "x") == 1
    assert "C-2026-9999" in capsys.readouterr().err
    assert exports(database_url) == []


def test_print_writes_the_plan_as_a_pdf_for_signature_and_logs_it(database_url, case_code, tmp_path):
    import io

    from pypdf import PdfReader

    out = tmp_path / "plan.pdf"
    assert run(database_url, "print", case_code, "--form", "plan", "--out", str(out)) == 0
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    for expected in (
        "서비스제공계획서",
        case_code,
        "체납개월수",
        "주거급여신청동행",
        "팀장",
        "보호자(법정대리인)",
    ):
        assert expected in text, expected
    assert [(r.record, r.case_code, r.detail) for r in exports(database_url)] == [
        ("printed_form", case_code, "plan")
    ]
    # a form with nothing in the record yet: a clear answer, no file
    assert run(database_url, "print", case_code, "--form", "closure", "--out", str(tmp_path / "c.pdf")) != 0
    assert not (tmp_path / "c.pdf").exists()
