"""Every `/case` subcommand, button, shortcut and event, with arbitrary text and junk values.

Properties, for every request:
- the HTTP answer is below 500 (200 for everything the app listens to) and the app logs no error;
- every view the app sends to Slack is one Slack accepts (limits of texts, options, initial values);
- nothing is written except what the gesture is for: a command or a click on junk writes at most the
  audit log (reads and refusals are recorded, R9); opening an assessment starts its draft.

The subcommands are read from the live registry (the words every listener module registers), the buttons from `bot.ids.Action`, so a new one is covered from its first day.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ids import Action, Shortcut, View
from bot.metadata import CaseInChannel
from models.enums import ConsentMethod, ReferralStatus, TaskStatus
from sandbox.slack.requests import (
    SignedRequest,
    block_actions,
    event,
    message_shortcut,
    sign,
    slash_command,
)
from tests.conftest import registered_listeners
from tests.property.conftest import AUDIT_ONLY, SIGNING_SECRET, Bot, Reply, changed_tables, view_problems
from tests.property.scenarios import MANAGER, new_case
from tests.property.strategies import JSON_JUNK, SLACK_IDS, action_values, arbitrary_text, long_text

USERS = ["UMANAGER", "USUPER", "UADMIN", "UCOWORKER", "UOUTSIDER", "UNOBODY"]
CHANNELS = ["C0001", "D0001", "G0001"]
# What opening a dialogue may write: an assessment opens (or resumes) its draft at once.
OPENING_WRITES = {"assess": {"assessments", "case_events"}, "reassess": {"assessments", "case_events"}}
# What a click with a well-formed value may write (approving a closure schedules after-care checks,
# agreeing a plan records the agreement, a status button moves a referral; each is done once per key).
CLICK_WRITES = AUDIT_ONLY | {
    "assessments",
    "case_events",
    "processed_requests",
    "reminders",
    "aftercare_checks",
    "consents",
}


def _answered(bot: Bot, reply: Reply, mark: int, *, status: int = 200) -> None:
    logged = bot.errors.take()
    assert reply.status == status, (reply, logged)
    assert not logged, logged
    for view in bot.sent_views(mark):
        assert not view_problems(view), (view_problems(view), view.get("callback_id"))


@pytest.fixture
def codes(bot: Bot) -> list[str]:
    """Cases at several stages, so that real codes reach real dialogues."""
    return [new_case(bot, stage) for stage in ("open", "monitoring", "pending")]


def _arguments(codes: list[str]) -> st.SearchStrategy[str]:
    code = st.sampled_from(codes)
    return st.one_of(
        st.just(""),
        code,
        code.map(str.lower),
        st.sampled_from(["C-2026-9999", "off", "list", "목록", "해제", "C-2026-", "-", "C"]),
        arbitrary_text(),
        st.tuples(code, arbitrary_text()).map(" ".join),
    )


def test_every_subcommand_with_any_text(bot: Bot, codes: list[str]) -> None:
    registry = registered_listeners()
    SUBCOMMANDS, ALIASES = registry.subcommands, registry.aliases
    words = sorted(set(SUBCOMMANDS) | set(ALIASES) - {""})
    assert {"new", "note", "assess", "plan", "close", "conference", "channel"} <= set(SUBCOMMANDS)

    @given(
        word=st.one_of(st.sampled_from(words), st.sampled_from(words).map(str.upper), arbitrary_text(20)),
        arguments=_arguments(codes),
        user=st.sampled_from(USERS),
        channel=st.sampled_from(CHANNELS),
    )
    def commanding(word: str, arguments: str, user: str, channel: str) -> None:
        text = f"{word} {arguments}"
        mark, before = bot.mark(), bot.counts()
        reply = bot.post(slash_command(SIGNING_SECRET, text=text, user_id=user, channel_id=channel))
        _answered(bot, reply, mark)
        if reply.body:
            assert isinstance(reply.json().get("text", ""), str), reply
        sub = ALIASES.get(word, word)
        allowed = AUDIT_ONLY | OPENING_WRITES.get(sub, set())
        changed = changed_tables(before, bot.counts())
        assert set(changed) <= allowed, f"/case {text!r} changed {changed}"

    commanding()


# ------------------------------------------------------------------------------------------ buttons

NUMBERS = st.integers(-3, 60)
# Declared in bot/ids.py but rendered on no button: handlers.fallback answers it (no longer in use).
STATUSES = st.sampled_from([s.value for s in ReferralStatus])
# Per button: the keys of its value and a well-formed value with ids that may or may not exist.
BUTTON_VALUES: dict[str, tuple[list[str], Any]] = {
    Action.OPEN_INTAKE: ([], lambda codes: st.just({})),
    Action.OPEN_SHOW: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_ASSESS: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_PLAN: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.AGREE_PLAN: (
        ["plan_id", "code", "method"],
        lambda codes: st.fixed_dictionaries(
            {
                "plan_id": NUMBERS,
                "code": st.sampled_from(codes),
                "method": st.sampled_from([m.value for m in ConsentMethod]),
            }
        ),
    ),
    Action.PLAN_ADD_GOAL: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.PLAN_ADD_TASK: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_TASKS: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_PLAN_REVIEW: (
        ["code"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)}),
    ),
    Action.TASK_STATUS: (
        ["task_id", "status"],
        lambda codes: st.fixed_dictionaries(
            {"task_id": NUMBERS, "status": st.sampled_from([s.value for s in TaskStatus])}
        ),
    ),
    Action.TASK_DONE: (
        ["task_id", "status"],
        lambda codes: st.fixed_dictionaries(
            {"task_id": NUMBERS, "status": st.sampled_from([s.value for s in TaskStatus])}
        ),
    ),
    Action.OPEN_REFER: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.REFERRAL_STATUS: (
        ["referral_id", "to"],
        lambda codes: st.fixed_dictionaries({"referral_id": NUMBERS, "to": STATUSES}),
    ),
    Action.OPEN_NOTE: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_CLOSE: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.APPROVE_CLOSURE: (["closure_id"], lambda codes: st.fixed_dictionaries({"closure_id": NUMBERS})),
    Action.RETURN_CLOSURE: (["closure_id"], lambda codes: st.fixed_dictionaries({"closure_id": NUMBERS})),
    Action.REVIEW_CLOSURE: (["closure_id"], lambda codes: st.fixed_dictionaries({"closure_id": NUMBERS})),
    Action.PRINT_FORM: (
        ["code", "form"],
        lambda codes: st.fixed_dictionaries(
            {"code": st.sampled_from(codes), "form": st.sampled_from(["plan", "closure", "nothing"])}
        ),
    ),
    Action.HISTORY_PAGE: (
        ["code", "section", "page"],
        lambda codes: st.fixed_dictionaries(
            {
                "code": st.sampled_from(codes),
                "section": st.sampled_from(["notes", "plan", "closure", "services", "nothing"]),
                "page": st.sampled_from([0, 1, 99, -1]),
            }
        ),
    ),
    Action.OPEN_AFTERCARE: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_CLASSIFY: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.HOME_PAGE: (["page"], lambda codes: st.fixed_dictionaries({"page": NUMBERS})),
    Action.SNOOZE_REMINDER: (
        ["reminder_id", "days"],
        lambda codes: st.fixed_dictionaries(
            {"reminder_id": NUMBERS, "days": st.sampled_from([1, 7, 0, -1, 400])}
        ),
    ),
    Action.OPEN_CONFERENCE: ([], lambda codes: st.just({})),
    Action.OPEN_FOLLOW_UPS: ([], lambda codes: st.just({})),
    Action.STATS_DOWNLOAD: (
        ["month"],
        lambda codes: st.fixed_dictionaries(
            {"month": st.sampled_from(["2026-11", "2026-13", "1999-01", ""])}
        ),
    ),
    Action.FOLLOW_UP_DONE: (
        ["session_id", "number"],
        lambda codes: st.fixed_dictionaries({"session_id": NUMBERS, "number": NUMBERS}),
    ),
    Action.CONFERENCE_LIST: ([], lambda codes: st.just({})),
    Action.CONFERENCE_AGENDA: (
        ["conference_id"],
        lambda codes: st.fixed_dictionaries({"conference_id": NUMBERS}),
    ),
    Action.CONFERENCE_RESCHEDULE: (
        ["conference_id"],
        lambda codes: st.fixed_dictionaries({"conference_id": NUMBERS}),
    ),
    Action.CONFERENCE_CANCEL: (
        ["conference_id"],
        lambda codes: st.fixed_dictionaries({"conference_id": NUMBERS}),
    ),
    Action.CONFERENCE_RECORD: (
        ["conference_id"],
        lambda codes: st.fixed_dictionaries({"conference_id": NUMBERS}),
    ),
    Action.ACTION_ITEM_DONE: (["item_id"], lambda codes: st.fixed_dictionaries({"item_id": NUMBERS})),
    Action.ACTION_ITEM_SHOW: (["item_id"], lambda codes: st.fixed_dictionaries({"item_id": NUMBERS})),
    Action.OPEN_CONSENT: (
        ["code", "renew"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes), "renew": st.booleans()}),
    ),
    Action.CONSENT_RENEW: (
        ["code", "consent_id"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes), "consent_id": NUMBERS}),
    ),
    Action.CONSENT_WITHDRAW: (
        ["code", "consent_id"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes), "consent_id": NUMBERS}),
    ),
    Action.OPEN_RECORD_INTAKE: (
        ["code"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)}),
    ),
    Action.OPEN_HOLD: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_RESUME: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_REFERRER_REPLY: (
        ["code"],
        lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)}),
    ),
    Action.OPEN_HANDOVER: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.OPEN_TRANSFER: (["code"], lambda codes: st.fixed_dictionaries({"code": st.sampled_from(codes)})),
    Action.INTAKE_ADD_MEMBER: ([], lambda codes: st.just({})),
    Action.INTAKE_ADD_GUARDIAN: ([], lambda codes: st.just({})),
    Action.ADMIN_ADD_STAFF: ([], lambda codes: st.just({})),
    Action.ADMIN_EDIT_STAFF: ([], lambda codes: st.just({})),
    Action.ADMIN_DEACTIVATE: ([], lambda codes: st.just({})),
    Action.ADMIN_IMPORT: ([], lambda codes: st.just({})),
    Action.ADMIN_ADD_RESOURCE: ([], lambda codes: st.just({})),
    Action.ADMIN_VERIFY: (["resource_id"], lambda codes: st.fixed_dictionaries({"resource_id": NUMBERS})),
    Action.ADMIN_EDIT_RESOURCE: (
        ["resource_id"],
        lambda codes: st.fixed_dictionaries({"resource_id": NUMBERS}),
    ),
}


def _action_id(action: Action) -> st.SearchStrategy[str]:
    """The id as the app's messages carry it (a snooze button and a status button have a suffix)."""
    if action == Action.SNOOZE_REMINDER:
        return st.sampled_from([1, 7, 30]).map(lambda days: f"{action}.{days}")
    if action == Action.PRINT_FORM:
        return st.sampled_from(["plan", "closure"]).map(lambda form: f"{action}.{form}")
    if action == Action.HISTORY_PAGE:
        return st.sampled_from(["notes", "older", "newer"]).map(lambda what: f"{action}.{what}")
    if action == Action.REFERRAL_STATUS:
        return st.one_of(st.just(str(action)), STATUSES.map(lambda to: f"{action}:{to}"))
    return st.just(str(action))


