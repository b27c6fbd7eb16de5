"""Small Block Kit builders that respect Slack's limits, and a check for whole views.

Input block ids are the core's field names (e.g. `client.name`), so a field error from the core maps
straight onto the input it is about. Texts are cut to Slack's limits, so a long Korean or English
label can never make Slack refuse the view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, time
from typing import Any

Block = dict[str, Any]

# The value of a lone "yes" checkbox option.
YES = "yes"

LIMITS = {
    "title": 24,
    "submit": 24,
    "close": 24,
    "private_metadata": 3000,
    "callback_id": 255,
    "blocks_modal": 100,
    "blocks_home": 100,
    "blocks_message": 50,
    "section_text": 3000,
    "header": 150,
    "label": 2000,
    "hint": 2000,
    "placeholder": 150,
    "option_text": 75,
    "option_value": 150,
    "options": 100,
    "button_text": 75,
    "button_value": 2000,
    "context_elements": 10,
    "actions_elements": 25,
    "view_bytes": 250_000,
}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 3000) -> dict:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, LIMITS["header"])}


def section(text: str, *, block_id: str | None = None, accessory: dict | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text, LIMITS["section_text"])}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, 2000) for t in texts[: LIMITS["context_elements"]]]}


def divider() -> Block:
    return {"type": "divider"}


def option(label: str, value: str, description: str | None = None) -> dict:
    opt: dict = {"text": plain(label, LIMITS["option_text"]), "value": cut(value, LIMITS["option_value"])}
    if description:
        opt["description"] = plain(description, 75)
    return opt


def options(pairs: Iterable[tuple[str, str]]) -> list[dict]:
    return [option(label, value) for label, value in list(pairs)[: LIMITS["options"]]]


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> dict:
    element: dict = {"type": "button", "text": plain(text, LIMITS["button_text"]), "action_id": action_id}
    if value:
        if len(value) > LIMITS["button_value"]:
            raise ValueError("button value too long")
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: dict, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[: LIMITS["actions_elements"]]}
    if block_id:
        block["block_id"] = block_id
    return block


def _input(block_id: str, label: str, element: dict, *, optional: bool, hint: str | None) -> Block:
    element = {**element, "action_id": block_id}
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LIMITS["label"]),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LIMITS["hint"])
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    initial: str | None = None,
    max_length: int = 3000,
    placeholder: str | None = None,
    hint: str | None = None,
) -> Block:
    element: dict = {"type": "plain_text_input", "multiline": multiline, "max_length": min(max_length, 3000)}
    if initial:
        element["initial_value"] = cut(initial, element["max_length"])
    if placeholder:
        element["placeholder"] = plain(placeholder, LIMITS["placeholder"])
    return _input(block_id, label, element, optional=optional, hint=hint)


def number_input(
    block_id: str,
    label: str,
    *,
    minimum: int,
    maximum: int,
    optional: bool = False,
    initial: int | None = None,
    hint: str | None = None,
) -> Block:
    element: dict = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": str(minimum),
        "max_value": str(maximum),
    }
    if initial is not None:
        element["initial_value"] = str(initial)
    return _input(block_id, label, element, optional=optional, hint=hint)


def select(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    optional: bool = False,
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    opts = options(choices)
    element: dict = {"type": "static_select", "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def multi_select(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    optional: bool = False,
    initial: Sequence[str] = (),
    hint: str | None = None,
) -> Block:
    opts = options(choices)
    element: dict = {"type": "multi_static_select", "options": opts}
    chosen = [o for o in opts if o["value"] in set(initial)]
    if chosen:
        element["initial_options"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def radio(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    optional: bool = False,
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    opts = options(choices)[:10]
    element: dict = {"type": "radio_buttons", "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def checkboxes(
    block_id: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    optional: bool = True,
    initial: Sequence[str] = (),
    hint: str | None = None,
) -> Block:
    opts = options(choices)[:10]
    element: dict = {"type": "checkboxes", "options": opts}
    chosen = [o for o in opts if o["value"] in set(initial)]
    if chosen:
        element["initial_options"] = chosen
    return _input(block_id, label, element, optional=optional, hint=hint)


def users_input(
    block_id: str,
    label: str,
    *,
    multi: bool = False,
    initial: list[str] | str | None = None,
    optional: bool = False,
    hint: str | None = None,
    max_selected: int = 30,
) -> Block:
    """A people picker; the handler maps the Slack user ids it returns to staff members."""
    if multi:
        element: dict = {"type": "multi_users_select", "max_selected_items": max_selected}
        if initial:
            element["initial_users"] = list(initial)[:max_selected]
    else:
        element = {"type": "users_select"}
        if initial:
            element["initial_user"] = initial
    return _input(block_id, label, element, optional=optional, hint=hint)


def date_input(
    block_id: str, label: str, *, optional: bool = False, initial: date | None = None, hint: str | None = None
) -> Block:
    element: dict = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return _input(block_id, label, element, optional=optional, hint=hint)


def time_input(
    block_id: str,
    label: str,
    *,
    timezone: str,
    initial: time | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """A timepicker; Slack shows the time in `timezone`, and the bot reads it back in that zone."""
    element: dict = {"type": "timepicker", "timezone": timezone}
    if initial is not None:
        element["initial_time"] = initial.strftime("%H:%M")
    return _input(block_id, label, element, optional=optional, hint=hint)


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str = "",
    external_id: str | None = None,
) -> dict:
    view: dict = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, LIMITS["title"]),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, LIMITS["submit"])
    if close:
        view["close"] = plain(close, LIMITS["close"])
    if external_id:
        view["external_id"] = external_id
    check_view(view)
    return view


def size_of(payload: dict) -> int:
    """How many bytes Slack counts for a view or a part of one (its JSON, UTF-8)."""
    return len(json.dumps(payload, ensure_ascii=False).encode())


def check_view(view: dict) -> None:
    """Raise ValueError for anything Slack would refuse (slack-sdk does not check plain dicts)."""
    kind = view.get("type")
    problems = []
    limit = LIMITS["blocks_home"] if kind == "home" else LIMITS["blocks_modal"]
    if len(view["blocks"]) > limit:
        problems.append(f"{len(view['blocks'])} blocks > {limit}")
    if len(view.get("private_metadata", "")) > LIMITS["private_metadata"]:
        problems.append("private_metadata too long")
    if len(view.get("callback_id", "")) > LIMITS["callback_id"]:
        problems.append("callback_id too long")
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")
    has_inputs = any(b["type"] == "input" for b in view["blocks"])
    if kind == "modal" and has_inputs and "submit" not in view:
        problems.append("a modal with inputs needs a submit button")
    if size_of(view) > LIMITS["view_bytes"]:
        problems.append("view larger than 250 kB")
    if problems:
        raise ValueError("invalid view: " + "; ".join(problems))
