"""The outbound privacy gate (domain.md R1): what `scan` finds, and what the gated clients refuse to send.

Every refusal is checked against the Slack stand-in: nothing of a refused call may reach it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.lazy_work import LazyWork
from bot.listeners import Listeners, Turn, ack_only
from bot.settings import Settings
from bot.slack_client import (
    GatedRespond,
    GatedWebClient,
    OutboundRefused,
    gated_client,
    refusal_count,
)
from bot.views.reminders import nudge
from casebot.app import build_deps
from models import privacy
from models.client import Client
from models.db import UnitOfWork
from models.enums import ReminderKind, Stage
from models.privacy import SeenValues, Tag, scan
from sandbox.slack import FakeSlack
from sandbox.slack import requests as slack_requests

NAME = "홍길동테스트"
PHONE = "010-1234-5678"
BIRTH = date(1968, 3, 15)
NARRATIVE = "건강 악화로 일을 그만두었고 월세가 석 달째 밀려 있다. 이웃이 가끔 반찬을 가져다준다."
NAME_TAG = Tag("clients", "name", "PII")
SECRET = "gate-signing-secret"


@pytest.fixture(autouse=True)
def fresh_scope() -> Iterator[None]:
    """Each test starts with nothing seen in this thread, and leaves nothing behind."""
    privacy.install_recorder()
    with privacy.scope():
        yield


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def gated(slack: FakeSlack) -> GatedWebClient:
    return GatedWebClient(token="xoxb-test", base_url=slack.url)


def rules(findings: list[privacy.Finding]) -> set[str]:
    return {f.column or f.rule for f in findings}


# ------------------------------------------------------------------------------- the registry


def test_the_registry_holds_every_tagged_column_and_nothing_else() -> None:
    registry = privacy.tagged_columns()
    assert {
        "clients.name",
        "clients.birth_date",
        "clients.contact",
        "clients.address",
        "guardians.name",
        "guardians.contact",
        "consents.signer_name",
        "contact_notes.summary",
        "assessment_ratings.narrative",
        "cases.intake_summary",
        "conference_participants.external_name",
    } <= set(registry)
    assert registry["clients.name"].sensitivity == "PII"
    assert registry["contact_notes.summary"].sensitivity == "SENSITIVE"
    # What messages are made of is never tagged.
    for allowed in ("cases.code", "staff_members.display_name", "resources.name", "clients.sex"):
        assert allowed not in registry


# ------------------------------------------------------------------------------- detectors


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("주민번호 680315-1234567 확인", "rrn"),
        ("6803151234567", "rrn"),
        ("연락처 010-1234-5678", "phone"),
        ("01012345678로 전화", "phone"),
        ("010 1234 5678", "phone"),
        ("010.1234.5678", "phone"),
        ("+82 10-1234-5678", "phone"),
        ("０１０－１２３４－５６７８", "phone"),  # full-width digits and dashes
        ("사무실 02-123-4567", "phone"),
        ("031-234-5678", "phone"),
        ("메일 hong.gildong+case@example.co.kr", "email"),
    ],
)
def test_detectors_find_identifiers_without_any_registry(text: str, rule: str) -> None:
    findings = scan({"text": text}, seen_values=SeenValues())
    assert rule in rules(findings)
    assert all(text not in str(f) for f in findings)


def test_what_messages_are_made_of_passes() -> None:
    """Case codes, due dates, stage and task labels, staff names, ids, timestamps and buttons."""
    text, blocks = nudge(
        ReminderKind.REASSESSMENT_DUE, "C-2026-0007", date(2026, 3, 16), date(2026, 3, 18), 42, "ko"
    )
    english, english_blocks = nudge(
        ReminderKind.PLAN_DUE, "WC-2026-0123", date(2026, 4, 1), date(2026, 3, 2), 7, "en"
    )
    payload = {
        "channel": "U0AB12CD3",
        "ts": "1790000000.000100",
        "text": text + " " + english,
        "blocks": blocks + english_blocks,
        "stages": [s.label("ko") for s in Stage] + [s.label("en") for s in Stage],
        "staff": "담당 김사회 · 슈퍼바이저 박지도 <@U0AB12CD3>",
        "when": "2026-03-02 10:00, 2026년 3월 16일",
        "button": json.dumps({"closure_id": 12345, "case_id": 9876543, "to": "IN_SERVICE"}),
        "link": "https://casebot-test.slack.com/archives/C0001/p1790000000000100",
    }
    assert scan(payload, seen_values=SeenValues()) == []


# ------------------------------------------------------------------------------- values seen


def test_a_seen_value_is_found_wherever_it_hides_and_the_finding_names_only_the_column() -> None:
    seen = SeenValues()
    seen.add(NAME, NAME_TAG)
    hidden = {
        "text": "사례 C-2026-0001",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{NAME}* 님 (C-2026-0001)"}}],
        # blocks passed as a JSON string, with the name \u-escaped
        "attachments": json.dumps([{"fallback": f"{NAME}"}], ensure_ascii=True),
        "metadata": {"event_payload": {"who": "홍길동\u200b테스트"}},  # a zero-width space inside
    }
    findings = scan(hidden, seen_values=seen)
    assert {f.path for f in findings} == {
        "blocks[0].text.text",
        "attachments(json)[0].fallback",
        "metadata.event_payload.who",
    }
    assert {f.column for f in findings} == {"clients.name"}
    assert all(NAME not in str(f) for f in findings)


def test_contact_and_birth_date_are_found_in_any_spelling() -> None:
    seen = SeenValues()
    seen.add(PHONE, Tag("clients", "contact", "PII"))
    seen.add(BIRTH, Tag("clients", "birth_date", "PII"))
    spellings = {
        "01012345678": "clients.contact",
        "(010) 1234 5678": "clients.contact",
        "1968-03-15": "clients.birth_date",
        "19680315": "clients.birth_date",
        "1968.03.15": "clients.birth_date",
        "1968/03/15": "clients.birth_date",
        "1968년 3월 15일": "clients.birth_date",
    }
    for text, column in spellings.items():
        assert column in rules(scan({"text": f"참고: {text}"}, seen_values=seen)), text
    assert scan({"text": "기한 2026-03-15 (1968명 중 15번째), 사례 C-2026-0315"}, seen_values=seen) == []


def test_a_narrative_is_found_whole_truncated_or_by_one_of_its_sentences() -> None:
    seen = SeenValues()
    seen.add(NARRATIVE, Tag("contact_notes", "summary", "SENSITIVE"))
    preview = NARRATIVE[:20] + "…"
    sentence = "이웃이 가끔 반찬을 가져다준다"
    middle = '메모: "그만두었고 월세가 석 달째 밀려…"'  # four words from the middle, quoted and cut
    for text in (NARRATIVE, preview, sentence, middle):
        assert rules(scan({"text": text}, seen_values=seen)) == {"contact_notes.summary"}, text
    for unrelated in ("점검 기록이 저장되었습니다 (C-2026-0001)", "월세 지원 연계 (C-2026-0001)", "석 달째"):
        assert scan({"text": unrelated}, seen_values=seen) == [], unrelated


def test_short_values_and_option_codes_in_saved_drafts_are_not_taken_for_client_data() -> None:
    seen = SeenValues()
    seen.add("김", NAME_TAG)  # one character identifies nobody
    seen.add(True, NAME_TAG)
    seen.add(
        {"consent": ["yes"], "domain": "LIVING_ENV", "severity": "2", "story": "옆집 할머니와 다툼"},
        Tag("assessments", "draft_state", "SENSITIVE"),
    )
    assert scan({"text": "yes, living_env: 김사회 2026-03-02"}, seen_values=seen) == []
    assert rules(scan({"text": "옆집 할머니와 다툼"}, seen_values=seen)) == {"assessments.draft_state"}


def test_seen_values_are_bounded_in_number_and_age() -> None:
    clock = [0.0]
    seen = SeenValues(limit=2, ttl=60, clock=lambda: clock[0])
    seen.add("첫째이름", NAME_TAG)
    seen.add("둘째이름", NAME_TAG)
    seen.add("셋째이름", NAME_TAG)
    assert seen.matches("첫째이름") == [] and seen.matches("셋째이름") == [NAME_TAG]
    clock[0] = 61
    assert seen.matches("셋째이름") == [] and len(seen) == 0


def test_values_seen_in_one_thread_are_not_held_against_another() -> None:
    def other_thread() -> None:
        privacy.remember(NAME, NAME_TAG)
        found.append(rules(scan({"text": NAME})))

    found: list[set[str]] = []
    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert found == [{"clients.name"}]
    assert scan({"text": NAME}) == []  # this thread never saw it


def test_the_orm_records_tagged_values_it_loads_and_sets(uow: UnitOfWork) -> None:
    with uow() as db:
        client = Client(name=NAME, contact=PHONE, birth_date=BIRTH, sex="F")  # set: the intake's new client
        db.add(client)
        db.flush()
        client_id = client.id
    assert rules(scan({"text": NAME})) == {"clients.name"}

    privacy.begin_scope()  # a new request: nothing seen yet
    assert scan({"text": f"{NAME} {PHONE}"}) == [privacy.Finding("phone", "text")]
    with uow() as db:
        assert db.scalar(select(Client.sex).where(Client.id == client_id)) == "F"  # untagged column only
    assert scan({"text": NAME}) == []
    with uow() as db:
        db.get_one(Client, client_id)  # load
    assert rules(scan({"text": f"{NAME} / 1968.03.15"})) == {"clients.name", "clients.birth_date"}
    assert scan({"text": "여성(F) 사례 C-2026-0001"}) == []  # untagged values were not recorded


def test_rows_loaded_by_a_query_are_recorded_too(uow: UnitOfWork) -> None:
    with uow() as db:
        db.add_all([Client(name="첫번째사람"), Client(name="두번째사람", contact="010-5555-6666")])
    privacy.begin_scope()
    assert scan({"text": "첫번째사람, 두번째사람"}) == []
    with uow() as db:
        assert len(db.scalars(select(Client).where(Client.name.is_not(None))).all()) >= 2
    found = scan({"text": "첫번째사람", "blocks": [{"text": {"text": "두번째사람 (01055556666)"}}]})
    assert {(f.path, f.column or f.rule) for f in found} == {
        ("text", "clients.name"),
        ("blocks[0].text.text", "clients.name"),
        ("blocks[0].text.text", "clients.contact"),
        ("blocks[0].text.text", "phone"),
    }


# ------------------------------------------------------------------------------- the gated WebClient


def test_a_refused_call_never_reaches_slack_and_is_a_slack_api_error(
    slack: FakeSlack, gated: GatedWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    privacy.remember(NAME, NAME_TAG)
    before = refusal_count()
    with (
        caplog.at_level(logging.WARNING, logger="casebot.privacy"),
        pytest.raises(OutboundRefused) as refused,
    ):
        gated.chat_postMessage(
            channel="U1",
            text="사례 C-2026-0001",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"{NAME} 님 점검 예정"}}],
        )
    assert isinstance(refused.value, SlackApiError)  # the sweep's and handlers' failed-send paths catch it
    assert refused.value.response["error"] == "outbound_refused"
    assert [str(f) for f in refused.value.findings] == ["clients.name at blocks[0].text.text"]
    assert slack.calls() == []
    assert refusal_count() == before + 1
    assert "outbound gate refused chat.postMessage: clients.name at blocks[0].text.text" in caplog.text
    assert NAME not in caplog.text and NAME not in str(refused.value)


@pytest.mark.parametrize(
    "send",
    [
        lambda c, t: c.chat_postEphemeral(channel="C1", user="U1", text=t),
        lambda c, t: c.chat_update(channel="D1", ts="1790000000.000100", text=t),
        lambda c, t: c.chat_scheduleMessage(channel="C1", post_at=1790000000, text=t),
        lambda c, t: c.chat_meMessage(channel="C1", text=t),
        lambda c, t: c.api_call("chat.postMessage", json={"channel": "C1", "text": t}),
        lambda c, t: c.api_call("chat.postMessage", params={"channel": "C1", "text": t}, http_verb="GET"),
        lambda c, t: c.api_call("chat.postMessage", data={"channel": "C1", "text": t}),
        lambda c, t: c.conversations_setTopic(channel="C1", topic=t),
    ],
    ids=[
        "postEphemeral",
        "update",
        "scheduleMessage",
        "meMessage",
        "api_call-json",
        "api_call-params",
        "api_call-data",
        "setTopic",
    ],
)
def test_every_history_method_is_gated(slack: FakeSlack, gated: GatedWebClient, send: Any) -> None:
    with pytest.raises(OutboundRefused):
        send(gated, "문의: 010-9876-5432")
    assert slack.calls() == []


def test_a_clean_message_goes_through_and_private_surfaces_are_not_gated(
    slack: FakeSlack, gated: GatedWebClient
) -> None:
    privacy.remember(NAME, NAME_TAG)
    text, blocks = nudge(
        ReminderKind.NEXT_CONTACT, "C-2026-0001", date(2026, 3, 3), date(2026, 3, 2), 5, "ko"
    )
    assert gated.chat_postMessage(channel="U1", text=text, blocks=blocks)["ok"]
    assert slack.last("chat.postMessage").params["text"] == text
    # A modal is private to the person who opened it and gone when closed (R1 is about history).
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "사례"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": NAME}}],
    }
    gated.views_open(trigger_id="1.2.3", view=modal)
    assert NAME in json.dumps(slack.last("views.open").params, ensure_ascii=False)


# ------------------------------------------------------------------------------- inside Bolt


def make_app(slack: FakeSlack, uow: UnitOfWork | None = None) -> tuple[App, Listeners]:
    """An app wired as casebot/app.py wires it (Bolt copies its client per request, ungated)."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack.url),
        token_verification_enabled=False,
        process_before_response=True,
        listener_executor=LazyWork(workers=1),
    )
    settings = Settings(slack_signing_secret=SECRET, slack_api_url=slack.url, _env_file=None)  # type: ignore[call-arg]
    deps = build_deps(settings, uow=uow or UnitOfWork(lambda: None), client=app.client)  # type: ignore[arg-type]
    return app, Listeners(app, replace(deps, find_actor=lambda user_id: None))


