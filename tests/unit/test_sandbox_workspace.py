"""The sandbox's workspace turns the bot's Web API calls into what each user's Slack client shows, and
its clock finds the next working morning (no bot, no HTTP: calls are fed in directly); what it shows is
kept across restarts (sandbox/story.py, on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models.db import make_engine
from models.services.calendar import WorkCalendar
from sandbox.slack.server import Call
from sandbox.story import Stamps, Story, newest_ts, story_url
from sandbox.web import Clock, describe
from sandbox.workspace import Channel, Message, Person, Reply, Workspace

SEOUL = ZoneInfo("Asia/Seoul")
ANN, BEN, CAT = "UANN", "UBEN", "UCAT"


@pytest.fixture
def workspace() -> Workspace:
    people = [
        Person(u, u.lower(), "case_manager", "사례관리자", "Case manager", "1팀", "ko-KR")
        for u in (ANN, BEN, CAT)
    ]
    return Workspace(people, [Channel("CTEAM", "1팀", frozenset({ANN, BEN}))])


def call(workspace: Workspace, method: str, params: dict, body: dict, path: str = "") -> None:
    workspace.observe(Call(method, params, {}, 0.0, path or f"/api/{method}"), {"ok": True, **body})


def texts(workspace: Workspace, user: str, channel: str) -> list[str]:
    return [m["text"] for m in workspace.state(user)["messages"].get(channel, [])]


def test_channel_posts_are_seen_by_members_and_dms_by_their_owner_only(workspace):
    call(
        workspace,
        "chat.postMessage",
        {"channel": "CTEAM", "text": "board"},
        {"channel": "CTEAM", "ts": "1.1"},
    )
    call(workspace, "chat.postMessage", {"channel": ANN, "text": "nudge"}, {"channel": "DUANN", "ts": "1.2"})
    assert texts(workspace, ANN, "CTEAM") == ["board"] and texts(workspace, ANN, "DUANN") == ["nudge"]
    assert texts(workspace, BEN, "CTEAM") == ["board"] and "DUANN" not in workspace.state(BEN)["messages"]
    assert workspace.state(CAT)["messages"] == {}, "not a member of the team channel"
    assert [c["id"] for c in workspace.conversations(CAT)] == ["DUCAT"]


def test_an_ephemeral_message_shows_for_its_user_only(workspace):
    call(
        workspace,
        "chat.postEphemeral",
        {"channel": "CTEAM", "user": ANN, "text": "only you"},
        {"channel": "CTEAM", "message_ts": "1.3"},
    )
    shown = workspace.state(ANN)["messages"]["CTEAM"]
    assert [(m["text"], m["ephemeral"]) for m in shown] == [("only you", True)]
    assert workspace.state(BEN)["messages"].get("CTEAM", []) == []


def test_updates_and_deletes_change_the_message_in_place(workspace):
    call(workspace, "chat.postMessage", {"channel": "CTEAM", "text": "v1"}, {"channel": "CTEAM", "ts": "1.4"})
    call(
        workspace,
        "chat.update",
        {"channel": "CTEAM", "ts": "1.4", "text": "v2", "blocks": [{"type": "divider"}]},
        {},
    )
    [message] = workspace.state(ANN)["messages"]["CTEAM"]
    assert (message["text"], message["edited"], message["blocks"]) == ("v2", True, [{"type": "divider"}])
    call(workspace, "chat.delete", {"channel": "CTEAM", "ts": "1.4"}, {})
    assert workspace.state(ANN)["messages"]["CTEAM"] == []


def test_response_url_answers_land_with_whoever_acted(workspace):
    command = workspace.new_reply(Reply(ANN, "CTEAM"))
    call(workspace, "response_url", {"text": "private"}, {}, f"/response_url/{command}")
    call(
        workspace,
        "response_url",
        {"text": "public", "response_type": "in_channel"},
        {},
        f"/response_url/{command}",
    )
    assert texts(workspace, ANN, "CTEAM") == ["private", "public"]
    assert texts(workspace, BEN, "CTEAM") == ["public"]

    call(
        workspace, "chat.postMessage", {"channel": "CTEAM", "text": "ask"}, {"channel": "CTEAM", "ts": "2.1"}
    )
    clicked = workspace.new_reply(Reply(BEN, "CTEAM", "2.1"))
    call(
        workspace,
        "response_url",
        {"text": "answered", "replace_original": "true"},
        {},
        f"/response_url/{clicked}",
    )
    assert texts(workspace, ANN, "CTEAM")[-1] == "answered"
    call(workspace, "response_url", {"delete_original": True}, {}, f"/response_url/{clicked}")
    assert "answered" not in texts(workspace, ANN, "CTEAM")
    # A response_url the sandbox never handed out changes nothing.
    version = workspace.version
    call(workspace, "response_url", {"text": "stray"}, {}, "/response_url/r999999")
    assert workspace.version == version


def view(view_id: str, title: str = "t", type_: str = "modal") -> dict:
    return {"id": view_id, "type": type_, "title": {"type": "plain_text", "text": title}, "blocks": []}


def test_modals_go_on_the_screen_of_the_user_whose_trigger_opened_them(workspace):
    trigger = workspace.new_trigger(ANN)
    call(workspace, "views.open", {"trigger_id": trigger}, {"view": view("V1")})
    call(workspace, "views.push", {"trigger_id": workspace.new_trigger(ANN)}, {"view": view("V2")})
    assert [v["id"] for v in workspace.state(ANN)["modals"]] == ["V1", "V2"]
    assert workspace.state(BEN)["modals"] == []
    call(workspace, "views.update", {"view_id": "V1"}, {"view": view("V1", "loaded")})
    assert workspace.state(ANN)["modals"][0]["title"]["text"] == "loaded"
    # A trigger nobody was given opens nothing.
    call(workspace, "views.open", {"trigger_id": "1.2.forged"}, {"view": view("V9")})
    assert all(v["id"] != "V9" for u in (ANN, BEN, CAT) for v in workspace.state(u)["modals"])


def test_app_home_is_published_per_user_and_updated_by_id(workspace):
    call(workspace, "views.publish", {"user_id": BEN}, {"view": view("VH", "desk", "home")})
    assert workspace.state(BEN)["home"]["title"]["text"] == "desk" and workspace.state(ANN)["home"] is None
    call(workspace, "views.update", {"view_id": "VH"}, {"view": view("VH", "paged", "home")})
    assert workspace.state(BEN)["home"]["title"]["text"] == "paged"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"response_action": "errors", "errors": {"b": "bad"}}, ["V1", "V2"]),
        ({"response_action": "update", "view": view("ignored", "next")}, ["V1", "V2"]),
        ({"response_action": "push", "view": view("ignored", "more")}, ["V1", "V2", "new"]),
        ({"response_action": "clear"}, []),
        ({}, ["V1"]),
    ],
)
def test_a_submission_answer_changes_the_stack_as_slack_does(workspace, answer, expected):
    call(workspace, "views.open", {"trigger_id": workspace.new_trigger(ANN)}, {"view": view("V1")})
    call(workspace, "views.push", {"trigger_id": workspace.new_trigger(ANN)}, {"view": view("V2")})
    workspace.answer_submission(ANN, "V2", answer)
    stack = workspace.state(ANN)["modals"]
    assert [v["id"] if v["id"] in ("V1", "V2") else "new" for v in stack] == expected
    if answer.get("response_action") == "update":
        assert stack[-1]["title"]["text"] == "next", "an updated view keeps its id and shows the new content"
    # An answer about a view that is not on top (a stale page) changes nothing.
    before = workspace.state(ANN)["modals"]
    workspace.answer_submission(ANN, "V-stale", {"response_action": "clear"})
    assert workspace.state(ANN)["modals"] == before


def test_closing_takes_the_top_modal_only_and_state_reports_no_change_when_nothing_changed(workspace):
    call(workspace, "views.open", {"trigger_id": workspace.new_trigger(ANN)}, {"view": view("V1")})
    version = workspace.state(ANN)["version"]
    assert workspace.state(ANN, since=version) == {"version": version, "changed": False}
    assert workspace.close(ANN, "V-other") is None
    assert workspace.close(ANN, "V1")["id"] == "V1"
    assert workspace.state(ANN, since=version)["changed"] is True
    assert workspace.state(ANN)["modals"] == []


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        (datetime(2026, 11, 20, 19, 0), datetime(2026, 11, 23, 9, 30)),  # Friday evening -> Monday
        (datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 9, 30)),  # before the day begins -> today
        (datetime(2026, 11, 23, 10, 0), datetime(2026, 11, 24, 9, 30)),  # during the day -> tomorrow
        (datetime(2026, 12, 24, 12, 0), datetime(2026, 12, 28, 9, 30)),  # Christmas, then a weekend
    ],
)
def test_the_clock_jumps_to_the_next_working_morning(local_now, expected):
    with time_machine.travel(local_now.replace(tzinfo=SEOUL), tick=False):
        clock = Clock(WorkCalendar(SEOUL))
        target = clock.next_working_morning()
        assert target == expected.replace(tzinfo=SEOUL)
        clock.offset = target - datetime.now(UTC)
        assert clock.as_json()["now"] == expected.strftime("%Y-%m-%dT%H:%M+09:00")
        assert clock.offset > timedelta(0)


# ---------------------------------------------------------------------- the story across restarts


@pytest.fixture(params=["sqlite", "postgresql"])
def story(request, empty_database_url) -> Iterator[Story]:
    engine = make_engine(story_url(empty_database_url(request.param)))
    yield Story(engine)
    engine.dispose()


def people() -> list[Person]:
    return [
        Person(u, u.lower(), "case_manager", "사례관리자", "Case manager", "1팀", "ko-KR") for u in (ANN, BEN)
    ]


def test_a_restarted_workspace_shows_the_messages_as_they_were_last(story):
    first = Workspace(people(), [Channel("CTEAM", "1팀", frozenset({ANN, BEN}))], keeper=story)
    for ts, text in (("5.1", "board"), ("5.2", "nudge"), ("5.3", "gone")):
        call(first, "chat.postMessage", {"channel": "CTEAM", "text": text}, {"channel": "CTEAM", "ts": ts})
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "미뤘습니다"}}]
    call(first, "chat.update", {"channel": "CTEAM", "ts": "5.2", "text": "snoozed", "blocks": blocks}, {})
    call(first, "chat.delete", {"channel": "CTEAM", "ts": "5.3"}, {})
    first.add_ephemeral(ANN, "CTEAM", "only you")
    shown = first.state(ANN)["messages"]

    again = Story(story.engine)  # a new process: nothing but the database
    second = Workspace(people(), [Channel("CTEAM", "1팀", frozenset({ANN, BEN}))], messages=again.messages())
    assert second.state(ANN)["messages"] == shown
    assert [m["text"] for m in shown["CTEAM"]] == ["board", "snoozed", "only you"]
    assert shown["CTEAM"][1]["blocks"] == blocks and shown["CTEAM"][1]["edited"] is True
    assert texts(second, BEN, "CTEAM") == ["board", "snoozed"], "an ephemeral message stays its user's"


def test_the_clock_offset_is_kept_and_forgotten_with_the_data(story):
    assert story.offset() == timedelta(0)
    story.save_offset(timedelta(days=8, hours=3))
    story.save_offset(timedelta(days=16))
    assert Story(story.engine).offset() == timedelta(days=16)
    story.save(Message("CTEAM", "1.1", "x", None))
    story.forget()
    assert story.offset() == timedelta(0) and story.messages() == []


def test_the_story_of_a_sqlite_sandbox_is_a_file_of_its_own():
    assert story_url("sqlite:///casebot-sandbox.sqlite3") == "sqlite:///casebot-sandbox.story.sqlite3"
    assert story_url("sqlite:////data/sb.db") == "sqlite:////data/sb.story.db"
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/sandbox"
    assert story_url(url) == url  # no database-wide write lock there: the sandbox's own tables


def test_message_timestamps_follow_the_sandbox_clock_and_never_repeat():
    now = datetime(2026, 12, 16, 9, 30, tzinfo=SEOUL)
    stamps = Stamps(lambda: now)
    first, second = stamps(), stamps()
    assert first == f"{int(now.timestamp())}.000000" and second == f"{int(now.timestamp())}.000001"
    # After a restart the clock may read earlier than the newest message kept: still later than it.
    stamps = Stamps(lambda: now - timedelta(hours=1))
    stamps.follow(newest_ts([Message("C", second, "", None), Message("C", first, "", None)]))
    assert float(stamps()) > float(second)


def test_the_clock_report_says_who_got_what_in_the_users_language():
    posted = [
        ("chat.postMessage", "D" + ANN),
        ("chat.postMessage", "D" + ANN),
        ("chat.postMessage", "DUSOMEONE"),
        ("chat.postMessage", "CTEAM"),
        ("chat.update", "CTEAM"),
        ("chat.update", "D" + ANN),
    ]
    known = {p.slack_user_id: p for p in people()}
    ko = describe(posted, True, known, {"CTEAM": "1팀"}, "ko")
    assert ko == [
        "uann님에게 개인 메시지 2건",
        "다른 직원 1명에게 개인 메시지 1건",
        "#1팀 채널에 새 글 1건",
        "#1팀 채널의 글 1건을 최신 내용으로 고침 (팀 현황판 등)",
    ]
    assert describe(posted[:1], True, known, {}, "en") == ["uann: 1 direct message(s)"]
    assert describe([], True, known, {}, "ko") == ["새로 보낸 메시지가 없습니다."]
    assert "근무시간" in describe([], False, known, {}, "ko")[0]


def test_a_long_poll_returns_as_soon_as_something_changes(workspace):
    since = workspace.version
    assert workspace.wait_for_change(since, 0.05) is False
    timer = threading.Timer(0.1, lambda: workspace.add_ephemeral(ANN, "DUANN", "hi"))
    timer.start()
    started = time.monotonic()
    assert workspace.wait_for_change(since, 5) is True
    assert time.monotonic() - started < 2
    # A poll the page gave up on stops waiting when woken.
    since, stop = workspace.version, threading.Event()
    threading.Timer(0.1, lambda: (stop.set(), workspace.wake())).start()
    started = time.monotonic()
    assert workspace.wait_for_change(since, 5, stop.is_set) is False
    assert time.monotonic() - started < 2


def test_the_offset_is_one_number_the_page_shows_as_it_is():
    clock = Clock(WorkCalendar(SEOUL))
    clock.offset = timedelta(days=16) - timedelta(microseconds=40)  # as a jump computes it
    assert clock.as_json()["offset_minutes"] == 16 * 24 * 60