def _container() -> st.SearchStrategy[dict[str, Any]]:
    """Where the button was: a message in a channel or DM, a modal, the App Home, or nowhere known."""
    return st.one_of(
        st.sampled_from(CHANNELS).map(
            lambda c: {"channel_id": c, "message": {"text": "", "ts": "1700000000.1"}}
        ),
        st.just({"view": {"type": "modal", "callback_id": View.SHOW, "private_metadata": "{}"}}),
        st.just({"view": {"type": "modal", "callback_id": View.INTAKE, "private_metadata": ""}}),
        JSON_JUNK.map(lambda junk: {"view": {"type": "modal", "private_metadata": json.dumps(junk)}}),
        st.just({"view": {"type": "home", "callback_id": "casebot.home"}}),
        st.just({}),
    )


def test_every_button_with_any_value(bot: Bot, codes: list[str]) -> None:
    assert set(BUTTON_VALUES) == set(Action), "a new button needs its value shape here"

    @given(data=st.data())
    def clicking(data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(sorted(Action)), label="action")
        keys, plausible = BUTTON_VALUES[action]
        value = data.draw(action_values(keys, plausible(codes)), label="value")
        action_id = data.draw(_action_id(action), label="action_id")
        element: dict[str, Any] = {"action_id": action_id}
        if value is not None:
            element["value"] = value
        where = data.draw(_container(), label="where")
        user = data.draw(st.sampled_from(USERS), label="user")
        mark, before = bot.mark(), bot.counts()
        reply = bot.post(block_actions(SIGNING_SECRET, user_id=user, actions=[element], **where))
        _answered(bot, reply, mark)
        changed = set(changed_tables(before, bot.counts()))
        well_formed = isinstance(value, str) and isinstance(_loads(value), dict)
        assert changed <= (CLICK_WRITES if well_formed else AUDIT_ONLY), (action_id, value, changed)

    clicking()