def dispatch(app: App, text: str, response_url: str | None = None) -> int:
    body, headers = slack_requests.slash_command(SECRET, text=text, user_id="U1", response_url=response_url)
    return app.dispatch(BoltRequest(body=body, headers=headers)).status


def test_the_gated_client_keeps_the_token_url_and_retries_of_the_one_it_is_made_from(
    slack: FakeSlack,
) -> None:
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    retry = RateLimitErrorRetryHandler(max_retry_count=2)
    original = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[retry])
    gated = gated_client(original)
    assert isinstance(gated, GatedWebClient)
    assert (gated.token, gated.base_url) == ("xoxb-test", slack.url)
    assert gated.retry_handlers == [retry] and gated.retry_handlers is not original.retry_handlers
    assert gated_client(gated) is gated
    gated.chat_postMessage(channel="C1", text="사례 C-2026-0001 점검 완료")
    with pytest.raises(OutboundRefused):
        gated.chat_postMessage(channel="C1", text="연락처 010-1234-5678")
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_listeners_client_and_respond_both_pass_the_gate(slack: FakeSlack) -> None:
    app, on = make_app(slack)
    outcomes: list[str] = []
    done = threading.Event()

    def work(turn: Turn) -> None:
        privacy.remember(NAME, NAME_TAG)  # as if the listener had loaded the client
        assert turn.respond is not None
        outcomes.append(type(turn.client).__name__ + "/" + type(turn.respond).__name__)
        for attempt in (
            lambda: turn.client.chat_postMessage(channel="C1", text=f"{NAME} 님"),
            lambda: turn.respond(text=f"{NAME} 님", response_type="in_channel"),  # type: ignore[misc]
        ):
            try:
                attempt()
                outcomes.append("sent")
            except OutboundRefused:
                outcomes.append("refused")
        turn.client.chat_postMessage(channel="C1", text="사례 C-2026-0001 점검 완료")
        turn.respond(text="C-2026-0001 저장됨")  # type: ignore[misc]
        done.set()

    on.command("/case", ack=ack_only, lazy=[work])
    assert dispatch(app, "note C-2026-0001", response_url=slack.response_url("r1")) == 200
    assert done.wait(10)
    assert outcomes == ["GatedWebClient/GatedRespond", "refused", "refused"]
    assert [c.params["text"] for c in slack.calls("chat.postMessage")] == ["사례 C-2026-0001 점검 완료"]
    assert [c.params["text"] for c in slack.calls("response_url")] == ["C-2026-0001 저장됨"]


