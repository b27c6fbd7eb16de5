"""Reading a submitted view's state, and turning the core's field errors into Slack's `errors`."""

from __future__ import annotations

from typing import Any

from models.errors import InvalidInput


def read_state(view: dict) -> dict[str, Any]:
    """{block_id: value} for every input: text, number, select(s), radio, checkboxes, pickers.

    Values are only ever a string, None or a list of strings (a datetimepicker's timestamp: an int),
    whatever the payload holds: a malformed or forged state reads as empty inputs (which the form's
    validation then reports), never as an exception in a handler.
    """
    values: dict[str, Any] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    if not isinstance(blocks, dict):
        return values
    for block_id, actions in blocks.items():
        if not isinstance(actions, dict):
            continue
        for element in actions.values():
            if isinstance(element, dict):
                values[block_id] = _value(element)
    return values


def read_elements(view: dict) -> dict[str, Any]:
    """{action_id: value} for every element, for blocks that hold several (an actions block's selects and
    date pickers); read like `read_state`."""
    values: dict[str, Any] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    if not isinstance(blocks, dict):
        return values
    for actions in blocks.values():
        if not isinstance(actions, dict):
            continue
        for action_id, element in actions.items():
            if isinstance(element, dict) and isinstance(action_id, str):
                values[action_id] = _value(element)
    return values


def _text(value: Any) -> str | None:
    # NUL never comes from a person typing, and PostgreSQL refuses it in any text (a "could not save").
    text = value.replace("\x00", "").strip() if isinstance(value, str) else ""
    return text or None


def _option(chosen: Any) -> str | None:
    return _text(chosen.get("value")) if isinstance(chosen, dict) else None


def _strings(items: Any) -> list[str]:
    texts = [_text(item) for item in items] if isinstance(items, list) else []
    return [text for text in texts if text is not None]


def _value(element: dict) -> Any:
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        return _text(element.get("value"))
    if kind in ("static_select", "radio_buttons", "external_select"):
        return _option(element.get("selected_option"))
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        options = element.get("selected_options")
        chosen = [_option(o) for o in options] if isinstance(options, list) else []
        return [value for value in chosen if value is not None]
    if kind == "datepicker":
        return _text(element.get("selected_date"))
    if kind == "timepicker":
        return _text(element.get("selected_time"))
    if kind == "datetimepicker":
        moment = element.get("selected_date_time")
        return moment if isinstance(moment, int) and not isinstance(moment, bool) else None
    if kind == "users_select":
        return _text(element.get("selected_user"))
    if kind == "multi_users_select":
        return _strings(element.get("selected_users"))
    if kind == "conversations_select":
        return _text(element.get("selected_conversation"))
    if kind == "channels_select":
        return _text(element.get("selected_channel"))
    return _text(element.get("value"))


def slack_errors(
    error: InvalidInput, locale: str, block_ids: list[str], aliases: dict[str, str] | None = None
) -> dict[str, str]:
    """Field errors keyed by the block they belong to.

    The core names fields (`client.name`, `consents.0.signer_relationship`); a field that is not a
    block of this view goes to its alias (the longest matching prefix), else to the first input, so
    the message is always shown.
    """
    aliases = aliases or {}
    errors: dict[str, str] = {}
    for field, message in error.errors.items():
        block = field if field in block_ids else None
        general = ".".join(
            part for part in field.split(".") if not part.isdigit()
        )  # consents.0.x → consents.x
        if block is None:
            for prefix in sorted(aliases, key=len, reverse=True):
                if general == prefix or general.startswith(prefix + "."):
                    block = aliases[prefix]
                    break
        block = block or block_ids[0]
        errors.setdefault(block, message.text(locale))
    return {block: text[:2000] for block, text in errors.items()}
