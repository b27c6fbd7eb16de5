"""Engines and the unit of work. Services never commit; the unit of work around them does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from models.audit import record_refusal
from models.crypto import Keyring, attach
from models.errors import NotAllowed

# Records a refusal in the session it is given (the unit of work commits it).
RefusalRecorder = Callable[[Session, NotAllowed], None]


def make_engine(url: str, *, keyring: Keyring | None = None, **options: Any) -> Engine:
    """An engine for Casebot's database; with a keyring, tagged columns are encrypted at rest."""
    engine = _create(url, **options)
    attach(engine.dialect, keyring)
    return engine


def _create(url: str, **options: Any) -> Engine:
    # SQL parameters are client data: keep them out of exception messages and SQL logs.
    options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself: pysqlite's own transaction handling breaks SAVEPOINTs.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted content is overwritten, not left in free pages: the retention purge is final (R10).
            cursor.execute("PRAGMA secure_delete=ON")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # a read-only lookup (the staff check before an ack) must not queue for the lock
            # IMMEDIATE takes the write lock at the start and waits for it (the busy timeout). A plain
            # BEGIN that reads and then writes fails at once (SQLITE_BUSY) when another process (the
            # scheduler, a CLI command) wrote in between. SQLite serialises writers anyway.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False)


class UnitOfWork:
    """`with uow() as db:` commits on success and rolls back on error.

    A permission refusal rolls back whatever the request did, then records the refusal in the audit
    log in a transaction of its own, so that refusals are never lost with the rollback (R9). What
    records it is given (`on_refusal`); by default the access log row of `models.audit`.
    """

    def __init__(
        self, session_factory: Callable[[], Session], *, on_refusal: RefusalRecorder = record_refusal
    ) -> None:
        self.session_factory = session_factory
        self.on_refusal = on_refusal

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except NotAllowed as refusal:
            session.rollback()
            self._record_refusal(session, refusal)
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _record_refusal(self, session: Session, refusal: NotAllowed) -> None:
        self.on_refusal(session, refusal)
        session.commit()