def test_picking_an_agency_in_the_referral_modal_with_any_option(bot: Bot, codes: list[str]) -> None:
    """The only select that acts before submission: it re-renders the referral modal."""

    @given(
        chosen=st.one_of(
            st.none(), NUMBERS.map(lambda n: {"value": str(n)}), arbitrary_text().map(lambda t: {"value": t})
        ),
        meta=st.one_of(st.sampled_from(codes).map(lambda c: CaseInChannel(code=c).dump()), arbitrary_text()),
        user=st.sampled_from(USERS),
    )
    def picking(chosen: Any, meta: str, user: str) -> None:
        element = {"action_id": "resource_id", "type": "static_select", "selected_option": chosen}
        view = {"type": "modal", "callback_id": View.REFER, "private_metadata": meta}
        mark, before = bot.mark(), bot.counts()
        reply = bot.post(block_actions(SIGNING_SECRET, user_id=user, actions=[element], view=view))
        _answered(bot, reply, mark)
        assert set(changed_tables(before, bot.counts())) <= AUDIT_ONLY

    picking()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# ------------------------------------------------------------------------------- shortcut and events


def test_adding_any_message_as_a_case_note(bot: Bot, codes: list[str]) -> None:
    @given(
        text=st.one_of(arbitrary_text(), long_text(3000, 40000), st.none()),
        user=st.sampled_from([MANAGER, *USERS]),
        channel=st.sampled_from(CHANNELS),
    )
    def shortcut(text: str | None, user: str, channel: str) -> None:
        message: dict[str, Any] = {"user": "U0OTHER"}
        if text is not None:
            message["text"] = text
        mark, before = bot.mark(), bot.counts()
        request = message_shortcut(
            SIGNING_SECRET,
            user_id=user,
            callback_id=Shortcut.ADD_AS_NOTE,
            message=message,
            channel_id=channel,
        )
        reply = bot.post(request)
        _answered(bot, reply, mark)
        assert set(changed_tables(before, bot.counts())) <= AUDIT_ONLY

    shortcut()


