"""Proves the Slack stand-in behaves like Slack for the real slack_sdk and slack_bolt clients.

The end-to-end suite trusts this fake, so its own behaviour is pinned here against the unmodified
``slack_sdk.WebClient``, ``WebhookClient``, ``SignatureVerifier`` and a Bolt ``App``.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from sandbox.slack import FakeSlack
from sandbox.slack import requests as slack_requests

SECRET = "test-signing-secret"

BLOCKS = [{"type": "section", "block_id": "s1", "text": {"type": "mrkdwn", "text": "사례 *C-1* 등록"}}]
MODAL = {
    "type": "modal",
    "callback_id": "case_new",
    "title": {"type": "plain_text", "text": "새 사례"},
    "blocks": [
        {
            "type": "input",
            "block_id": "name",
            "element": {"type": "plain_text_input"},
            "label": {"type": "plain_text", "text": "이름"},
        }
    ],
}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url)


def test_url_has_trailing_slash_and_port(slack: FakeSlack) -> None:
    assert slack.url.startswith("http://127.0.0.1:")
    assert slack.url.endswith("/api/")
    assert slack.port > 0


def test_auth_test_answers_bot_identity(slack: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()

    assert response["ok"] is True
    assert (response["team_id"], response["user_id"], response["bot_id"]) == ("T0001", "UBOT", "BBOT")
    assert response["url"].startswith("https://")
    call = slack.last("auth.test")
    assert call.headers["Authorization"] == "Bearer xoxb-test"


def test_post_message_is_recorded_with_decoded_blocks(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0001", text="hello", blocks=BLOCKS)
    second = client.chat_postMessage(channel="C0001", text="again")

    call = slack.calls("chat.postMessage")[0]
    assert call.params["channel"] == "C0001"
    assert call.params["blocks"] == BLOCKS  # a list of dicts, not a JSON string
    assert first["channel"] == "C0001"
    assert first["message"]["blocks"] == BLOCKS
    assert float(second["ts"]) > float(first["ts"])
    assert len(slack.calls("chat.postMessage")) == 2


def test_form_encoded_json_values_are_decoded(slack: FakeSlack, client: WebClient) -> None:
    # With params= slack_sdk sends a form body, so blocks travel as a JSON string.
    params = {
        "channel": "C0001",
        "ts": "1.000001",
        "text": "[edited] {not json",
        "blocks": json.dumps(BLOCKS),
    }
    response = client.api_call("chat.update", params=params)

    call = slack.last("chat.update")
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert call.params["blocks"] == BLOCKS
    assert call.params["text"] == "[edited] {not json"
    assert response["ts"] == "1.000001"
    assert response["message"]["blocks"] == BLOCKS


def test_get_requests_are_parsed_from_the_query_string(slack: FakeSlack) -> None:
    query = urllib.parse.urlencode({"channel": "C0042"})
    request = urllib.request.Request(
        f"{slack.url}conversations.info?{query}", headers={"Authorization": "Bearer xoxb-test"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.loads(response.read())

    assert body["ok"] is True
    assert body["channel"]["id"] == "C0042"
    assert slack.last("conversations.info").params == {"channel": "C0042"}


def test_bad_token_is_invalid_auth(slack: FakeSlack) -> None:
    bad = WebClient(token="xoxp-user-token", base_url=slack.url)

    with pytest.raises(SlackApiError) as excinfo:
        bad.chat_postMessage(channel="C0001", text="hi")

    assert excinfo.value.response["error"] == "invalid_auth"
    assert len(slack.calls("chat.postMessage")) == 1  # still recorded


def test_missing_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=slack.url).auth_test()

    assert excinfo.value.response["error"] == "invalid_auth"


def test_rate_limit_is_retried_after_retry_after(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    response = client.chat_postMessage(channel="C0001", text="eventually")

    assert response["ok"] is True
    first, second = slack.calls("chat.postMessage")
    assert second.at - first.at >= 0.95


def test_failure_without_retry_handler_raises_with_status(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", error="ratelimited", status=429, retry_after=3)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0001", text="x")

    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response["error"] == "ratelimited"
    assert excinfo.value.response.headers["Retry-After"] == "3"
    assert client.chat_postMessage(channel="C0001", text="x")["ok"] is True  # times=1 is used up


def test_fail_with_http_200_and_times(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("users.lookupByEmail", error="users_not_found", status=200, retry_after=None, times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.users_lookupByEmail(email="nobody@example.org")
        assert excinfo.value.response["error"] == "users_not_found"
        assert "Retry-After" not in excinfo.value.response.headers
    assert client.users_lookupByEmail(email="nobody@example.org")["user"]["profile"]["email"] == (
        "nobody@example.org"
    )


def test_respond_replaces_canned_body(slack: FakeSlack, client: WebClient) -> None:
    slack.respond("conversations.members", {"ok": True, "members": ["U1", "U2"]})
    slack.respond("chat.getPermalink", lambda params: {"ok": True, "permalink": f"x/{params['channel']}"})

    assert client.conversations_members(channel="C0001")["members"] == ["U1", "U2"]
    assert client.chat_getPermalink(channel="C9", message_ts="1.2")["permalink"] == "x/C9"


def test_delay_slows_only_that_method(slack: FakeSlack, client: WebClient) -> None:
    slack.delay("chat.postMessage", 0.3)

    started = time.monotonic()
    client.auth_test()
    fast = time.monotonic() - started
    started = time.monotonic()
    client.chat_postMessage(channel="C0001", text="slow")
    slow = time.monotonic() - started

    assert slow >= 0.3
    assert fast < 0.3


def test_views_open_returns_generated_id_and_echoes_view(slack: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id="123.456.abc", view=MODAL)

    view = opened["view"]
    assert view["id"].startswith("V") and len(view["id"]) == 7
    assert view["hash"]
    assert view["callback_id"] == "case_new"
    assert view["blocks"] == MODAL["blocks"]
    assert slack.last("views.open").params["view"] == MODAL

    updated = client.views_update(view_id=view["id"], view={**MODAL, "private_metadata": "42"})
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["root_view_id"] == view["id"]
    assert updated["view"]["private_metadata"] == "42"

    pushed = client.views_push(trigger_id="1.2.3", view=MODAL)
    assert pushed["view"]["id"] != view["id"]
    assert pushed["view"]["root_view_id"] == view["id"]


def test_views_publish_keeps_one_home_per_user(client: WebClient) -> None:
    home = {"type": "home", "blocks": []}
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home)["view"]
    other = client.views_publish(user_id="U2", view=home)["view"]

    assert first["type"] == "home"
    assert again["id"] == first["id"]
    assert other["id"] != first["id"]


def test_users_info_locale_and_tz(slack: FakeSlack, client: WebClient) -> None:
    slack.set_user("U2", locale="en-US", tz="America/New_York", name="kim")

    default = client.users_info(user="U1", include_locale=True)["user"]
    configured = client.users_info(user="U2", include_locale=True)["user"]
    without_locale = client.users_info(user="U2")["user"]

    assert (default["locale"], default["tz"], default["tz_offset"]) == ("ko-KR", "Asia/Seoul", 9 * 3600)
    assert (configured["locale"], configured["tz"], configured["name"]) == (
        "en-US",
        "America/New_York",
        "kim",
    )
    assert "locale" not in without_locale  # as on real Slack, include_locale is required


def test_conversations_open_and_dm_post(client: WebClient) -> None:
    opened = client.conversations_open(users="U123")
    posted = client.chat_postMessage(channel="U123", text="hi")

    assert opened["channel"]["id"] == "DU123"
    assert posted["channel"] == "DU123"


def test_enforced_membership_refuses_posts_where_the_bot_is_not_in_the_conversation(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.set_channel("CNOBOT", members=["U1", "U2"])
    slack.set_channel("DPEOPLE", members=["U1", "U2"])  # a DM between two people
    assert client.chat_postEphemeral(channel="CNOBOT", user="U1", text="x")["ok"]  # not enforced yet

    slack.enforce_membership()
    for channel in ("CNOBOT", "DPEOPLE"):
        for method, extra in (("chat.postEphemeral", {"user": "U1"}), ("chat.postMessage", {})):
            with pytest.raises(SlackApiError) as refused:
                client.api_call(method, json={"channel": channel, "text": "x", **extra})
            assert refused.value.response["error"] == "channel_not_found"
    # The bot's own DM with a person, and channels it is in, still work; so does a response_url.
    assert client.chat_postMessage(channel="U1", text="x")["channel"] == "DU1"
    assert client.chat_postEphemeral(channel="DU1", user="U1", text="x")["ok"]
    assert client.chat_postEphemeral(channel="C0001", user="U1", text="x")["ok"]
    assert WebhookClient(slack.response_url("cmd")).send(text="x").status_code == 200

    slack.reset()  # back to the constructor's choice
    slack.set_channel("CNOBOT", members=["U1", "U2"])
    assert client.chat_postMessage(channel="CNOBOT", text="x")["ok"]
    with FakeSlack(enforce_membership=True) as strict:
        strict.set_channel("CNOBOT", members=["U1"])
        strict_client = WebClient(token="xoxb-test", base_url=strict.url)
        with pytest.raises(SlackApiError):
            strict_client.chat_postMessage(channel="CNOBOT", text="x")


def test_scheduled_messages_are_tracked(slack: FakeSlack, client: WebClient) -> None:
    scheduled = client.chat_scheduleMessage(channel="C0001", post_at=int(time.time()) + 3600, text="later")

    assert scheduled["scheduled_message_id"].startswith("Q")
    assert [m["id"] for m in slack.scheduled_messages()] == [scheduled["scheduled_message_id"]]
    client.chat_deleteScheduledMessage(
        channel="C0001", scheduled_message_id=scheduled["scheduled_message_id"]
    )
    assert slack.scheduled_messages() == []


def test_unknown_method_is_ok_and_recorded(slack: FakeSlack, client: WebClient) -> None:
    response = client.api_call("reactions.add", params={"name": "eyes", "channel": "C1", "timestamp": "1.2"})

    assert response["ok"] is True
    assert slack.last("reactions.add").params["name"] == "eyes"


def test_response_url_posts_are_recorded(slack: FakeSlack) -> None:
    url = slack.response_url("abc")
    response = WebhookClient(url).send(text="처리됨", replace_original=True)

    assert response.status_code == 200
    assert response.body == "ok"
    call = slack.last("response_url")
    assert call.params == {"text": "처리됨", "replace_original": True}
    assert call.path == "/response_url/abc"


def test_wait_for_returns_calls_and_times_out_with_methods_seen(slack: FakeSlack, client: WebClient) -> None:
    client.auth_test()

    assert len(slack.wait_for("auth.test")) == 1
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        slack.wait_for("chat.postMessage", timeout=0.2)


def test_reset_forgets_calls_and_overrides(slack: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    slack.fail("auth.test", status=500)
    slack.reset()

    assert slack.calls() == []
    assert client.auth_test()["ok"] is True


def test_signed_requests_verify(slack: FakeSlack) -> None:
    verifier = SignatureVerifier(SECRET)
    built = [
        slack_requests.slash_command(SECRET, text="new 홍길동", user_id="U1"),
        slack_requests.block_actions(SECRET, user_id="U1", actions=[{"action_id": "a"}], channel_id="C1"),
        slack_requests.view_submission(SECRET, user_id="U1", callback_id="c", state_values={}),
        slack_requests.message_shortcut(
            SECRET, user_id="U1", callback_id="m", message={"text": "hi", "ts": "1.2"}, channel_id="C1"
        ),
        slack_requests.global_shortcut(SECRET, user_id="U1", callback_id="g"),
        slack_requests.event(SECRET, event={"type": "app_home_opened", "user": "U1"}),
    ]

    for body, headers in built:
        assert verifier.is_valid_request(body, headers)
        assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_stale_request_is_refused_by_verifier() -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    body, headers = slack_requests.slash_command(SECRET, text="x", user_id="U1", timestamp=six_minutes_ago)

    assert headers["X-Slack-Request-Timestamp"] == str(six_minutes_ago)
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_payload_shapes() -> None:
    body, _ = slack_requests.slash_command(SECRET, text="list", user_id="U1", response_url="http://x/r")
    form = dict(urllib.parse.parse_qsl(body))
    assert (form["command"], form["text"], form["user_id"], form["team_id"]) == (
        "/case",
        "list",
        "U1",
        "T0001",
    )
    assert form["trigger_id"] and form["response_url"] == "http://x/r"

    body, _ = slack_requests.block_actions(
        SECRET, user_id="U1", actions=[{"action_id": "pick"}], view={"id": "V1", "callback_id": "cb"}
    )
    payload: dict[str, Any] = json.loads(dict(urllib.parse.parse_qsl(body))["payload"])
    assert payload["user"] == {"id": "U1", "username": "u1", "name": "u1", "team_id": "T0001"}
    assert payload["container"] == {"type": "view", "view_id": "V1"}
    assert payload["view"]["state"] == {"values": {}} and payload["view"]["callback_id"] == "cb"

    first = slack_requests.event(SECRET, event={"type": "message"}, retry_num=2)
    second = slack_requests.event(SECRET, event={"type": "message"})
    assert first.headers["X-Slack-Retry-Num"] == "2"
    assert first.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert "X-Slack-Retry-Num" not in second.headers
    envelope = json.loads(first.body)
    assert envelope["type"] == "event_callback" and envelope["team_id"] == "T0001"
    assert envelope["event_id"] != json.loads(second.body)["event_id"]


def test_post_sends_a_signed_request(slack: FakeSlack) -> None:
    body, headers = slack_requests.event(SECRET, event={"type": "app_mention", "text": "hi"})

    status, response_headers, text = slack_requests.post(slack.response_url("e2e"), body, headers)

    assert (status, text) == (200, "ok")
    assert response_headers["Content-Type"].startswith("text/html")
    call = slack.last("response_url")
    assert call.params["event"] == {"type": "app_mention", "text": "hi"}
    assert call.headers["X-Slack-Signature"] == headers["X-Slack-Signature"]


def test_post_returns_error_statuses(slack: FakeSlack) -> None:
    slack.fail("response_url", error="expired_url", status=404, retry_after=None)

    status, _, text = slack_requests.post(
        slack.response_url("gone"), "{}", {"Content-Type": "application/json"}
    )

    assert status == 404
    assert json.loads(text) == {"ok": False, "error": "expired_url"}


def test_bolt_app_routes_the_built_requests(slack: FakeSlack) -> None:
    """A real Bolt App verifies the signatures and matches every payload to its listener."""
    app = App(
        token="xoxb-test",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack.url),
        process_before_response=True,
    )
    seen: list[str] = []

    @app.command("/case")
    def on_command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"got {command['text']}")
        seen.append("command")

    @app.action("approve")
    def on_action(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(f"action:{body['view']['private_metadata']}")

    @app.view("case_new")
    def on_submit(ack: Any, view: dict[str, Any]) -> None:
        ack()
        seen.append("view:" + view["state"]["values"]["name"]["value"]["value"])

    @app.shortcut("from_message")
    def on_message_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        ack()
        seen.append("message_shortcut:" + shortcut["message"]["text"])

    @app.shortcut("new_case")
    def on_global_shortcut(ack: Any) -> None:
        ack()
        seen.append("global_shortcut")

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})
        seen.append("event")

    requests = [
        slack_requests.slash_command(
            SECRET, text="홍길동", user_id="U1", response_url=slack.response_url("cmd")
        ),
        slack_requests.block_actions(
            SECRET,
            user_id="U1",
            actions=[{"action_id": "approve", "value": "1"}],
            view={"callback_id": "case_new", "private_metadata": "case-7"},
        ),
        slack_requests.view_submission(
            SECRET,
            user_id="U1",
            callback_id="case_new",
            state_values={"name": {"value": {"type": "plain_text_input", "value": "김철수"}}},
        ),
        slack_requests.message_shortcut(
            SECRET, user_id="U1", callback_id="from_message", message={"text": "원문"}, channel_id="C1"
        ),
        slack_requests.global_shortcut(SECRET, user_id="U1", callback_id="new_case"),
        slack_requests.event(SECRET, event={"type": "app_home_opened", "user": "U1", "tab": "home"}),
    ]
    statuses = [app.dispatch(BoltRequest(body=body, headers=headers)).status for body, headers in requests]
    stale_body, stale_headers = slack_requests.global_shortcut(
        SECRET, user_id="U1", callback_id="new_case", timestamp=int(time.time()) - 360
    )
    stale = app.dispatch(BoltRequest(body=stale_body, headers=stale_headers))

    assert statuses == [200] * len(requests)
    assert seen == [
        "command",
        "action:case-7",
        "view:김철수",
        "message_shortcut:원문",
        "global_shortcut",
        "event",
    ]
    assert stale.status == 401
    assert slack.last("response_url").params["text"] == "got 홍길동"
    assert slack.last("views.publish").params["user_id"] == "U1"
    assert len(slack.calls("auth.test")) == 1  # Bolt verified the token against the fake at startup
