"""Acks first (bot/app.py AckFirst) and the staff lookup done before every ack (StaffLookup)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.app import AckFirst
from models import schema
from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import StaffRole
from models.schemas import StaffInput
from models.services import staff
from models.services.staff import StaffLookup
from sandbox.slack import FakeSlack


def command(text: str) -> BoltRequest:
    body = {
        "command": "/probe",
        "text": text,
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": "T1",
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "response_url": "https://hooks.slack.com/commands/x",
    }
    return BoltRequest(body=body, mode="socket_mode")  # no signature: the gate is what is under test


@pytest.fixture
def gated_app() -> Any:
    with FakeSlack() as slack:
        gate = AckFirst(slots=1, max_waiting=4)
        app = App(
            client=WebClient(token="xoxb-test", base_url=slack.url),
            request_verification_enabled=False,
            token_verification_enabled=False,
            listener_executor=gate.executor(),
        )
        gate.install(app)
        yield app


def test_a_busy_post_ack_part_holds_back_neither_acks_nor_order(gated_app: App) -> None:
    release_first = threading.Event()
    started: list[str] = []

    @gated_app.command("/probe")
    def probe(ack: Any, command: dict) -> None:
        ack(text=f"ack {command['text']}")
        started.append(command["text"])  # the work after the ack
        if command["text"] == "first":
            release_first.wait(10)

    assert gated_app.dispatch(command("first")).body == "ack first"
    time.sleep(0.1)
    began = time.monotonic()
    assert gated_app.dispatch(command("second")).body == "ack second"  # acked while "first" still works
    assert time.monotonic() - began < 1
    time.sleep(0.2)
    assert started == ["first"]  # the only slot is taken: "second" waits after its ack
    release_first.set()
    deadline = time.monotonic() + 5
    while started != ["first", "second"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started == ["first", "second"]


def test_past_the_waiting_limit_the_work_runs_at_once(gated_app: App) -> None:
    release = threading.Event()
    started: list[str] = []

    @gated_app.command("/probe")
    def probe(ack: Any, command: dict) -> None:
        ack()
        started.append(command["text"])
        release.wait(10)

    try:
        for n in range(1 + 4 + 2):  # one in the slot, four waiting (the limit), two past it
            gated_app.dispatch(command(str(n)))
        time.sleep(0.3)
        # Pool threads are never all tied up waiting: the two past the limit did not wait.
        assert started == ["0", "5", "6"]
    finally:
        release.set()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_checks_the_database_on_every_request(empty_database_url, backend: str) -> None:
    engine = make_engine(empty_database_url(backend))
    schema.upgrade(engine)
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        staff.add_staff(
            db, StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.SUPERVISOR, team="1팀")
        )
    lookup = StaffLookup(engine)
    try:
        member = lookup("UCM1")
        assert member is not None
        assert (member.display_name, member.role, member.team.name) == ("김복지", StaffRole.SUPERVISOR, "1팀")
        assert member.is_supervisor and member.team_id == member.team.id
        assert lookup("UNOBODY") is None
        with uow() as db:
            staff.deactivate(db, "UCM1")
        assert lookup("UCM1") is None  # refused from the very next request: nothing is cached
    finally:
        lookup.close()
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_keeps_a_connection_per_thread_and_replaces_a_broken_one(
    empty_database_url, backend: str
) -> None:
    engine = make_engine(empty_database_url(backend))
    schema.upgrade(engine)
    with UnitOfWork(make_session_factory(engine))() as db:
        staff.add_staff(
            db, StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀")
        )
    lookup = StaffLookup(engine)
    try:
        assert lookup("UCM1") is not None
        kept = lookup._connection()
        assert lookup("UCM1") is not None and lookup._connection() is kept  # no checkout per request
        assert engine.pool.checkedout() == 0  # the app's pool lends the lookup nothing

        other: list[Any] = []
        worker = threading.Thread(target=lambda: other.extend([lookup("UCM1"), lookup._connection()]))
        worker.start()
        worker.join()
        assert other[0] is not None and other[1] is not kept  # each thread its own connection

        # The connection dies under the lookup (a database restart): the next request still gets its answer.
        if backend == "postgresql":
            with engine.connect() as admin:
                pid = kept.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        else:
            kept.connection.dbapi_connection.close()
        member = lookup("UCM1")
        assert member is not None and member.slack_user_id == "UCM1"
        assert lookup._connection() is not kept
    finally:
        lookup.close()
        engine.dispose()
