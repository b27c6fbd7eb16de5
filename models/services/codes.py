"""Case codes: `<prefix>-<year>-<sequence>`, a pseudonym that is never derived from client data."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.case import CaseCodeCounter


def format_code(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:04d}"


def next_case_code(db: Session, prefix: str, year: int) -> str:
    """Atomically take the next number: the UPDATE row lock serialises concurrent openings."""
    for _ in range(3):
        value = db.scalar(
            update(CaseCodeCounter)
            .where(CaseCodeCounter.prefix == prefix, CaseCodeCounter.year == year)
            .values(last_value=CaseCodeCounter.last_value + 1)
            .returning(CaseCodeCounter.last_value)
        )
        if value is not None:
            return format_code(prefix, year, value)
        try:
            with db.begin_nested():
                db.add(CaseCodeCounter(prefix=prefix, year=year, last_value=1))
            return format_code(prefix, year, 1)
        except IntegrityError:
            continue  # another transaction created the counter first: take the next value from it
    raise RuntimeError("could not allocate a case code")
