"""What reaches `casebot run` over HTTP that is not a well-formed request of the app's own: oversized,
unsigned or stale bodies, signed junk, forms and buttons nobody listens to, forged clicks."""

from __future__ import annotations

import http.client
import json
import os
import time
from urllib.parse import urlencode, urlparse

import pytest
from sqlalchemy import select

from bot.ids import Action, View
from models import Referral
from models.enums import ReferralStatus
from models.services import staff
from sandbox.slack.requests import block_actions, post, sign
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, state, submit, text
from tests.e2e.test_referrals import (
    WITH_CONSENT,
    add_resource,
    case_for,
    meta,
    refer_values,
    referrals_of,
)

MB = 1024 * 1024


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post_streamed(url: str, size: int, headers: dict[str, str]) -> int:
    """POST `size` bytes in 64 KiB pieces as a client that keeps sending would; the server may answer
    and close before the body is all sent."""
    target = urlparse(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    connection.putrequest("POST", target.path)
    for name, value in {**headers, "Content-Length": str(size)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    piece = b"a=" + b"x" * (64 * 1024 - 2)
    sent = 0
    try:
        while sent < size:
            connection.send(piece[: min(len(piece), size - sent)])
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused early: what matters is the answer
    try:
        response = connection.getresponse()
        return response.status
    finally:
        connection.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the RSS from /proc")
def test_an_oversized_body_is_refused_unread_signed_or_not(bot, capsys):
    pid = bot.process.pid
    before = rss_kib(pid)
    signed = sign(SIGNING_SECRET, "a=1", content_type="application/x-www-form-urlencoded")
    for headers in (
        {"Content-Type": "application/x-www-form-urlencoded"},  # unsigned
        signed.headers,  # signed (for another body: the signature cannot be checked before reading)
    ):
        for _ in range(2):
            assert post_streamed(bot.events_url, 100 * MB, headers) == 413
    grown = rss_kib(pid) - before
    assert grown < 20 * 1024, f"RSS grew by {grown} KiB after 4 × 100 MB bodies"
    with capsys.disabled():
        print(f"\n4 × 100 MB bodies (2 unsigned, 2 signed): 413 each; RSS {before} → {before + grown} KiB")
    # the bot still answers
    assert post(bot.url + "/healthz", "", {})[0] in (200, 405)


def told_to(bot, user: str, count: int, timeout: float = 10) -> list[dict]:
    """The private answers the user got (ephemeral, or in the bot's DM), once `count` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            call.params
            for call in bot.slack.calls()
            if (call.method == "chat.postEphemeral" and call.params.get("user") == user)
            or (call.method == "chat.postMessage" and call.params.get("channel") in (user, f"D{user}"))
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def signed_payload(payload: object) -> tuple[str, dict[str, str]]:
    body = urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})
    request = sign(SIGNING_SECRET, body, content_type="application/x-www-form-urlencoded")
    return request.body, request.headers


@pytest.mark.parametrize(
    "payload",
    [
        "not json at all",
        "[1, 2, 3]",
        json.dumps("a string"),
        {"type": "view_submission", "user": {"id": "UCM1"}, "view": "a string"},
        {"type": "view_submission", "user": {"id": "UCM1"}, "view": {"id": 5, "callback_id": 7}},
        {"type": "view_submission", "user": "UCM1", "view": {}},
        {"type": "block_actions", "user": {"id": "UCM1"}},
        {"type": "block_actions", "user": {"id": "UCM1"}, "actions": "a string"},
        {"type": "block_actions", "user": {"id": "UCM1"}, "actions": [None]},
        {"type": "block_actions", "user": {"id": "UCM1"}, "actions": [{"value": "x"}]},
        {"type": "shortcut", "user": {"id": "UCM1"}},
        {"type": "message_action", "user": {"id": "UCM1"}, "message": "x"},
        {"type": "nonsense"},
    ],
    ids=lambda p: (p if isinstance(p, str) else json.dumps(p))[:40],
)
def test_malformed_signed_payloads_answer_below_500(bot, payload):
    add_staff(bot, "UCM1")
    body, headers = signed_payload(payload)
    status, _, _ = post(bot.events_url, body, headers)
    assert status in (200, 400, 404), (status, bot.log_text())
    time.sleep(0.2)
    log = bot.log_text()
    assert " ERROR " not in log and "Traceback" not in log, log


def test_signed_bodies_bolt_cannot_parse_answer_400(bot):
    for body, content_type in (
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
    ):
        request = sign(SIGNING_SECRET, body, content_type=content_type)
        status, _, _ = post(bot.events_url, request.body, request.headers)
        assert status == 400, (body, status)


def test_an_unknown_form_and_an_unknown_button_are_answered_in_the_persons_language(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UENG")
    with bot.uow() as db:
        staff.find_staff(db, "UENG").locale = "en"
    status, answer = submit(bot, "UCM1", "case.retired.modal", state(**{"x": text("값")}))
    assert status == 200
    assert answer["response_action"] == "update"
    assert "더 이상 쓰지 않습니다" in json.dumps(answer["view"], ensure_ascii=False)
    status, answer = submit(bot, "UENG", "case.retired.modal", state(**{"x": text("v")}))
    assert status == 200 and "no longer in use" in json.dumps(answer["view"])

    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": "case.retired.button", "value": "{}"}],
        channel_id="C0001",
        message={"text": "", "ts": "1700000000.000100"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    told = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert told["user"] == "UCM1" and told["channel"] == "C0001"
    assert "더 이상 쓰지 않습니다" in told["text"]
    # a link button needs an ack and nothing else
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": "case.link", "url": "https://example.org"}],
        channel_id="C0001",
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    time.sleep(0.3)
    assert len(bot.slack.calls("chat.postEphemeral")) == 1
    assert " ERROR " not in bot.log_text()


def test_forged_referral_status_changes_from_another_team_are_refused_in_words(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    status, _ = submit(
        bot,
        "UCM1",
        View.REFER,
        refer_values(resource, **WITH_CONSENT),
        view_id="VR9",
        private_metadata=meta(code),
    )
    assert status == 200
    [referral] = referrals_of(bot, code)
    assert referral.status == ReferralStatus.SENT
    forged = [
        # every status, with and without the id's suffix, from a channel, a DM, the App Home
        (
            {
                "action_id": f"{Action.REFERRAL_STATUS}:{to}",
                "value": json.dumps({"referral_id": referral.id, "to": to}),
            },
            where,
        )
        for to, where in (
            ("ACKNOWLEDGED", {"channel_id": "C0002"}),
            ("IN_SERVICE", {"channel_id": "DUOTHER"}),
            ("COMPLETED", {"channel_id": "C0002"}),
            ("DECLINED", {"channel_id": "C0002"}),
            ("CANCELLED", {}),
        )
    ] + [
        (
            {
                "action_id": str(Action.REFERRAL_STATUS),
                "value": json.dumps({"referral_id": referral.id, "to": "ACKNOWLEDGED"}),
            },
            {"channel_id": "C0002"},
        ),
        (
            {
                "action_id": f"{Action.REFERRAL_STATUS}:SENT",
                "value": json.dumps({"referral_id": referral.id, "to": "SENT"}),
            },
            {"channel_id": "C0002"},
        ),
        (
            {
                "action_id": f"{Action.REFERRAL_STATUS}:ACKNOWLEDGED",
                "value": json.dumps({"referral_id": referral.id, "to": "ACKNOWLEDGED"}),
            },
            {"view": {"type": "home", "callback_id": "casebot.home"}},
        ),
    ]
    for action, where in forged:
        request = block_actions(SIGNING_SECRET, user_id="UOTHER", actions=[action], **where)
        assert post(bot.events_url, request.body, request.headers)[0] == 200
    refusals = told_to(bot, "UOTHER", len(forged))
    assert len(refusals) == len(forged), refusals
    for refusal in refusals:
        assert "권한이 없습니다" in refusal["text"], refusal["text"]
    with bot.uow() as db:
        assert db.scalar(select(Referral.status).where(Referral.id == referral.id)) == ReferralStatus.SENT
    assert not bot.slack.calls("chat.update")