def test_each_listener_starts_with_nothing_seen(slack: FakeSlack) -> None:
    """A value left over from earlier work in the thread is not held against the next listener."""
    app, on = make_app(slack)
    on.command("/case", ack=lambda turn: turn.client.chat_postMessage(channel="C1", text=f"안내: {NAME}"))
    privacy.remember(NAME, NAME_TAG)
    assert dispatch(app, "list") == 200
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_refusal_in_a_listener_is_reported_to_the_person_and_nothing_leaks(
    slack: FakeSlack, caplog
) -> None:
    app, on = make_app(slack)

    def work(turn: Turn) -> None:
        turn.client.chat_postMessage(channel="C1", text="본인 연락처 010-2222-3333 확인")

    on.command("/case", ack=ack_only, lazy=[work])
    dispatch(app, "show C-2026-0001")
    [told] = slack.wait_for("chat.postEphemeral")
    assert told.params["user"] == "U1" and "010" not in told.params["text"]
    assert slack.calls("chat.postMessage") == []
    assert "OutboundRefused" in caplog.text  # with a reference, which the person was given


def test_gated_respond_refuses_before_posting(slack: FakeSlack) -> None:
    respond = GatedRespond(response_url=slack.response_url("r2"))
    with pytest.raises(OutboundRefused):
        respond({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "a@b.kr"}}]})
    assert slack.calls("response_url") == []
    assert respond(text="C-2026-0001").status_code == 200


def test_the_real_app_gives_its_listeners_only_the_gated_client(slack: FakeSlack, uow: UnitOfWork) -> None:
    """build_app (what `casebot run` serves) builds its listeners' dependencies with build_deps: given a
    plain client, they hold a gated one."""
    settings = Settings(slack_signing_secret=SECRET, slack_api_url=slack.url, _env_file=None)  # type: ignore[call-arg]
    deps = build_deps(settings, uow=uow, client=WebClient(token="xoxb-test", base_url=slack.url))
    assert isinstance(deps.client, GatedWebClient)
    with pytest.raises(OutboundRefused):
        deps.client.chat_postMessage(channel="C1", text="연락처 010-4444-5555")
    assert slack.calls("chat.postMessage") == []
