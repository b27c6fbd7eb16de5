"""Listener fixes for what the property tests (tests/property) found: a stale, forged or malformed payload
gets an answer (field errors, or nothing to do), never an exception before or after the ack."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import BoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot import conference_forms
from bot.forms import read_state
from bot.ids import View
from bot.listeners import Deps, Turn
from bot.metadata import conversation_id
from handlers import assessment, closure, conferences, intake, notes, plans, referrals, reminders
from handlers.common import Invocation
from models.clock import FixedClock
from models.errors import InvalidInput, NotFound
from models.services.context import Policy
from tests.factories import NOW, make_world


class Recorder:
    """Stands in for Bolt's ack and for the WebClient: records what the listener did."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(("ack", kwargs))

    def __getattr__(self, method: str):  # client.chat_postEphemeral(...) and the like
        return lambda **kwargs: self.calls.append((method, kwargs))


def state(**blocks: dict) -> dict:
    return {"state": {"values": {block_id: {block_id: element} for block_id, element in blocks.items()}}}


# ------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize(
    "view",
    [
        {},
        {"state": "x"},
        {"state": {"values": [1, 2]}},
        {"state": {"values": {"a": [1]}}},
        {"state": {"values": {"a": {"a": "not an element"}}}},
        state(a={"type": "static_select", "selected_option": {}}),
        state(a={"type": "static_select", "selected_option": "x"}),
        state(a={"type": "static_select", "selected_option": {"value": {"nested": 1}}}),
        state(a={"type": "checkboxes", "selected_options": [{}, "x", {"value": 3}]}),
        state(a={"type": "checkboxes", "selected_options": "x"}),
        state(a={"type": "plain_text_input", "value": {"a": 1}}),
        state(a={"type": "datepicker", "selected_date": 20260101}),
        state(a={"type": "multi_users_select", "selected_users": "U1"}),
        state(a={"type": "unknown", "value": [1, 2]}),
    ],
)
def test_a_malformed_state_reads_as_empty_inputs(view):
    for value in read_state(view).values():
        assert value is None or value == [] or isinstance(value, str), value


def test_a_well_formed_state_reads_as_before():
    view = state(
        a={"type": "plain_text_input", "value": "  가상 내용 "},
        b={"type": "static_select", "selected_option": {"value": "HEALTH"}},
        c={"type": "checkboxes", "selected_options": [{"value": "yes"}]},
        d={"type": "datepicker", "selected_date": "2026-03-02"},
        e={"type": "multi_users_select", "selected_users": ["U1", "U2"]},
        f={"type": "plain_text_input", "value": "   "},
        g={"type": "plain_text_input", "value": "가\x00나"},  # PostgreSQL refuses NUL in text
        h={"type": "multi_users_select", "selected_users": ["U1", "\x00"]},
    )
    assert read_state(view) == {
        "a": "가상 내용",
        "b": "HEALTH",
        "c": ["yes"],
        "d": "2026-03-02",
        "e": ["U1", "U2"],
        "f": None,
        "g": "가나",
        "h": ["U1"],
    }


# ------------------------------------------------------------------------------------------ modals


def context(uow=None, **extra: Any) -> BoltContext:
    return BoltContext({"locale": "ko", "actor": None, "policy": Policy(), "uow": uow, **extra})


def listener_turn(
    ack: Recorder, client: Recorder, *, body: dict, uow=None, actor: Any = None, in_ack: bool = True
) -> Turn:
    """A listener's Turn with stand-ins for Bolt's ack and the Slack client; the person reads Korean."""
    settings = SimpleNamespace(default_locale="ko", policy=Policy)
    deps = Deps(uow=uow, settings=settings, clock=FixedClock(NOW), client=client, find_actor=lambda _: actor)  # type: ignore[arg-type]
    turn = Turn(deps, ack=ack, body=body, context=BoltContext({"user_id": "UCM1"}), in_ack=in_ack)
    turn.locale = "ko"  # type: ignore[misc]  # never Slack's users.info
    return turn


def test_an_assessment_step_with_junk_metadata_answers_with_a_field_error(uow):
    ack = Recorder()
    body = {"view": {"private_metadata": "not json", "id": "V1"}}
    assessment.submit_step(listener_turn(ack, Recorder(), body=body, uow=uow))
    [(_, answer)] = ack.calls
    assert answer["response_action"] == "errors" and answer["errors"]


