"""bot.metadata: what the app writes into Slack reads back the same; anything else reads as None."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.metadata import (
    MAX_ID,
    MAX_TEXT,
    ActionItemRef,
    AftercareRef,
    AgendaRequestRef,
    AssessmentStep,
    CaseInChannel,
    CaseRef,
    ChannelRef,
    ClosureDraft,
    ClosureRef,
    ClosureReturn,
    ConferenceRecord,
    ConferenceRef,
    ConsentForm,
    ConsentOpen,
    ConsentPick,
    FollowUpRef,
    HistoryPage,
    MessageRef,
    NoteMeta,
    PageRef,
    PlanAgreement,
    PlanReviewRef,
    PrintRequest,
    ReferFrom,
    ReferralMove,
    ReferralOutcome,
    ResourceRef,
    SlackValue,
    Snooze,
    StatsMonth,
    TaskPick,
    WorkerRef,
    channel_ref,
    conversation_id,
    option_id,
)
from models.enums import ConsentMethod, ReferralStatus, TaskStatus
from models.services.case_file import Section
from models.services.forms import Form

CODE = "C-2026-0007"

# One value of every kind the app writes, as the views build them.
EXAMPLES: list[SlackValue] = [
    CaseRef(code=CODE),
    PageRef(page=0),
    ChannelRef(channel="C0001"),
    CaseInChannel(code=CODE),
    CaseInChannel(code=CODE, channel="D0ABC"),
    AssessmentStep(assessment_id=3, step=2, code=CODE),
    PlanAgreement(plan_id=5, code=CODE, method=ConsentMethod.VERBAL),
    PlanReviewRef(code=CODE, plan_id=5, goal_ids=[3, 4]),
    TaskPick(task_id=8, status=TaskStatus.IN_PROGRESS),
    ReferralMove(referral_id=9, to=ReferralStatus.IN_SERVICE),
    ReferFrom(code=CODE),
    ReferFrom(code=CODE, channel="C0001", check_id=4),
    ReferralOutcome(referral_id=9, to=ReferralStatus.DECLINED),
    ReferralOutcome(
        referral_id=9,
        to=ReferralStatus.ACKNOWLEDGED,
        message=MessageRef(channel="DUCM1", ts="1700000000.000100"),
    ),
    Snooze(reminder_id=4, days=7),
    ConsentOpen(code=CODE, renew=True),
    ConsentPick(code=CODE, consent_id=12),
    ConsentForm(code=CODE, renews=12),
    NoteMeta(code=CODE),
    NoteMeta(source=MessageRef(channel="C0042", ts="1790000000.000300")),
    ClosureRef(closure_id=MAX_ID),
    ResourceRef(resource_id=1),
    ClosureDraft(code=CODE, goals=[1, 2, 3]),
    ClosureDraft(code=CODE, goals=[]),
    ClosureReturn(closure_id=7),
    ClosureReturn(closure_id=7, message=MessageRef(channel="DUSUP", ts="1700000000.000100")),
    AftercareRef(code=CODE, check_id=11),
    ConferenceRef(conference_id=1),
    ConferenceRecord(conference_id=2, codes=[CODE, "SCH-2026-123456789"]),
    ActionItemRef(item_id=8),
    AgendaRequestRef(request_id=5),
    WorkerRef(worker=12),
    FollowUpRef(session_id=3, number=2),
    StatsMonth(month="2026-11"),
    HistoryPage(code=CODE, section=Section.NOTES),
    HistoryPage(code=CODE, section=Section.CLOSURE, page=3),
    PrintRequest(code=CODE, form=Form.PLAN),
]
MODELS: list[type[SlackValue]] = sorted({type(value) for value in EXAMPLES}, key=lambda m: m.__name__)


def test_every_kind_of_value_has_an_example():
    assert set(MODELS) == set(SlackValue.__subclasses__()) - {MessageRef}


@pytest.mark.parametrize("value", EXAMPLES, ids=repr)
def test_a_value_reads_back_as_written(value: SlackValue):
    text = value.dump()
    assert type(value).read(text) == value
    assert " " not in text and "null" not in text  # compact, and no field left empty
    assert len(text) <= 2000  # fits a button's value, the smaller of Slack's two limits


def test_the_wire_format_is_plain_json_with_the_field_names():
    assert json.loads(CaseRef(code=CODE).dump()) == {"code": CODE}
    assert json.loads(ReferralMove(referral_id=9, to=ReferralStatus.SENT).dump()) == {
        "referral_id": 9,
        "to": "SENT",
    }
    assert json.loads(ClosureReturn(closure_id=7).dump()) == {"closure_id": 7}
    assert NoteMeta(code=CODE).dump() == '{"code":"C-2026-0007"}'


@pytest.mark.parametrize(
    ("model", "sent"),
    [
        (CaseRef, {"code": CODE}),
        (ClosureRef, {"closure_id": 12}),
        (PageRef, {"page": 1}),
        (PlanAgreement, {"plan_id": 5, "code": CODE, "method": "VERBAL"}),
        (TaskPick, {"task_id": 8, "status": "DONE"}),
        (ReferralMove, {"referral_id": 9, "to": "SENT"}),
        (Snooze, {"reminder_id": 4, "days": 1}),
        (CaseInChannel, {"code": CODE, "channel": "C0001"}),
        (NoteMeta, {"source": {"channel": "C0042", "ts": "1790000000.000300"}}),
    ],
)
def test_json_as_the_tests_and_older_messages_write_it_still_reads(model, sent):
    """`json.dumps` with its default separators (spaces), as buttons already posted in Slack carry."""
    read = model.read(json.dumps(sent))
    assert read is not None and json.loads(read.dump()) == sent


JUNK_TEXT = [
    *(None, "", "not json", "[1]", "3", '"x"', "null", "{", "{}", '{"a": 1}', 7, {"code": CODE}, b"{}"),
    *("\ud800", '{"code": "\ud800"}', "[" * 2000 + "]" * 2000),  # a lone surrogate, deep nesting
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("text", JUNK_TEXT, ids=repr)
def test_junk_reads_as_none(model: type[SlackValue], text: Any):
    if model is NoteMeta and text == "{}":
        assert model.read(text) == NoteMeta()  # a note modal with neither: the case is chosen in it
    else:
        assert model.read(text) is None


@pytest.mark.parametrize(
    ("model", "forged"),
    [
        # ids: only 1 .. 2**31-1, only JSON numbers (not strings, booleans or floats)
        (ClosureRef, {"closure_id": 0}),
        (ClosureRef, {"closure_id": -1}),
        (ClosureRef, {"closure_id": MAX_ID + 1}),
        (ClosureRef, {"closure_id": 2**70}),
        (ClosureRef, {"closure_id": "7"}),
        (ClosureRef, {"closure_id": True}),
        (ClosureRef, {"closure_id": 7.0}),
        (ClosureRef, {"closure_id": None}),
        (ClosureRef, {"closure_id": [7]}),
        (PageRef, {"page": -1}),
        (ClosureDraft, {"code": CODE, "goals": [1, "2", None]}),
        (ClosureDraft, {"code": CODE, "goals": 5}),
        (ClosureDraft, {"code": CODE, "goals": [1] * 201}),
        # case codes: the shape the app gives them, upper case, nothing around it
        (CaseRef, {"code": "c-2026-0007"}),
        (CaseRef, {"code": " C-2026-0007"}),
        (CaseRef, {"code": "C-2026-0007\n"}),
        (CaseRef, {"code": "C-2026-0007\x00"}),
        (CaseRef, {"code": "010-1234-5678"}),
        (CaseRef, {"code": "가나다"}),
        (CaseRef, {"code": "\x1b" * 499}),
        (CaseRef, {"code": {"a": 1}}),
        (CaseRef, {"code": 7}),
        (ConferenceRecord, {"conference_id": "x", "codes": 5}),
        (ConferenceRecord, {"conference_id": 2, "codes": [CODE, 7]}),
        # conversations and messages
        (ChannelRef, {"channel": "900101-1234567"}),
        (ChannelRef, {"channel": "C"}),
        (ChannelRef, {"channel": "c0001"}),
        (ChannelRef, {"channel": "C0001 "}),
        (ChannelRef, {"channel": "U0001"}),
        (ChannelRef, {"channel": {"id": "C1"}}),
        (ClosureReturn, {"closure_id": 7, "message": {"channel": "DUSUP", "ts": "soon"}}),
        (NoteMeta, {"source": {"channel": "C0042"}}),
        (NoteMeta, {"source": "C0042/1790000000.000300"}),
        # enums, and numbers out of what the app offers
        (ReferralMove, {"referral_id": 9, "to": "SHIPPED"}),
        (ReferralMove, {"referral_id": 9, "to": []}),
        (ReferralMove, {"to": "SENT"}),
        (PlanAgreement, {"plan_id": 5, "code": CODE, "method": {}}),
        (Snooze, {"reminder_id": 4, "days": 0}),
        (Snooze, {"reminder_id": 4, "days": 400}),
        (Snooze, {"reminder_id": 4, "days": "a"}),
        (AssessmentStep, {"assessment_id": 3, "step": -1, "code": CODE}),
        # a key more or less than the app writes
        (CaseRef, {"code": CODE, "admin": True}),
        (ConferenceRef, {"conference_id": 1, "codes": []}),
        (AftercareRef, {"code": CODE}),
    ],
)
def test_a_forged_or_stale_value_reads_as_none(model: type[SlackValue], forged: dict):
    assert model.read(json.dumps(forged)) is None


def test_overlong_text_reads_as_none_even_when_well_formed():
    padded = '{"code": "' + CODE + '"' + " " * MAX_TEXT + "}"
    assert json.loads(padded) == {"code": CODE} and CaseRef.read(padded) is None


def test_the_largest_values_fit_slack():
    """A closure with as many goals as it may have and an agenda of the longest codes fit 3000 characters."""
    assert len(ClosureDraft(code=CODE, goals=[MAX_ID] * 200).dump()) <= MAX_TEXT
    longest = "ABCDEFGHIJ-2026-123456789"
    assert len(ConferenceRecord(conference_id=MAX_ID, codes=[longest] * 100).dump()) <= MAX_TEXT


def test_a_view_cannot_write_what_it_could_not_read_back():
    with pytest.raises(ValueError):
        CaseRef(code="홍길동")
    with pytest.raises(ValueError):
        ClosureRef(closure_id=0)


def test_conversation_ids_and_channel_refs():
    assert conversation_id("C0001") == "C0001" and conversation_id("D0ABC") == "D0ABC"
    for junk in (None, "", "900101-1234567", "C", "c0001", {"id": "C1"}, "C0001 ", 7):
        assert conversation_id(junk) is None
        assert channel_ref(junk) == ""
    assert ChannelRef.read(channel_ref("G0001")) == ChannelRef(channel="G0001")


def test_a_message_is_named_only_by_a_channel_and_a_ts():
    assert MessageRef.of("C0042", "1790000000.000300") == MessageRef(channel="C0042", ts="1790000000.000300")
    for channel, ts in [("", "1.2"), ("C0042", ""), (None, None), ("C0042", 1.2), ("x", "1.2")]:
        assert MessageRef.of(channel, ts) is None


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({"value": "7"}, 7),
        ({"value": str(MAX_ID)}, MAX_ID),
        ({"value": "0"}, None),
        ({"value": "-1"}, None),
        ({"value": str(MAX_ID + 1)}, None),
        ({"value": "9" * 5000}, None),
        ({"value": " 7"}, None),
        ({"value": "a\x00b"}, None),
        ({"value": "가"}, None),
        ({"value": 7}, None),
        ({"value": [1]}, None),
        ({}, None),
        ("x", None),
        (None, None),
    ],
)
def test_record_ids_from_a_select_option(option: Any, expected: int | None):
    assert option_id(option) == expected


# ------------------------------------------------------------------------------------------ properties

CODES = st.from_regex(r"\A[A-Z]{1,10}-\d{4}-\d{4,9}\Z")
IDS = st.integers(1, MAX_ID)
CHANNELS = st.from_regex(r"\A[CDG][A-Z0-9]{2,31}\Z")
TS = st.from_regex(r"\A\d{1,12}\.\d{1,9}\Z")
MESSAGES = st.builds(MessageRef, channel=CHANNELS, ts=TS)
VALUES = st.one_of(
    st.builds(CaseRef, code=CODES),
    st.builds(PageRef, page=st.integers(0, MAX_ID)),
    st.builds(ChannelRef, channel=CHANNELS),
    st.builds(CaseInChannel, code=CODES, channel=st.none() | CHANNELS),
    st.builds(AssessmentStep, assessment_id=IDS, step=st.integers(0, 100), code=CODES),
    st.builds(PlanAgreement, plan_id=IDS, code=CODES, method=st.sampled_from(ConsentMethod)),
    st.builds(ReferralMove, referral_id=IDS, to=st.sampled_from(ReferralStatus)),
    st.builds(ReferFrom, code=CODES, channel=st.none() | CHANNELS, check_id=st.none() | IDS),
    st.builds(
        ReferralOutcome, referral_id=IDS, to=st.sampled_from(ReferralStatus), message=st.none() | MESSAGES
    ),
    st.builds(Snooze, reminder_id=IDS, days=st.integers(1, 30)),
    st.builds(NoteMeta, code=st.none() | CODES, source=st.none() | MESSAGES),
    st.builds(ClosureRef, closure_id=IDS),
    st.builds(ClosureDraft, code=CODES, goals=st.lists(IDS, max_size=20)),
    st.builds(ClosureReturn, closure_id=IDS, message=st.none() | MESSAGES),
    st.builds(AftercareRef, code=CODES, check_id=IDS),
    st.builds(ConferenceRef, conference_id=IDS),
    st.builds(ConferenceRecord, conference_id=IDS, codes=st.lists(CODES, max_size=20)),
    st.builds(ActionItemRef, item_id=IDS),
    st.builds(WorkerRef, worker=IDS),
    st.builds(FollowUpRef, session_id=IDS, number=st.integers(1, 20)),
    st.builds(StatsMonth, month=st.from_regex(r"\A20[0-9]{2}-(0[1-9]|1[0-2])\Z")),
)


@given(VALUES)
def test_any_value_the_app_can_write_reads_back(value: SlackValue):
    assert type(value).read(value.dump()) == value


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(model=st.sampled_from(MODELS), text=st.text(max_size=200) | st.binary(max_size=50) | JSON)
def test_any_text_or_object_reads_without_raising(model: type[SlackValue], text: Any):
    read = model.read(text)
    assert read is None or model.read(read.dump()) == read


@given(data=st.data(), value=VALUES)
def test_a_written_value_with_one_field_changed_reads_as_none_or_as_a_valid_value(data, value: SlackValue):
    """Junk under the keys the app writes: read as None, or (when the junk happens to be a valid value
    of the field) as a value that is itself well formed."""
    decoded = json.loads(value.dump())
    key = data.draw(st.sampled_from(sorted(type(value).model_fields)), label="key")
    decoded[key] = data.draw(JSON, label="junk")
    read = type(value).read(json.dumps(decoded))
    assert read is None or type(value).read(read.dump()) == read


def test_no_view_or_listener_writes_or_reads_slack_values_by_hand() -> None:
    """Metadata and button values go through bot.metadata's models only (the size check of a whole
    view in bot/views/blocks.py is no Slack value)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    by_hand = []
    for path in [*sorted((root / "bot" / "views").glob("*.py")), *sorted((root / "handlers").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "json"
                and node.attr in ("dumps", "loads")
            ):
                by_hand.append(f"{path.relative_to(root)} json.{node.attr}")
    assert by_hand == ["bot/views/blocks.py json.dumps"]  # the whole view's size, once
