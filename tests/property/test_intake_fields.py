"""Every input the intake dialogue gained (issue 17), each given junk on its own: never a server error,
and a value the core must refuse (a resident registration number, text past its length, an option the
modal never offered) is a field error under that very input with nothing written; anything else is
either such an error or a whole, saved case.

test_modals.py submits the dialogue at random (a few inputs corrupted at a time); this goes through
each new input of the dialogue as it is after two household members and a second guardian were added,
so none of them is left to chance.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ids import View
from sandbox.slack.requests import new_view_id, view_submission
from tests.property.conftest import AUDIT_ONLY, SIGNING_SECRET, Bot, changed_tables
from tests.property.scenarios import MANAGER, _intake
from tests.property.strategies import EMOJI, HANGUL, JSON_JUNK, arbitrary_text, input_blocks

NEW_INPUTS = (
    "intake_route",
    "client.characteristics",
    "client.interpreter",
    "client.interpreter_language",
    "client.benefits",
    "client.housing_type",
    "crisis_flags",
    "consent_signer",
    "household.0.name",
    "household.0.relation",
    "household.0.age_band",
    "household.0.flags",
    "household.1.name",
    "household.1.relation",
    "guardians.0.name",
    "guardians.0.relationship_kind",
    "guardians.0.contact",
    "guardians.0.legal_standing",
    "guardians.0.flags",
    "guardians.1.name",
    "guardians.1.contact",
    "guardians.1.flags",
)
RRN = "900101-1234567"
SAVED = frozenset(
    {"cases", "clients", "consents", "guardians", "household_members", "case_code_counters"}
    | {"audit_log", "case_events", "processed_requests", "reminders"}
)
BASE = {
    "referral_source": "public_office",
    "client.name": "가상대상자",
    "confidentiality_notice_given": ["yes"],
    "consent_scopes": ["COLLECT_USE"],
    "refusal_notice": ["yes"],
    "household.0.relation": "자녀",
    "guardians.0.name": "가상보호자",
}


@pytest.fixture(scope="module")
def opened(bot: Bot) -> dict:
    return _intake(bot).views[-1]


def element_state(element: dict, value: object) -> dict:
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": value}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": None if value is None else {"value": value}}
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": [{"value": v} for v in value or []]}  # type: ignore[attr-defined]
    return {"type": kind, "selected_date": value}


def state_for(view: dict, values: dict, junk: tuple[str, object] | None = None) -> dict:
    state: dict = {}
    for block in input_blocks(view):
        block_id, element = block["block_id"], block["element"]
        entry = element_state(element, values.get(block_id))
        if junk is not None and junk[0] == block_id:
            entry = junk[1]  # type: ignore[assignment]
        state[block_id] = {element["action_id"]: entry}
    return state


def submit(bot: Bot, view: dict, state: dict):  # type: ignore[no-untyped-def]
    request = view_submission(
        SIGNING_SECRET,
        user_id=MANAGER,
        callback_id=View.INTAKE,
        state_values=state,
        private_metadata=view.get("private_metadata", ""),
        view_id=new_view_id(),
    )
    before = bot.counts()
    reply = bot.post(request)
    logged = bot.errors.take()
    assert reply.status == 200 and not logged, (reply, logged)
    return reply.json(), changed_tables(before, bot.counts())


def refusal(element: dict) -> list[object]:
    """Values the core must refuse in this input, as the element's state."""
    kind = element["type"]
    if kind == "plain_text_input":
        return [
            {"type": kind, "value": RRN},
            {"type": kind, "value": f"이웃 {RRN.replace('-', '')} 😊"},
            {"type": kind, "value": "가" * 5000},
        ]
    if kind in ("static_select", "radio_buttons"):
        return [{"type": kind, "selected_option": {"value": "never-offered ☃"}}]
    return [{"type": kind, "selected_options": [{"value": "never-offered ☃"}]}]


def test_the_base_submission_saves_a_whole_case(bot: Bot, opened: dict) -> None:
    body, changed = submit(bot, opened, state_for(opened, BASE))
    assert body.get("response_action") == "update", body
    assert set(changed) <= SAVED and changed["household_members"] == 1 and changed["guardians"] == 1


@pytest.mark.parametrize("block_id", NEW_INPUTS)
def test_a_value_the_core_refuses_is_an_error_under_that_input_with_nothing_written(
    bot: Bot, opened: dict, block_id: str
) -> None:
    [block] = [b for b in input_blocks(opened) if b["block_id"] == block_id]
    for bad in refusal(block["element"]):
        if block_id == "client.interpreter" or (
            block_id.endswith(".flags") and block["element"]["type"] == "checkboxes"
        ):
            # A tick box's option never offered is simply not ticked (it reads as "no"): no error needed.
            body, changed = submit(bot, opened, state_for(opened, BASE, (block_id, bad)))
            assert body.get("response_action") in ("errors", "update"), body
            assert set(changed) <= (SAVED if body.get("response_action") == "update" else AUDIT_ONLY)
            continue
        body, changed = submit(bot, opened, state_for(opened, BASE, (block_id, bad)))
        assert body.get("response_action") == "errors", (block_id, bad, body)
        assert block_id in body["errors"], (block_id, body["errors"])
        blocks = {b["block_id"] for b in input_blocks(opened)}
        assert set(body["errors"]) <= blocks
        assert set(changed) <= AUDIT_ONLY, changed


@given(data=st.data())
def test_junk_in_any_new_input_is_a_field_error_or_a_whole_case(bot: Bot, opened: dict, data) -> None:
    block_id = data.draw(st.sampled_from(NEW_INPUTS), label="input")
    [block] = [b for b in input_blocks(opened) if b["block_id"] == block_id]
    kind = block["element"]["type"]
    text = st.one_of(arbitrary_text(), st.text(HANGUL | EMOJI, min_size=1, max_size=120))
    if kind == "plain_text_input":
        junk = st.one_of(text, JSON_JUNK).map(lambda v: {"type": kind, "value": v})
    elif kind in ("static_select", "radio_buttons"):
        junk = st.one_of(text.map(lambda v: {"value": v}), JSON_JUNK).map(
            lambda c: {"type": kind, "selected_option": c}
        )
    else:
        junk = st.one_of(st.lists(text.map(lambda v: {"value": v}), max_size=3), JSON_JUNK).map(
            lambda vs: {"type": kind, "selected_options": vs}
        )
    body, changed = submit(bot, opened, state_for(opened, BASE, (block_id, data.draw(junk, label="junk"))))
    if body.get("response_action") == "errors":
        errors = body["errors"]
        assert errors and all(isinstance(m, str) and 0 < len(m) <= 2000 for m in errors.values())
        assert set(errors) <= {b["block_id"] for b in input_blocks(opened)}, errors
        assert set(changed) <= AUDIT_ONLY, changed
    else:
        assert body.get("response_action") == "update", body
        assert set(changed) <= SAVED and changed.get("cases") == 1, changed
