"""The community resource directory, imported from CSV and kept current by admins."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import ResourceCategory, ResourceSector, WeeLevel
from models.errors import Message, NotFound, invalid_input_from
from models.resource import Resource
from models.schemas import ResourceInput
from models.text import words

REQUIRED_COLUMNS = ("name", "category", "sector")
OPTIONAL_COLUMNS = ("contact", "eligibility", "capacity", "has_mou", "wee_level")
# What counts as "yes" in the has_mou column, in either language (`resources.import.yes_words`).
TRUE_WORDS = frozenset(words("resources.import.yes_words"))


class ImportFailed(Exception):
    """Nothing was imported; `problems` lists (line number, message) for every bad row."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {text}" for line, text in problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def _enum_from(enum_cls, raw: str):  # type: ignore[no-untyped-def]
    """Accept a code (HOUSING) or its Korean or English label (주거, Housing)."""
    text = raw.strip()
    for member in enum_cls:
        if text.upper() == member.value.upper() or text in (member.label("ko"), member.label("en")):
            return member
    return text  # let validation report it


def parse_csv(text: str) -> list[ResourceInput]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise ImportFailed([(1, f"missing column(s): {', '.join(missing)}")])
    rows: list[ResourceInput] = []
    problems: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        try:
            rows.append(
                ResourceInput(
                    name=values["name"],
                    category=_enum_from(ResourceCategory, values["category"]),
                    sector=_enum_from(ResourceSector, values["sector"]),
                    contact=values.get("contact") or None,
                    eligibility=values.get("eligibility") or None,
                    capacity=values.get("capacity") or None,
                    has_mou=values.get("has_mou", "").lower() in TRUE_WORDS,
                    wee_level=_enum_from(WeeLevel, values["wee_level"]) if values.get("wee_level") else None,
                )
            )
        except ValidationError as exc:
            fields = invalid_input_from(exc).errors
            problems.append((line, "; ".join(f"{f}: {m.text('en')}" for f, m in fields.items())))
    if problems:
        raise ImportFailed(problems)
    return rows


def import_csv(db: Session, text: str, *, now: datetime) -> ImportReport:
    """All rows or none: a bad row is reported with its line number and nothing is written."""
    rows = parse_csv(text)
    created = updated = 0
    for data in rows:
        existing = db.scalar(
            select(Resource).where(Resource.name == data.name, Resource.category == data.category)
        )
        if existing is None:
            db.add(Resource(**data.model_dump(), last_verified_at=now, created_at=now))
            created += 1
        else:
            for field_name, value in data.model_dump().items():
                setattr(existing, field_name, value)
            existing.last_verified_at = now
            existing.active = True
            updated += 1
    db.flush()
    return ImportReport(created, updated)


def verify(db: Session, resource_id: int, *, now: datetime) -> Resource:
    resource = db.get(Resource, resource_id)
    if resource is None:
        raise NotFound(Message("resources.errors.no_resource"))
    resource.last_verified_at = now
    return resource


def by_category(db: Session, category: ResourceCategory | None = None) -> list[Resource]:
    query = select(Resource).where(Resource.active.is_(True)).order_by(Resource.category, Resource.name)
    if category is not None:
        query = query.where(Resource.category == category)
    return list(db.scalars(query))
