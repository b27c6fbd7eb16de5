"""Hypothesis strategies for what Slack could send a modal, and much that it never should.

Every input's value is drawn from the view the app really opened: a plausible value (an offered option,
a date near today, a registered user, the case code at hand) often enough that submissions succeed, and
otherwise junk: arbitrary text in Korean, emoji, control characters, overlong, wrong JSON types, options
that were never offered, dates that do not exist, elements of the wrong type, missing keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

# ------------------------------------------------------------------------------------------- text

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
JAMO = st.characters(min_codepoint=0x3131, max_codepoint=0x318E)
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
CONTROL = st.characters(max_codepoint=0x1F) | st.just("\x7f")
ODD = st.sampled_from(
    [
        "\u200d",  # zero-width joiner
        "\ufe0f",  # variation selector
        "\u202e",  # right-to-left override
        "\u3000",  # ideographic space
        "\u0301",  # combining accent
        "\ufeff",  # byte-order mark
        "Ａ",  # full-width (NFKC folds it)
        "\U000e0001",  # language tag
    ]
)
# Lone surrogates (category Cs) are left out: a JSON body Slack sends is valid UTF-8.
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
CHARS = HANGUL | JAMO | EMOJI | CONTROL | ODD | ANY_CHAR | st.sampled_from(" \n\t-/.,:{}%<>@#'\"\\")

SPECIAL_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\n\n",
        "\u3000\u3000",
        "900101-1234567",  # looks like a resident registration number (refused by the core)
        "주민번호 9001011234567",
        "010-1234-5678",
        "someone@example.org",
        "홍길동 👨‍👩‍👧‍👦 🇰🇷",
        "{code}",
        "{0}{}",
        "%s %d",
        "'; DROP TABLE cases; --",
        "<!channel> <@U0001> <#C0001>",
        "null",
        "[]",
        '{"code": "C-2026-0001"}',
        "\x00",
        "a\x00b",
        "9" * 400,
        "-1",
        "1e309",
        "NaN",
        "C-2026-0001",
        "c-2026-0001 ",
    ]
)


def long_text(min_size: int = 100, max_size: int = 5000) -> SearchStrategy[str]:
    """Overlong text built by repetition: cheap to generate, well past Slack's 3,000-character inputs."""
    return st.tuples(st.text(CHARS, min_size=1, max_size=8), st.integers(min_size, max_size)).map(
        lambda pair: (pair[0] * pair[1])[: pair[1]]
    )


def arbitrary_text(max_size: int = 60) -> SearchStrategy[str]:
    return st.one_of(
        st.text(CHARS, max_size=max_size),
        st.text(HANGUL | EMOJI | st.just(" "), min_size=1, max_size=max_size),
        SPECIAL_TEXT,
        long_text(),
    )


KOREAN_WORDS = st.lists(
    st.sampled_from(["가상", "상담", "주거비", "체납", "건강", "가족", "지원", "연계", "점검", "계획", "😊"]),
    min_size=1,
    max_size=6,
).map(" ".join)

# ------------------------------------------------------------------------------------------- JSON junk

SMALL_TEXT = st.text(CHARS, max_size=12)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SMALL_TEXT
)
JSON_JUNK = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(SMALL_TEXT, children, max_size=3),
    max_leaves=6,
)

# ------------------------------------------------------------------------------------------- values


def iso_dates(today: date) -> SearchStrategy[str]:
    """Mostly ahead (meetings, target dates), some behind (birth dates, contacts), a few far off."""
    near = st.integers(-30, 120) | st.integers(-30_000, 4_000)
    return near.map(lambda days: (today + timedelta(days=days)).isoformat())


BAD_DATES = st.sampled_from(
    [
        "2026-02-30",
        "2026-13-01",
        "0000-00-00",
        "0001-01-01",
        "9999-12-31",
        "31/12/2026",
        "2026-1-1",
        "",
        "오늘",
    ]
)
BAD_TIMES = st.sampled_from(["25:00", "12:60", "9:5", "12:00:00", "", "24:00", "오후 2시", "-1:00"])
TIMES = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}")
SLACK_IDS = st.from_regex(r"\A[UWC][A-Z0-9]{1,12}\Z")


def _options(element: dict) -> list[str]:
    groups = [group.get("options") or [] for group in element.get("option_groups") or []]
    offered = [*(element.get("options") or []), *(o for group in groups for o in group)]
    return [str(o.get("value")) for o in offered if isinstance(o, dict)]


