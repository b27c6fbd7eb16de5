"""Bolt's documented ack model as Casebot uses it (bot/listeners.py, bot/lazy_work.py, casebot/app.py):
the ack function's answer is the HTTP answer, the lazy work follows on the listener executor, errors
there reach the person with a reference, and dependencies never travel in Bolt's copied context."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.lazy_work import LazyWork
from bot.listeners import Deps, Listeners, Turn
from bot.settings import Settings
from bot.slack_client import GatedWebClient
from casebot.app import build_app
from models.clock import SYSTEM_CLOCK
from models.db import UnitOfWork
from models.enums import Profile, StaffRole
from models.errors import DomainError, Message
from models.schemas import StaffInput
from models.services import staff
from sandbox.slack import FakeSlack


def settings_for(slack: FakeSlack, **values: Any) -> Settings:
    return Settings(slack_signing_secret="s", slack_api_url=slack.url, _env_file=None, **values)  # type: ignore[call-arg]


def real_app(slack: FakeSlack, uow: UnitOfWork, lazy_work: LazyWork | None = None, **values: Any) -> App:
    client = WebClient(token="xoxb-test", base_url=slack.url)
    return build_app(settings_for(slack, **values), uow=uow, client=client, lazy_work=lazy_work)


def command(
    text: str, name: str = "/case", user: str = "UCM1", *, slack: FakeSlack | None = None
) -> BoltRequest:
    """`slack`: the command's response_url is the stand-in's (else one nobody can reach)."""
    body = {
        "command": name,
        "text": text,
        "user_id": user,
        "channel_id": "C0001",
        "team_id": "T1",
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "response_url": slack.response_url(user) if slack else "https://hooks.slack.com/commands/x",
    }
    return BoltRequest(body=body, mode="socket_mode")  # no signature: the listener model is under test


@pytest.fixture
def manager(uow: UnitOfWork) -> None:
    with uow() as db:
        staff.add_staff(
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
        )


@pytest.fixture
def probe_app(uow: UnitOfWork) -> Any:
    """A bare App wired the way casebot/app.py wires it, with one probe command registered by a test."""
    with FakeSlack() as slack:
        lazy_work = LazyWork(workers=1)
        app = App(
            client=WebClient(token="xoxb-test", base_url=slack.url),
            request_verification_enabled=False,
            token_verification_enabled=False,
            process_before_response=True,
            listener_executor=lazy_work,
        )
        deps = Deps(
            uow=uow,
            settings=settings_for(slack),
            clock=SYSTEM_CLOCK,
            client=GatedWebClient(token="xoxb-test", base_url=slack.url),
            find_actor=lambda user_id: None,
        )
        yield app, Listeners(app, deps), slack, lazy_work
        lazy_work.shutdown(wait=True)


def test_the_ack_is_the_answer_and_the_lazy_work_follows_without_holding_it(probe_app: Any) -> None:
    app, on, _, _ = probe_app
    release = threading.Event()
    ran: list[str] = []

    def acknowledge(turn: Turn) -> None:
        turn.ack(text=f"ack {turn.body['text']}")

    def work(turn: Turn) -> None:
        release.wait(10)
        ran.append(turn.body["text"])

    on.command("/probe", ack=acknowledge, lazy=[work])
    began = time.monotonic()
    first = app.dispatch(command("first", "/probe"))
    second = app.dispatch(command("second", "/probe"))
    assert (first.status, first.body, second.body) == (200, "ack first", "ack second")
    assert time.monotonic() - began < 1 and ran == []  # both answered while the work still waits
    release.set()
    deadline = time.monotonic() + 5
    while ran != ["first", "second"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["first", "second"]  # one worker: in the order they came


def test_what_the_ack_passes_on_reaches_the_lazy_work_and_dependencies_never_travel_in_the_context(
    probe_app: Any, caplog: Any
) -> None:
    app, on, _, _ = probe_app
    seen: list[Any] = []
    done = threading.Event()

    def acknowledge(turn: Turn) -> None:
        turn.pass_on(closure_id=7, code="C-2026-0001")
        turn.ack()

    def work(turn: Turn) -> None:
        seen.append((turn.outcome, turn.uow is turn.deps.uow, turn.in_ack))
        done.set()

    on.command("/probe", ack=acknowledge, lazy=[work])
    with caplog.at_level(logging.WARNING):
        assert app.dispatch(command("x", "/probe")).status == 200
        assert done.wait(5)
    assert seen == [({"closure_id": 7, "code": "C-2026-0001"}, True, False)]
    assert "Skipped setting" not in caplog.text  # Bolt copied everything it was given


def test_an_action_nobody_acked_is_acked_instead_of_a_404(probe_app: Any) -> None:
    app, on, _, _ = probe_app
    on.action("probe.click", ack=lambda turn: None)
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "actions": [{"action_id": "probe.click", "block_id": "b", "type": "button", "value": "v"}],
    }
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200


def test_an_error_in_the_lazy_work_reaches_the_person_with_the_logged_reference(
    probe_app: Any, caplog: Any
) -> None:
    app, on, slack, _ = probe_app

    def work(turn: Turn) -> None:
        raise RuntimeError("the desk broke")

    on.command("/probe", ack=lambda turn: turn.ack(), lazy=[work])
    assert app.dispatch(command("x", "/probe", slack=slack)).status == 200
    [answer] = slack.wait_for("response_url")  # through the command's response_url, to the person
    assert answer.path.endswith("/UCM1") and answer.params["response_type"] == "ephemeral"
    reference = answer.params["text"].split("`")[1]
    assert len(reference) == 8
    assert f"reference {reference}" in caplog.text and "the desk broke" in caplog.text


def test_an_error_in_the_ack_function_answers_in_the_ack_with_a_reference(
    probe_app: Any, caplog: Any
) -> None:
    app, on, slack, _ = probe_app

    def acknowledge(turn: Turn) -> None:
        raise RuntimeError("broken before the ack")

    on.command("/probe", ack=acknowledge)
    response = app.dispatch(command("x", "/probe"))
    assert response.status == 200
    reference = response.body.split("`")[1]
    assert f"reference {reference}" in caplog.text
    assert slack.calls("chat.postEphemeral") == []  # said in the ack itself


def test_an_ack_function_that_failed_is_the_only_answer_its_lazy_work_does_not_run(
    probe_app: Any, caplog: Any
) -> None:
    app, on, slack, lazy_work = probe_app
    ran: list[str] = []

    def acknowledge(turn: Turn) -> None:
        raise RuntimeError("the database is down")

    on.command("/probe", ack=acknowledge, lazy=[lambda turn: ran.append("lazy")])
    response = app.dispatch(command("x", "/probe"))
    assert response.status == 200 and "`" in response.body
    assert lazy_work.wait_idle(5)
    assert ran == [] and slack.calls("chat.postEphemeral") == []  # one message: the ack's


def test_a_modal_whose_ack_function_failed_stays_open_with_the_reference_under_its_first_input(
    probe_app: Any, caplog: Any
) -> None:
    app, on, slack, _ = probe_app

    def acknowledge(turn: Turn) -> None:
        raise RuntimeError("the database is down")

    on.view("probe.modal", ack=acknowledge)
    body = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "probe.modal",
            "state": {"values": {"first": {"first": {"value": "typed"}}, "second": {}}},
        },
    }
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    answer = json.loads(response.body)
    assert response.status == 200 and answer["response_action"] == "errors"
    [(block, text)] = answer["errors"].items()
    assert block == "first" and "저장하지 못했습니다" in text
    reference = text.split("참조 ")[1][:8]
    assert f"reference {reference}" in caplog.text
    assert [c.method for c in slack.calls() if c.method != "auth.test"] == []  # no DM: the modal says it


def test_a_refusal_in_the_lazy_work_is_told_in_words(probe_app: Any) -> None:
    app, on, slack, _ = probe_app

    def work(turn: Turn) -> None:
        raise DomainError(Message("access.errors.not_access_case_ask"))

    on.command("/probe", ack=lambda turn: turn.ack(), lazy=[work])
    app.dispatch(command("x", "/probe", slack=slack))
    [answer] = slack.wait_for("response_url")
    assert (
        answer.params["text"]
        == "이 사례를 볼 권한이 없습니다. 담당 사례관리자나 팀 슈퍼바이저에게 문의하세요."
    )


@pytest.mark.usefixtures("manager")
def test_case_list_is_acked_empty_and_answered_after(uow: UnitOfWork) -> None:
    with FakeSlack() as slack:
        response = real_app(slack, uow).dispatch(command("list", slack=slack))
        assert (response.status, response.body) == (200, "")  # the ack carries nothing
        [answer] = slack.wait_for("response_url")
        assert answer.path.endswith("/UCM1") and answer.params["response_type"] == "ephemeral"
        assert "blocks" in answer.params and slack.calls("chat.postEphemeral") == []


@pytest.mark.usefixtures("manager")
def test_help_and_strangers_are_answered_in_the_ack(uow: UnitOfWork) -> None:
    with FakeSlack() as slack:
        app = real_app(slack, uow)
        help_answer = app.dispatch(command("도움말"))
        stranger = app.dispatch(command("list", user="USTRANGER"))
        assert help_answer.status == 200 and '"blocks"' in help_answer.body
        assert stranger.status == 200 and "ephemeral" in stranger.body
        time.sleep(0.2)
        assert slack.calls("chat.postEphemeral") == [] and slack.calls("response_url") == []


@pytest.mark.usefixtures("manager")
def test_an_answer_whose_response_url_fails_is_posted_where_it_was_typed(uow: UnitOfWork) -> None:
    with FakeSlack() as slack:
        slack.fail("response_url", "expired_url", status=404, retry_after=None)
        real_app(slack, uow).dispatch(command("list", slack=slack))
        [answer] = slack.wait_for("chat.postEphemeral")  # the channel it was typed in, as before
        assert answer.params["user"] == "UCM1" and answer.params["channel"] == "C0001"


@pytest.mark.usefixtures("manager")
def test_a_refusal_in_the_lazy_work_of_case_list_is_answered_like_the_commands_own(uow: UnitOfWork) -> None:
    """Under the school profile a member without the principal's approval is told why (DomainError)."""
    with FakeSlack() as slack:
        real_app(slack, uow, profile=Profile.SCHOOL).dispatch(command("list", slack=slack))
        [answer] = slack.wait_for("response_url")
        assert not answer.params.get("blocks")
        assert "승인" in answer.params["text"]


def test_a_drain_finishes_what_runs_and_counts_what_never_started() -> None:
    lazy_work = LazyWork(workers=1)
    release = threading.Event()
    finished: list[int] = []

    def job(n: int) -> None:
        if n == 0:
            release.wait(10)
        finished.append(n)

    for n in range(5):
        lazy_work.submit(job, n)
    threading.Timer(0.2, release.set).start()
    drained = lazy_work.drain(timeout=5)
    assert drained.not_started == 0 and drained.finished == 5 and finished == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError):
        lazy_work.submit(job, 9)  # a stopping process takes no new work

    stuck = LazyWork(workers=1)
    hold = threading.Event()
    stuck.submit(hold.wait, 10)
    for n in range(3):
        stuck.submit(job, 10 + n)
    drained = stuck.drain(timeout=0.2)
    assert (drained.finished, drained.abandoned_running, drained.not_started) == (0, 1, 3)
    hold.set()