def test_app_home_and_other_events_with_any_fields(bot: Bot) -> None:
    @given(
        kind=st.sampled_from(
            ["app_home_opened", "app_mention", "message", "member_joined_channel", "unknown"]
        ),
        user=st.one_of(st.sampled_from(USERS), SLACK_IDS),
        tab=st.one_of(st.sampled_from(["home", "messages"]), arbitrary_text(10), st.none()),
        retry=st.one_of(st.none(), st.integers(1, 3)),
        reason=st.sampled_from(["http_timeout", "http_error", "unknown_error"]),
    )
    def happening(kind: str, user: str, tab: str | None, retry: int | None, reason: str) -> None:
        body: dict[str, Any] = {"type": kind, "user": user, "channel": "D0001", "event_ts": "1700000000.1"}
        if tab is not None:
            body["tab"] = tab
        mark, before = bot.mark(), bot.counts()
        reply = bot.post(event(SIGNING_SECRET, event=body, retry_num=retry, retry_reason=reason))
        logged = bot.errors.take()
        assert reply.status in (200, 404), (reply, logged)  # 404: an event the app does not listen to
        assert not logged, logged
        for view in bot.sent_views(mark):
            assert not view_problems(view), view_problems(view)
        assert set(changed_tables(before, bot.counts())) <= AUDIT_ONLY

    happening()


# ------------------------------------------------------------------------------------------ envelopes


def _status_of(bot: Bot, request: SignedRequest) -> int:
    try:
        return bot.post(request).status
    except Exception:  # raised out of the WSGI app: waitress answers 500 (and logs a traceback)
        return 500


def test_any_unsigned_body_is_refused_without_a_server_error(bot: Bot) -> None:
    @given(
        body=st.one_of(
            arbitrary_text(),
            JSON_JUNK.map(json.dumps),
            JSON_JUNK.map(lambda junk: "payload=" + json.dumps(junk)),
            arbitrary_text().map(lambda text: "payload=" + text),
        ),
        content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
        forged=st.booleans(),
    )
    def knocking(body: str, content_type: str, forged: bool) -> None:
        if forged:  # signed with another secret
            request = sign("not-the-secret", body, content_type=content_type)
        else:
            request = SignedRequest(body, {"Content-Type": content_type})
        before = bot.counts()
        assert _status_of(bot, request) == 401
        assert changed_tables(before, bot.counts()) == {}
        bot.errors.take()

    knocking()