def _chosen(value: Any) -> dict:
    return {"value": value}


class Plausible:
    """What a person could really pick or type into this modal: the world's users, the case codes."""

    def __init__(
        self,
        today: date,
        users: Sequence[str],
        codes: Sequence[str],
        text: dict[str, Any],
        needed: Sequence[str] = (),
    ) -> None:
        self.today = today
        self.users = list(users)
        self.codes = list(codes)
        self.text = text  # block-id pattern → strategy of plausible typed text
        # Block-id patterns of inputs optional to Slack that the modal's rules ask for (a closure needs
        # the client told of it): "required only" fills them in too.
        self.needed = list(needed)

    def is_needed(self, block_id: str) -> bool:
        return any(re.search(pattern, block_id) for pattern in self.needed)

    def typed(self, block_id: str) -> SearchStrategy[str]:
        for pattern, strategy in self.text.items():
            if re.search(pattern, block_id):
                return strategy
        if re.search(r"(^|\.)(code|case_code)$", block_id) and self.codes:
            return st.sampled_from(self.codes)
        return KOREAN_WORDS


def element_state(block: dict, plausible: Plausible) -> SearchStrategy[Any]:
    """The state Slack would send for one input block's element."""
    element = block["element"]
    required = not block.get("optional", False)
    return _plausible(element.get("type"), block["block_id"], element, plausible, required=required)


def corrupt_state(element: dict) -> SearchStrategy[Any]:
    """Junk in place of an element's state: a wrong value, a wrong element, or the block left out."""
    return st.one_of(_junk(element.get("type"), element), _wrong_element(), st.just(MISSING))


MISSING = object()  # the block is absent from the state altogether


def _plausible(
    kind: Any, block_id: str, element: dict, plausible: Plausible, *, required: bool, keep: bool = False
) -> SearchStrategy[Any]:
    """A value a person could give: the modal's initial value first (Hypothesis shrinks towards it), then
    others; Slack sends no empty value for a required input, so only optional inputs may be left empty.
    `keep`: the input is left as the modal opened it."""

    def offer(initial: Any, others: SearchStrategy[Any]) -> SearchStrategy[Any]:
        given = initial not in (None, "", [])
        if keep:
            return st.just(initial if given else None)
        values = st.one_of(st.just(initial), others) if given else others
        return values if required else st.one_of(values, st.none())

    options = _options(element)
    if kind == "plain_text_input":
        text = offer(element.get("initial_value"), plausible.typed(block_id))
        return text.map(lambda v: {"type": kind, "value": v})
    if kind == "number_input":
        low, high = int(element.get("min_value", 0)), int(element.get("max_value", 100))
        number = offer(element.get("initial_value"), st.integers(low, high).map(str))
        return number.map(lambda n: {"type": kind, "value": n})
    if kind in ("static_select", "radio_buttons"):
        initial = (element.get("initial_option") or {}).get("value")
        chosen = offer(initial, st.sampled_from(options)) if options else st.none()
        return chosen.map(lambda c: {"type": kind, "selected_option": None if c is None else _chosen(c)})
    if kind in ("multi_static_select", "checkboxes"):
        initial = [o.get("value") for o in element.get("initial_options") or []]
        lists = (
            st.lists(st.sampled_from(options), unique=True, min_size=int(required))
            if options
            else st.just([])
        )
        picked = offer(initial, lists).map(lambda vs: vs or [])
        return picked.map(lambda vs: {"type": kind, "selected_options": [_chosen(v) for v in vs]})
    if kind == "datepicker":
        day = offer(element.get("initial_date"), iso_dates(plausible.today))
        return day.map(lambda d: {"type": kind, "selected_date": d})
    if kind == "timepicker":
        clock = offer(element.get("initial_time"), TIMES)
        return clock.map(lambda t: {"type": kind, "selected_time": t})
    if kind == "users_select":
        user = offer(element.get("initial_user"), st.sampled_from(plausible.users))
        return user.map(lambda u: {"type": kind, "selected_user": u})
    if kind == "multi_users_select":
        users = offer(
            element.get("initial_users"), st.lists(st.sampled_from(plausible.users), unique=True, max_size=3)
        )
        return users.map(lambda us: {"type": kind, "selected_users": us or []})
    if kind == "conversations_select":
        channel = offer(element.get("initial_conversation"), st.sampled_from(["C0001", "G0ABC123"]))
        return channel.map(lambda c: {"type": kind, "selected_conversation": c})
    return _wrong_element()


