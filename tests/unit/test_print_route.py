"""GET /print/<token> on Casebot's own HTTP server (casebot.server.wsgi_app): the PDF once, for the
person the link was made for; used twice, late, or by another person: 403 with the reason, logged."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from bot.settings import load_settings
from casebot.server import DOWNLOAD_TYPES, print_downloads, wsgi_app
from models.audit import AuditLog
from models.clock import FixedClock
from models.enums import AuditAction
from models.services.forms import Form, issue_link, issue_stats_link
from tests.factories import NOW, case_in_monitoring, make_world


def get(application, path: str, query: str) -> tuple[str, dict, bytes]:
    answer: dict = {}

    def start_response(status, headers):  # type: ignore[no-untyped-def]
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def test_the_route_serves_a_link_once_to_its_person_and_refuses_the_rest(db, uow):
    world = make_world(db)
    case = case_in_monitoring(db, world)
    first = issue_link(db, world.ctx(), case.code, Form.PLAN, "ko")
    late = issue_link(db, world.ctx(), case.code, Form.PLAN, "ko")
    db.flush()
    settings = load_settings(agency_name="가상복지관")
    clock = FixedClock(NOW + timedelta(minutes=5))
    application = wsgi_app(None, None, downloads=print_downloads(uow, settings, clock))  # type: ignore[arg-type]

    status, _, body = get(application, f"/print/{first}", "user=UCOWORKER")
    assert status.startswith("403") and "요청한 사람만" in body.decode()
    status, headers, body = get(application, f"/print/{first}", "user=UMANAGER")
    assert (
        status.startswith("200") and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    )
    assert case.code in headers["Content-Disposition"]
    status, _, body = get(application, f"/print/{first}", "user=UMANAGER")
    assert status.startswith("403") and "이미" in body.decode()
    clock.set(NOW + timedelta(minutes=11))
    status, _, _ = get(application, f"/print/{late}", "user=UMANAGER")
    assert status.startswith("403")
    refused = db.scalars(select(AuditLog.detail).where(AuditLog.action == AuditAction.REFUSED)).all()
    assert sorted(refused) == sorted(
        ["print link plan: other_person", "print link plan: used", "print link plan: expired"]
    )


def test_the_route_serves_the_statistics_workbook_as_a_spreadsheet(db, uow):
    world = make_world(db)
    token, _ = issue_stats_link(db, world.ctx(world.supervisor), "2026-02", "ko")
    db.flush()
    settings = load_settings(agency_name="가상복지관")
    application = wsgi_app(None, None, downloads=print_downloads(uow, settings, FixedClock(NOW)))  # type: ignore[arg-type]
    status, headers, body = get(application, f"/print/{token}", f"user={world.supervisor.slack_user_id}")
    assert status.startswith("200") and body.startswith(b"PK")  # an xlsx is a zip
    assert headers["Content-Type"] == DOWNLOAD_TYPES["xlsx"]
    assert 'filename="casebot-stats-2026-02.xlsx"' in headers["Content-Disposition"]
