"""The case-conference modals read back: block ids, the submitted values turned into the core's inputs,
and the core's field errors mapped back to the row of the modal they are about (`cases.2.code` is the
third agenda row of the modal, whatever rows were left empty).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bot.views import conferences as views
from models.errors import InvalidInput, Message, invalid_input_from
from models.schemas import ConferenceCaseInput, ConferenceInput, OutcomeInput, RescheduleInput
from models.services import staff

CASE_FIELDS = ("code", "purpose", "question")
SCHEDULE_BLOCKS = [
    "conference_type",
    "scheduled_at",
    "scheduled_time",
    "duration_minutes",
    "slack_channel_id",
    "chair_id",
    "participant_ids",
    "externals",
    "pledge",
    "recurrence",
    "occurrences",
    *(f"cases.{row}.{name}" for row in range(views.CASE_ROWS) for name in CASE_FIELDS),
]
SCHEDULE_ALIASES = {"cases": "cases.0.code", "externals": "externals", "scheduled_at": "scheduled_at"}
AGENDA_BLOCKS = [f"cases.{row}.{name}" for row in range(views.ADD_ROWS) for name in CASE_FIELDS]
AGENDA_ALIASES = {"cases": "cases.0.code"}
ITEM_FIELDS = ("description", "owner_id", "owner_external", "due_date", "code")
RECORD_BLOCKS = [
    *(f"action_items.{row}.{name}" for row in range(views.ACTION_ROWS) for name in ITEM_FIELDS),
    "minutes_ref",
]
RESCHEDULE_BLOCKS = ["scheduled_at", "scheduled_time", "duration_minutes"]
CANCEL_BLOCKS = ["scope"]


def _message(key: str, **values: object) -> Message:
    return Message(key, **values)


class Rows:
    """Which modal row each list entry came from, so the core's `cases.1.code` finds its row again."""

    def __init__(self, prefix: str, rows: list[int]) -> None:
        self.prefix, self.rows = prefix, rows

    def to_blocks(self, errors: dict[str, Message]) -> dict[str, Message]:
        mapped: dict[str, Message] = {}
        for name, message in errors.items():
            parts = name.split(".")
            if parts[0] == self.prefix and len(parts) >= 2 and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.rows):
                    parts[1] = str(self.rows[index])
            mapped.setdefault(".".join(parts), message)
        return mapped


