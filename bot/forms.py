"""Reading a submitted view's state, and turning the core's field errors into Slack's `errors`."""

from __future__ import annotations

from typing import Any

from models.errors import InvalidInput


def read_state(view: dict) -> dict[str, Any]:
    """{block_id: value} for every input: text, number, select(s), radio, checkboxes, pickers."""
    values: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for element in actions.values():
            values[block_id] = _value(element)
    return values


def _value(element: dict) -> Any:
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        value = element.get("value")
        return value.strip() if isinstance(value, str) and value.strip() else None
    if kind in ("static_select", "radio_buttons", "external_select"):
        chosen = element.get("selected_option")
        return chosen["value"] if chosen else None
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind == "datetimepicker":
        return element.get("selected_date_time")
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    return element.get("value")


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
