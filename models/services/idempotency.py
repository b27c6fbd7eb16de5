"""Do a piece of work once per request key, however often Slack delivers the request."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import UnitOfWork
from models.idempotency import ProcessedRequest

Result = dict[str, object]


def remembered(db: Session, key: str) -> Result | None:
    row = db.scalar(select(ProcessedRequest).where(ProcessedRequest.key == key))
    return row.result if row is not None else None


def once(uow: UnitOfWork, key: str, work: Callable[[Session], Result]) -> tuple[Result, bool]:
    """(result, first_time). The work and the key commit together, so a crash leaves neither.

    Two deliveries racing each other: both may run the work, but the key is unique, so only one commit
    succeeds; the loser's transaction (its records included) is rolled back and it returns the
    winner's result.
    """
    with uow() as db:
        previous = remembered(db, key)
        if previous is not None:
            return previous, False
    try:
        with uow() as db:
            result = work(db)
            db.add(ProcessedRequest(key=key, result=result))
            db.flush()
        return result, True
    except IntegrityError:
        with uow() as db:
            previous = remembered(db, key)
        if previous is None:
            raise
        return previous, False