def _moment(form: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    day, clock = form.get("scheduled_at"), form.get("scheduled_time")
    if not day or not clock:
        return None
    try:
        picked_day = date.fromisoformat(day)
    except ValueError:  # Slack's pickers send ISO values; anything else is a field error, not a crash
        raise InvalidInput({"scheduled_at": _message("conferences.errors.bad_date")}) from None
    try:
        picked_time = time.fromisoformat(clock)
    except ValueError:
        raise InvalidInput({"scheduled_time": _message("conferences.errors.bad_time")}) from None
    return datetime.combine(picked_day, picked_time, tzinfo=zone)


def _time_errors(form: dict[str, Any]) -> dict[str, Message]:
    if form.get("scheduled_at") and not form.get("scheduled_time"):
        return {"scheduled_time": _message("conferences.errors.time_missing")}
    return {}


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what was not given, so that pydantic reports it as missing or uses the default."""
    return {key: value for key, value in values.items() if value is not None}


def _case_rows(form: dict[str, Any], count: int) -> tuple[list[dict[str, Any]], Rows]:
    rows = [row for row in range(count) if form.get(f"cases.{row}.code")]
    entries = [_present({name: form.get(f"cases.{row}.{name}") for name in CASE_FIELDS}) for row in rows]
    return entries, Rows("cases", rows)


def _externals(text: str | None) -> tuple[list[dict[str, Any]], dict[str, Message]]:
    """One member a line, "name / organisation" (a comma also separates)."""
    members: list[dict[str, Any]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace(",", "/").split("/", 1)]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return [], {"externals": _message("conferences.errors.external_line", line=number)}
        members.append({"name": parts[0], "organisation": parts[1]})
    return members, {}


def not_staff(mentions: str) -> Message:
    """Someone picked who is not staff: outside members are typed in their own field."""
    return _message("conferences.errors.not_staff_user", users=mentions)


# ------------------------------------------------------------------ scheduling


class ScheduleForm(BaseModel):
    """The modal's values; Slack users become staff ids in the unit of work."""

    data: ConferenceInput
    participant_users: list[str]
    chair_user: str | None
    case_rows: list[int]


def parse_schedule(form: dict[str, Any], zone: ZoneInfo) -> ScheduleForm:
    own = _time_errors(form)
    externals, external_errors = _externals(form.get("externals"))
    own.update(external_errors)
    pledged = views.YES in (form.get("pledge") or [])
    cases, rows = _case_rows(form, views.CASE_ROWS)
    values = {
        "conference_type": form.get("conference_type"),
        "scheduled_at": _moment(form, zone),
        "duration_minutes": form.get("duration_minutes"),
        "slack_channel_id": form.get("slack_channel_id"),
        "externals": [{**member, "confidentiality_pledge": pledged} for member in externals],
        "cases": cases,
        "recurrence": form.get("recurrence"),
        "occurrences": form.get("occurrences"),
    }
    try:
        data = ConferenceInput.model_validate(_present(values))
    except ValidationError as error:
        raise InvalidInput({**rows.to_blocks(invalid_input_from(error).errors), **own}) from None
    if own:
        raise InvalidInput(own)
    return ScheduleForm(
        data=data,
        participant_users=list(form.get("participant_ids") or []),
        chair_user=form.get("chair_id"),
        case_rows=rows.rows,
    )


# ------------------------------------------------------------------ agenda: add cases


class AddCasesForm(BaseModel):
    cases: list[ConferenceCaseInput]
    case_rows: list[int]


def parse_add_cases(form: dict[str, Any]) -> AddCasesForm:
    cases, rows = _case_rows(form, views.ADD_ROWS)
    if not cases:
        raise InvalidInput({"cases.0.code": _message("conferences.errors.case_code_missing")})
    try:
        return AddCasesForm(cases=[ConferenceCaseInput(**case) for case in cases], case_rows=rows.rows)
    except ValidationError as error:
        raise InvalidInput(rows.to_blocks(invalid_input_from(error).errors)) from None


# ------------------------------------------------------------------ reschedule and cancel


def parse_reschedule(form: dict[str, Any], zone: ZoneInfo) -> RescheduleInput:
    own = _time_errors(form)
    if own:
        raise InvalidInput(own)
    values = {"scheduled_at": _moment(form, zone), "duration_minutes": form.get("duration_minutes")}
    return RescheduleInput.model_validate(_present(values))


class CancelForm(BaseModel):
    following: bool = False


def parse_cancel(form: dict[str, Any]) -> CancelForm:
    return CancelForm(following=form.get("scope") == views.FOLLOWING)


# ------------------------------------------------------------------ record the outcome


class RecordForm(BaseModel):
    """The raw rows; owners are Slack users, resolved to staff in the unit of work."""

    decisions: list[tuple[int, str, str]]  # (agenda index, code, decision)
    items: list[tuple[int, dict[str, Any], str | None]]  # (modal row, values, owner's Slack id)
    minutes_ref: str | None

    def to_blocks(self, errors: dict[str, Message]) -> dict[str, Message]:
        """The core's `action_items.0.…` and `decisions.0` under the modal's rows they came from."""
        item_rows = Rows("action_items", [row for row, _, _ in self.items])
        decision_rows = Rows("decisions", [index for index, _, _ in self.decisions])
        return decision_rows.to_blocks(item_rows.to_blocks(errors))


def record_blocks(codes: list[str]) -> list[str]:
    return [*(f"decisions.{index}" for index in range(len(codes))), *RECORD_BLOCKS]


def parse_record(form: dict[str, Any], codes: list[str]) -> RecordForm:
    decisions = [
        (index, code, form[f"decisions.{index}"])
        for index, code in enumerate(codes)
        if form.get(f"decisions.{index}")
    ]
    items = []
    for row in range(views.ACTION_ROWS):
        p = f"action_items.{row}."
        if not form.get(p + "description"):
            continue
        values = _present(
            {
                "description": form.get(p + "description"),
                "owner_external": form.get(p + "owner_external"),
                "due_date": form.get(p + "due_date"),
                "code": form.get(p + "code"),
            }
        )
        items.append((row, values, form.get(p + "owner_id")))
    return RecordForm(decisions=decisions, items=items, minutes_ref=form.get("minutes_ref"))


def outcome_input(db: Session, form: RecordForm) -> OutcomeInput:
    """The core's input, owners resolved to staff ids (in the unit of work); errors by the core's rows."""
    items = []
    for index, (_, values, user) in enumerate(form.items):
        entry = dict(values)
        if user:
            entry["owner_id"] = staff.staff_ids_for(db, [user], f"action_items.{index}.owner_id", not_staff)[
                0
            ]
        items.append(entry)
    try:
        return OutcomeInput.model_validate(
            _present(
                {
                    "decisions": [{"code": code, "decision": text} for _, code, text in form.decisions],
                    "action_items": items,
                    "minutes_ref": form.minutes_ref,
                }
            )
        )
    except ValidationError as error:
        raise InvalidInput(invalid_input_from(error).errors) from None