def _junk(kind: Any, element: dict) -> SearchStrategy[Any]:
    text = arbitrary_text()
    if kind == "plain_text_input":
        return (text | JSON_JUNK).map(lambda v: {"type": kind, "value": v})
    if kind == "number_input":
        numbers = (
            st.integers(-(2**70), 2**70).map(str)
            | st.sampled_from(["1.5", "-0", "1e3", " 7 ", "NaN", "", "٣", "０"])
            | text
        )
        return (numbers | JSON_JUNK).map(lambda v: {"type": kind, "value": v})
    if kind in ("static_select", "radio_buttons"):
        chosen = st.one_of(
            text.map(_chosen),
            JSON_JUNK.map(_chosen),
            st.just({}),
            JSON_JUNK,
        )
        return chosen.map(lambda c: {"type": kind, "selected_option": c})
    if kind in ("multi_static_select", "checkboxes"):
        options = _options(element) or ["x"]
        entries = st.lists(
            st.sampled_from(options).map(_chosen) | text.map(_chosen) | st.just({}), max_size=4
        )
        return (entries | JSON_JUNK).map(lambda vs: {"type": kind, "selected_options": vs})
    if kind == "datepicker":
        return (BAD_DATES | text | JSON_JUNK).map(lambda d: {"type": kind, "selected_date": d})
    if kind == "timepicker":
        return (BAD_TIMES | text | JSON_JUNK).map(lambda t: {"type": kind, "selected_time": t})
    if kind == "users_select":
        return (SLACK_IDS | text | JSON_JUNK).map(lambda u: {"type": kind, "selected_user": u})
    if kind == "multi_users_select":
        users = st.lists(SLACK_IDS | text, max_size=4) | JSON_JUNK
        return users.map(lambda us: {"type": kind, "selected_users": us})
    if kind == "conversations_select":
        return (SLACK_IDS | text | JSON_JUNK).map(lambda c: {"type": kind, "selected_conversation": c})
    return _wrong_element()


ELEMENT_TYPES = [
    "plain_text_input",
    "number_input",
    "static_select",
    "multi_static_select",
    "radio_buttons",
    "checkboxes",
    "datepicker",
    "timepicker",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "rich_text_input",
    "unknown_element",
]
ELEMENT_KEYS = [
    "value",
    "selected_option",
    "selected_options",
    "selected_date",
    "selected_time",
    "selected_user",
    "selected_users",
    "selected_conversation",
]


def _wrong_element() -> SearchStrategy[Any]:
    """An element of another type than the view has, with any value under any key; or not an element."""
    mismatched = st.fixed_dictionaries(
        {"type": st.sampled_from(ELEMENT_TYPES)},
        optional={key: JSON_JUNK | arbitrary_text() for key in ELEMENT_KEYS},
    )
    return mismatched | JSON_JUNK


def input_blocks(view: dict) -> list[dict]:
    return [
        b for b in view.get("blocks", []) if b.get("type") == "input" and isinstance(b.get("element"), dict)
    ]


# The elements of an actions block that hold a value (not buttons): Slack sends their state with the
# submission as it does an input's, but checks none of them (not even a required one): the app must.
PICKS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "radio_buttons",
        "checkboxes",
        "datepicker",
        "timepicker",
        "users_select",
        "multi_users_select",
        "conversations_select",
    }
)


def picked_elements(view: dict) -> list[tuple[str, dict]]:
    """(block id, element) for every select and picker in the view's actions blocks (a plan row's domain,
    target date, responsible party, goal, due date, service); a block without an id gets the one Slack
    would make up."""
    picked = []
    for number, block in enumerate(view.get("blocks", [])):
        if block.get("type") != "actions":
            continue
        block_id = block.get("block_id") or f"generated.{number}"
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") in PICKS and element.get("action_id"):
                picked.append((block_id, element))
    return picked


# How a submission is filled in: only what the modal requires (the rest as it opened: Slack's required
# inputs, the picks, and what `Plausible.needed` names), every input with something plausible, or
# plausible with a few blocks corrupted.
MINIMAL, TYPED, CORRUPTED = "required only", "as typed", "corrupted"


