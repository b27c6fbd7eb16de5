"""Acks first (bot/app.py AckFirst) and the staff lookup done before every ack (StaffLookup)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.app import AckFirst
from models import schema
from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import StaffRole
from models.schemas import StaffInput
from models.services import staff
from models.services.staff import StaffLookup
from models.staff import StaffMember, Team
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


def test_an_error_after_the_ack_leaves_the_ack_standing(gated_app: App) -> None:
    @gated_app.command("/probe")
    def probe(ack: Any, command: dict) -> None:
        time.sleep(0.003)  # Bolt's first look at the ack comes before it, the next one 10 ms later
        ack(text=f"ack {command['text']}")
        raise RuntimeError("after the ack")

    for n in range(5):  # Bolt reset the response to None: the request waited 3 s and answered 404
        began = time.monotonic()
        response = gated_app.dispatch(command(str(n)))
        assert (response.status, response.body) == (200, f"ack {n}")
        assert time.monotonic() - began < 2


def test_an_error_while_bolt_takes_the_ack_does_not_lose_the_answer(gated_app: App) -> None:
    """Bolt's request thread and the listener's share the response: a listener that raised while the
    request thread was taking its ack (here: writing its debug line) made the request answer 404."""

    class SlowHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            time.sleep(0.03)

    @gated_app.command("/probe")
    def probe(ack: Any, command: dict) -> None:
        ack(text=f"ack {command['text']}")
        time.sleep(0.012)  # past Bolt's next look at the ack (10 ms), within its 30 ms debug line
        raise RuntimeError("after the ack")

    logger = gated_app.listener_runner.logger
    handler, level = SlowHandler(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        for n in range(5):
            response = gated_app.dispatch(command(str(n)))
            assert (response.status, response.body) == (200, f"ack {n}")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


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


def later_app(slack_url: str, **gate_options: Any) -> tuple[App, AckFirst, list[tuple[str, float]]]:
    """/probe acks, then hands its work to `later`; the work notes when it ran."""
    gate = AckFirst(slots=1, max_waiting=4, **gate_options)
    app = App(
        client=WebClient(token="xoxb-test", base_url=slack_url),
        request_verification_enabled=False,
        token_verification_enabled=False,
        listener_executor=gate.executor(),
    )
    gate.install(app)
    ran: list[tuple[str, float]] = []

    @app.command("/probe")
    def probe(ack: Any, command: dict) -> None:
        ack()
        text = command["text"]
        gate.later(lambda: ran.append((text, time.monotonic())))

    return app, gate, ran


def burst(app: App, seconds: float) -> float:
    """Requests one after another (each acked, ~10 ms apart) for `seconds`; when the last came in."""
    end = time.monotonic() + seconds
    last = time.monotonic()
    n = 0
    while time.monotonic() < end:
        last = time.monotonic()
        app.dispatch(command(f"burst {n}"))
        n += 1
    return last


def wait_for(ran: list, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(ran) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_request_on_its_own_is_answered_at_once() -> None:
    with FakeSlack() as slack:
        app, _, ran = later_app(slack.url, quiet=2.0, max_defer=30)
        acked = time.monotonic()
        app.dispatch(command("alone"))
        wait_for(ran, 1)
        assert ran and ran[0][0] == "alone"
        assert ran[0][1] - acked < 2.0  # no quiet period to wait out: it was no burst


def test_in_a_burst_the_answers_wait_until_it_has_passed() -> None:
    with FakeSlack() as slack:
        app, _, ran = later_app(slack.url, quiet=0.3, max_defer=30)
        last_arrival = burst(app, 1.0)
        during = list(ran)
        wait_for(ran, 3)
        # The first request came alone and may have been answered; after the second (10 ms later) the
        # answers waited for the burst to end and 0.3 s of quiet.
        assert len(during) <= 1
        assert len(ran) > 3 and all(at >= last_arrival + 0.3 for _, at in ran[len(during) :])


def test_a_burst_that_goes_on_holds_answers_back_no_longer_than_the_limit() -> None:
    with FakeSlack() as slack:
        app, _, ran = later_app(slack.url, quiet=0.3, max_defer=0.5)
        started = time.monotonic()
        last_arrival = burst(app, 2.0)
        in_burst = [at for _, at in ran[1:] if at < last_arrival]  # the first came alone: answered at once
        assert len(in_burst) > 10  # answered while the burst still went on ...
        assert min(in_burst) - started >= 0.5  # ... each after waiting its 0.5 s


def test_an_error_in_later_work_is_logged_and_the_next_work_still_runs(caplog: Any) -> None:
    gate = AckFirst(slots=1, max_waiting=4, quiet=0.01)
    ran: list[str] = []

    def fails() -> None:
        raise RuntimeError("boom")

    gate.later(fails)
    gate.later(lambda: ran.append("next"))
    wait_for(ran, 1)
    assert ran == ["next"]
    assert "work queued after an ack failed" in caplog.text


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
            staff.deactivate(db, "UCM1", now=datetime.now(UTC))
        assert lookup("UCM1") is None  # refused from the very next request: nothing is cached
    finally:
        lookup.close()
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_builds_a_new_member_only_when_the_row_changed(empty_database_url, backend: str) -> None:
    engine = make_engine(empty_database_url(backend))
    schema.upgrade(engine)
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        staff.add_staff(
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
        )
    lookup = StaffLookup(engine)
    try:
        first = lookup("UCM1")
        assert first is not None and lookup("UCM1") is first  # the same row: the same member again
        with uow() as db:
            staff.add_staff(
                db,
                StaffInput(
                    slack_user_id="UCM2", display_name="박팀장", role=StaffRole.SUPERVISOR, team="2팀"
                ),
            )
            member = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "UCM1"))
            assert member is not None
            member.role, member.locale = StaffRole.SUPERVISOR, "en"
        changed = lookup("UCM1")
        assert changed is not first and changed is not None
        assert (changed.role, changed.locale, first.role) == (
            StaffRole.SUPERVISOR,
            "en",
            StaffRole.CASE_MANAGER,
        )
        with uow() as db:  # a change of the team alone is a changed row too
            team = db.scalar(select(Team).where(Team.name == "1팀"))
            assert team is not None
            team.name = "통합사례관리팀"
        renamed = lookup("UCM1")
        assert renamed is not None and renamed is not changed and renamed.team.name == "통합사례관리팀"
        assert lookup("UCM2") is not None and lookup("UCM2").display_name == "박팀장"  # type: ignore[union-attr]
        if backend == "postgresql":  # the lookup's own connection holds no transaction open between requests
            pid = lookup._connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as admin:
                state = admin.exec_driver_sql(
                    f"SELECT state FROM pg_stat_activity WHERE pid = {pid}"
                ).scalar()
            assert state == "idle"
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
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
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


def real_app(slack: FakeSlack, uow: UnitOfWork, **settings: Any) -> App:
    from bot.app import build_app
    from bot.settings import Settings

    config = Settings(slack_signing_secret="s", slack_api_url=slack.url, _env_file=None, **settings)  # type: ignore[call-arg]
    return build_app(config, uow=uow, client=WebClient(token="xoxb-test", base_url=slack.url))


def send_case(app: App, text: str, user: str = "UCM1") -> Any:
    body = {
        "command": "/case",
        "text": text,
        "user_id": user,
        "channel_id": "C0001",
        "team_id": "T1",
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "response_url": "https://hooks.slack.com/commands/x",
    }
    return app.dispatch(BoltRequest(body=body, mode="socket_mode"))


@pytest.fixture
def manager(uow: UnitOfWork) -> None:
    with uow() as db:
        staff.add_staff(
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
        )


@pytest.mark.usefixtures("manager")
def test_case_list_is_acked_empty_and_answered_after(uow: UnitOfWork) -> None:
    with FakeSlack() as slack:
        response = send_case(real_app(slack, uow), "list")
        assert (response.status, response.body) == (200, "")  # the ack carries nothing
        [answer] = slack.wait_for("chat.postEphemeral")
        assert answer.params["user"] == "UCM1" and answer.params["channel"] == "C0001"
        assert "blocks" in answer.params


@pytest.mark.usefixtures("manager")
def test_a_refusal_in_later_work_is_answered_like_the_commands_own(uow: UnitOfWork) -> None:
    """Under the school profile a member without the principal's approval is told why (DomainError)."""
    from models.enums import Profile

    with FakeSlack() as slack:
        send_case(real_app(slack, uow, profile=Profile.SCHOOL), "list")
        [answer] = slack.wait_for("chat.postEphemeral")
        assert "blocks" not in answer.params or not answer.params["blocks"]
        assert "승인" in answer.params["text"]


