"""Domain errors. Each carries a catalog key and its parameters (`Message`); every surface shows it in
its reader's language through the catalogs (models/text.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from models.text import t


class Message:
    """A catalog key and its parameters; the text is looked up in the reader's language when shown.

    Parameters are rendered per language too: an enum member by its label, a nested `Message` by its
    text, a list or tuple as its items joined by ", ". `{x:lower}` in a catalog text lowercases `x`.
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params

    def text(self, locale: str = "ko") -> str:
        return t(self.key, locale, **{name: _render(value, locale) for name, value in self.params.items()})

    @property
    def ko(self) -> str:
        return self.text("ko")

    @property
    def en(self) -> str:
        return self.text("en")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.params!r})"


class _Rendered(str):
    """A rendered parameter; the format spec `lower` lowercases it (English lists of role names)."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return self.lower() if spec == "lower" else super().__format__(spec)


def _render(value: object, locale: str) -> object:
    if isinstance(value, Message):
        return _Rendered(value.text(locale))
    label = getattr(value, "label", None)
    if callable(label):
        return _Rendered(label(locale))
    if isinstance(value, list | tuple):
        return _Rendered(", ".join(str(_render(item, locale)) for item in value))
    return value


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: Message) -> None:
        super().__init__(message.text("en"))
        self.message = message

    def text(self, locale: str = "ko") -> str:
        return self.message.text(locale)


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """A permission refusal. The unit of work records it in the audit log after rolling back, dated
    `at`: the moment of the request that was refused (its `Ctx.now`)."""

    code = "not_allowed"

    def __init__(
        self,
        message: Message,
        *,
        at: datetime,
        actor_id: int | None = None,
        actor_ref: str | None = None,
        case_id: int | None = None,
        case_code: str | None = None,
        surface: str = "system",
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.at = at
        self.actor_id = actor_id
        self.actor_ref = actor_ref
        self.case_id = case_id
        self.case_code = case_code
        self.surface = surface
        self.detail = detail


class RuleViolation(DomainError):
    """A refused transition; `rule` names the practice or privacy rule (e.g. "R2", "PLAN_NEEDS_ASSESSMENT")."""

    code = "rule_violation"

    def __init__(self, rule: str, message: Message) -> None:
        super().__init__(Message("errors.rule_violation", rule=rule, message=message))
        self.rule = rule


class InvalidInput(DomainError):
    """Field-level problems, keyed by the input's field name (which is also its Slack block_id)."""

    code = "invalid_input"

    def __init__(self, errors: dict[str, Message]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first)
        self.errors = errors

    def field_texts(self, locale: str = "ko") -> dict[str, str]:
        return {field: message.text(locale) for field, message in self.errors.items()}


# pydantic error types with a text of their own (`errors.input.<type>`); any other is `errors.input.other`.
_PYDANTIC_TYPES = frozenset(
    {
        "missing",
        "string_too_short",
        "string_too_long",
        "int_parsing",
        "date_from_datetime_parsing",
        "date_parsing",
        "enum",
        "greater_than_equal",
        "less_than_equal",
        "too_short",
    }
)


def invalid_input_from(error: ValidationError) -> InvalidInput:
    """Turn a pydantic error into field messages; our own validators already speak both languages."""
    errors: dict[str, Message] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "form"
        if field in errors:
            continue
        ctx_error = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_error, BilingualValueError):
            # A rule over several fields names the field it is about (the Slack block id too).
            # `p != ""`, not `if p`: a list index 0 is falsy but names the first row (`action_items.0.x`).
            parts = (str(p) for p in (*item["loc"], ctx_error.field) if p != "")
            key = ".".join(parts) if ctx_error.field else field
            errors.setdefault(key, ctx_error.message)
            continue
        kind = item["type"] if item["type"] in _PYDANTIC_TYPES else "other"
        errors[field] = Message(f"errors.input.{kind}")
    return InvalidInput(errors)


class BilingualValueError(ValueError):
    """Raised inside pydantic validators so that the field message is a catalog key (both languages).

    `BilingualValueError("intake.errors.x", field="y", n=3)`, or a `Message` made beforehand."""

    def __init__(self, message: Message | str, *, field: str | None = None, **params: object) -> None:
        self.message = message if isinstance(message, Message) else Message(message, **params)
        super().__init__(self.message.text("en"))
        self.field = field