def test_a_referral_source_the_modal_never_offered_is_a_field_error():
    with pytest.raises(InvalidInput) as caught:
        intake.referral_source({"referral_source": "zzz"})
    assert set(caught.value.errors) == {"referral_source"}
    assert intake.referral_source({}) == intake.referral_source({"referral_source": "other"})


def test_a_goal_number_the_plan_modal_never_offered_is_a_field_error():
    form = {
        "goals.0.description": "주거 안정",
        "tasks.0.action": "동행",
        "tasks.0.goal_index": "가",
    }
    with pytest.raises(InvalidInput) as caught:
        plans.parse_plan(form, plans.Rows())
    assert caught.value.errors["tasks.0.action"].key == "plans.errors.goal_row_empty"


def test_the_plan_agreement_method_of_a_malformed_state_is_the_default():
    assert plans._chosen_method({"state": {"values": {"agreement_method": [1]}}}) == "WRITTEN"
    assert (
        plans._chosen_method(
            state(agreement_method={"type": "radio_buttons", "selected_option": {"value": "VERBAL"}})
        )
        == "VERBAL"
    )


@pytest.mark.parametrize(
    ("form", "block"),
    [
        ({"scheduled_at": "2026-02-30", "scheduled_time": "14:00"}, "scheduled_at"),
        ({"scheduled_at": "2026-03-20", "scheduled_time": "25:00"}, "scheduled_time"),
    ],
)
def test_an_impossible_meeting_date_or_time_is_a_field_error(form, block):
    with pytest.raises(InvalidInput) as caught:
        conference_forms._moment(form, Policy().zone)
    assert set(caught.value.errors) == {block}


@pytest.mark.parametrize("goals", ["true", '"x"', "5", '[1, "2", null]'])
def test_the_closure_modal_with_goals_that_are_not_a_list_of_ids_is_answered(goals):
    ack = Recorder()
    body = {"view": {"private_metadata": f'{{"goals": {goals}}}', "id": "V4"}}
    closure.submit_close(listener_turn(ack, Recorder(), body=body))
    [(_, answer)] = ack.calls
    assert answer["response_action"] == "errors"


def test_the_record_modal_with_codes_that_are_not_a_list_is_answered(uow):
    ack = Recorder()
    view = {"private_metadata": json.dumps({"conference_id": "x", "codes": 5}), "id": "V2"}
    conferences.submit_record(listener_turn(ack, Recorder(), body={"view": view}, uow=uow))
    [(_, answer)] = ack.calls
    assert answer["response_action"] == "errors"


# ------------------------------------------------------------------------------------------ buttons

STAFF = object()  # any actor: these buttons stop before they use it


@pytest.mark.parametrize(
    "value", [None, "x", json.dumps({"referral_id": "a", "to": "SENT"}), json.dumps({"to": []})]
)
def test_a_referral_status_button_with_a_junk_value_changes_nothing_and_says_so(value):
    client = Recorder()
    body = {"channel": {"id": "D1"}, "actions": [{"value": value}]}
    referrals.move_referral(listener_turn(Recorder(), client, body=body, actor=STAFF, in_ack=False))
    [(method, params)] = client.calls  # no database, no message edited: only the person is told
    assert method == "chat_postEphemeral" and params["channel"] == "D1"
    assert "더 이상 쓰지 않습니다" in params["text"]


@pytest.mark.parametrize("chosen", [None, "x", {"value": "가"}, {"value": [1]}])
def test_picking_a_junk_agency_re_renders_the_referral_modal(chosen):
    client = Recorder()
    view = {"id": "V3", "callback_id": View.REFER, "private_metadata": "not json"}
    body = {"view": view, "actions": [{"selected_option": chosen}]}
    referrals.resource_picked(listener_turn(Recorder(), client, body=body, in_ack=False))
    [(method, _)] = client.calls
    assert method == "views_update"


@pytest.mark.parametrize("value", [None, "x", json.dumps({"days": "a"}), json.dumps({"reminder_id": []})])
def test_a_snooze_button_with_a_junk_value_does_nothing(value):
    client = Recorder()
    body = {"actions": [{"value": value}]}
    reminders.snooze(listener_turn(Recorder(), client, body=body, actor=STAFF, in_ack=False))
    assert client.calls == []


