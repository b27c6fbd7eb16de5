"""Domain errors. Each carries its message in Korean and English, so every surface can show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError


@dataclass(frozen=True)
class Message:
    ko: str
    en: str

    def text(self, locale: str = "ko") -> str:
        return self.ko if locale == "ko" else self.en


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
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
        super().__init__(Message(f"[{rule}] {message.ko}", f"[{rule}] {message.en}"))
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


_PYDANTIC_KO = {
    "missing": "필수 입력 항목입니다.",
    "string_too_short": "내용을 입력해 주세요.",
    "string_too_long": "너무 깁니다. 더 짧게 입력해 주세요.",
    "int_parsing": "숫자를 입력해 주세요.",
    "date_from_datetime_parsing": "날짜 형식이 올바르지 않습니다 (YYYY-MM-DD).",
    "date_parsing": "날짜 형식이 올바르지 않습니다 (YYYY-MM-DD).",
    "enum": "목록에서 선택해 주세요.",
    "greater_than_equal": "값이 너무 작습니다.",
    "less_than_equal": "값이 너무 큽니다.",
    "too_short": "하나 이상 입력해 주세요.",
}


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
        ko = _PYDANTIC_KO.get(item["type"], "입력값을 확인해 주세요.")
        errors[field] = Message(ko, item["msg"])
    return InvalidInput(errors)


class BilingualValueError(ValueError):
    """Raised inside pydantic validators so that the field message is available in both languages."""

    def __init__(self, ko: str, en: str, *, field: str | None = None) -> None:
        super().__init__(en)
        self.message = Message(ko, en)
        self.field = field