@st.composite
def state_values(draw: st.DrawFn, view: dict, plausible: Plausible, *, fill: str) -> dict:
    """`{block_id: {action_id: element}}` for the view's inputs and the selects and pickers of its actions
    blocks, filled in as `fill` says; corrupted ones have up to four inputs or picks holding junk or left
    out, and unknown blocks added.

    A pick is never required by Slack: "required only" picks every one (a row the app requires asks for
    its picks too; the rest are ignored with their row), "as typed" may leave any unpicked."""
    blocks = input_blocks(view)
    picks = picked_elements(view)
    keys = [(b["block_id"], b["element"].get("action_id", b["block_id"])) for b in blocks] + [
        (block_id, element["action_id"]) for block_id, element in picks
    ]
    corrupted = (
        draw(st.sets(st.sampled_from(keys), min_size=1, max_size=min(4, len(keys))))
        if fill == CORRUPTED and keys
        else set()
    )
    values: dict[str, Any] = {}

    def put(block_id: str, action_id: str, state: Any) -> None:
        if state is not MISSING:
            values.setdefault(block_id, {})[action_id] = state

    for block in blocks:
        block_id, element = block["block_id"], block["element"]
        action_id = element.get("action_id", block_id)
        if (block_id, action_id) in corrupted:
            state = draw(corrupt_state(element))
        elif fill == MINIMAL and block.get("optional", False) and not plausible.is_needed(block_id):
            state = draw(
                _plausible(element.get("type"), block_id, element, plausible, required=False, keep=True)
            )
        elif fill == MINIMAL:  # Slack's required inputs, and those the modal's rules ask for
            kind = element.get("type")
            state = draw(_plausible(kind, block_id, element, plausible, required=True))
        else:
            state = draw(element_state(block, plausible))
        put(block_id, action_id, state)
    for block_id, element in picks:
        action_id = element["action_id"]
        if (block_id, action_id) in corrupted:
            state = draw(corrupt_state(element))
        else:
            kind = element.get("type")
            state = draw(_plausible(kind, action_id, element, plausible, required=fill != TYPED))
        put(block_id, action_id, state)
    if fill != CORRUPTED:
        return values
    unknown = draw(
        st.dictionaries(SMALL_TEXT, st.dictionaries(SMALL_TEXT, _wrong_element(), max_size=1), max_size=2)
    )
    return {**unknown, **values}


# A whole `view.state` that is not shaped like Slack's: no values, values not a dict, actions not a dict.
MALFORMED_STATE = st.one_of(
    st.just({}),
    JSON_JUNK.map(lambda junk: {"values": junk}),
    st.dictionaries(SMALL_TEXT, JSON_JUNK, min_size=1, max_size=3).map(lambda v: {"values": v}),
    st.dictionaries(
        SMALL_TEXT, st.dictionaries(SMALL_TEXT, JSON_JUNK, max_size=2), min_size=1, max_size=2
    ).map(lambda v: {"values": v}),
    JSON_JUNK,
)


def metadata(real: str) -> SearchStrategy[tuple[str, bool]]:
    """(private_metadata, genuine): mostly the view's own, else junk text, other JSON, or its own keys
    with wrong values."""
    try:
        decoded = json.loads(real) if real else {}
    except ValueError:
        decoded = {}
    decoded = decoded if isinstance(decoded, dict) else {}
    names = list(decoded) or ["code"]
    wrong_values = st.dictionaries(st.sampled_from(names), JSON_JUNK | arbitrary_text(), min_size=1).map(
        lambda changes: json.dumps({**decoded, **changes})
    )
    junk = st.one_of(
        arbitrary_text(),
        JSON_JUNK.map(json.dumps),
        wrong_values,
        st.sampled_from(["{", "null", "[]", "0", '"x"', "{}", '{"code": null}']),
    )
    return st.one_of(st.just((real, True)), st.just((real, True)), junk.map(lambda m: (m, m == real)))


def action_values(keys: Sequence[str], plausible: SearchStrategy[dict]) -> SearchStrategy[Any]:
    """A button's `value`: the plausible JSON, the JSON with junk under its keys, or not JSON at all."""
    wrong = st.dictionaries(st.sampled_from(list(keys) or ["code"]), JSON_JUNK | arbitrary_text(), min_size=1)
    return st.one_of(
        plausible.map(json.dumps),
        wrong.map(json.dumps),
        JSON_JUNK.map(json.dumps),
        arbitrary_text(),
        st.none(),
    )