@pytest.mark.usefixtures("manager")
def test_an_unexpected_error_in_later_work_gives_the_user_a_reference(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from models.services import desk

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the desk broke")

    monkeypatch.setattr(desk, "my_desk", broken)
    with FakeSlack() as slack:
        send_case(real_app(slack, uow), "list")
        [answer] = slack.wait_for("chat.postEphemeral")
        reference = answer.params["text"].split("`")[1]
        assert len(reference) == 8
        assert f"reference {reference}" in caplog.text and "the desk broke" in caplog.text


@pytest.mark.usefixtures("manager")
def test_the_response_is_formatted_into_a_debug_line_only_when_debug_is_logged(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt formats the whole response body (help's blocks) for its debug line before every answer."""
    import slack_bolt.listener.thread_runner as runner_module

    formatted: list[str] = []
    format_line = runner_module.debug_responding

    def counting(*args: Any) -> str:
        formatted.append(line := format_line(*args))
        return line

    monkeypatch.setattr(runner_module, "debug_responding", counting)
    with FakeSlack() as slack:
        app = real_app(slack, uow)
        app.listener_runner.logger.setLevel(logging.INFO)
        assert send_case(app, "help").status == 200
        assert formatted == []
        app.listener_runner.logger.setLevel(logging.DEBUG)
        assert send_case(app, "help").status == 200
        assert len(formatted) == 1 and "Responding with status: 200" in formatted[0]