@pytest.mark.parametrize("value", [None, "x", json.dumps({"plan_id": "a", "method": {}})])
def test_an_agree_button_with_a_junk_value_does_nothing(value):
    client = Recorder()
    body = {"actions": [{"value": value}]}
    plans.agree_plan(listener_turn(Recorder(), client, body=body, actor=STAFF, in_ack=False))
    assert client.calls == []


# ------------------------------------------------------------------------------ after the ack


def test_only_a_conversation_id_from_metadata_is_posted_to():
    assert conversation_id("C0001") == "C0001" and conversation_id("D0ABC") == "D0ABC"
    for junk in (None, "", "900101-1234567", "C", "c0001", {"id": "C1"}, "C0001 ", 7):
        assert conversation_id(junk) is None


class SlackRefuses(Recorder):
    def chat_postEphemeral(self, **kwargs: Any) -> None:
        self.calls.append(("chat_postEphemeral", kwargs))
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="chat.postEphemeral",
            req_args={},
            data={"ok": False, "error": "channel_not_found"},
            headers={},
            status_code=200,
        )
        raise SlackApiError("channel_not_found", response)


def _intake_view(channel: Any) -> dict:
    values = {
        "referral_source": {"type": "static_select", "selected_option": {"value": "self"}},
        "client.name": {"type": "plain_text_input", "value": "가상인물"},
        "confidentiality_notice_given": {"type": "checkboxes", "selected_options": [{"value": "yes"}]},
        "consent_scopes": {"type": "checkboxes", "selected_options": [{"value": "COLLECT_USE"}]},
        "refusal_notice": {"type": "checkboxes", "selected_options": [{"value": "yes"}]},
    }
    return {"id": f"V-{channel!r}", "private_metadata": json.dumps({"channel": channel}), **state(**values)}


@pytest.mark.parametrize(("channel", "slack"), [("900101-1234567", Recorder), ("C0001", SlackRefuses)])
def test_the_intake_confirmation_never_undoes_a_saved_case(uow, channel, slack):
    """A junk channel is not posted to; Slack refusing the note leaves the saved case and its answer."""
    with uow() as db:
        world = make_world(db)
    ack, client = Recorder(), slack()
    body = {"view": _intake_view(channel)}
    intake.submit_intake(submitting := listener_turn(ack, client, body=body, uow=uow, actor=world.manager))
    [(_, answer)] = ack.calls
    assert answer["response_action"] == "update"
    after = listener_turn(Recorder(), client, body=body, uow=uow, actor=world.manager, in_ack=False)
    after.context.update(submitting.context)  # what Bolt copies to the lazy function
    intake.confirm_intake(after)
    posted = [call for call in client.calls if call[0] == "chat_postEphemeral"]
    assert [call[1]["channel"] for call in posted] == ([] if channel != "C0001" else ["C0001"])


# ------------------------------------------------------------------------------ case codes


@pytest.mark.parametrize("typed", ["\x1b" * 499, "010-1234-5678", "가나다", "C-2026-0001\x00"])
def test_a_command_argument_that_is_no_case_code_is_refused_before_any_modal(typed):
    """`/case note <499 escape characters>` used to put them in the modal's metadata: too long for Slack."""
    client = Recorder()
    body = {"channel_id": "C0001", "trigger_id": "T1"}
    call = Invocation([typed], listener_turn(Recorder(), client, body=body, actor=STAFF, in_ack=False))
    with pytest.raises(NotFound):
        call.code("note")
    assert client.calls == []


def test_a_well_formed_code_argument_is_upper_cased():
    body = {"channel_id": "C0001"}
    call = Invocation(
        ["c-2026-0007"], listener_turn(Recorder(), Recorder(), body=body, actor=STAFF, in_ack=False)
    )
    assert call.code("note") == "C-2026-0007"


@pytest.mark.parametrize("value", [json.dumps({"code": "\x1b" * 499}), json.dumps({"code": {"a": 1}}), "x"])
def test_a_note_button_without_a_case_code_opens_nothing(value):
    client = Recorder()
    body = {"trigger_id": "T1", "channel": {"id": "D1"}, "actions": [{"value": value}]}
    notes.open_note_from_button(listener_turn(Recorder(), client, body=body, actor=STAFF, in_ack=False))
    assert client.calls == []
