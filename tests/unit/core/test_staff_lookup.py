"""The staff lookup done before every ack (StaffLookup): one query per request, a member built again
only when its row changed, a connection per thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import StaffRole, Surface
from models.schemas import StaffInput
from models.services import staff
from models.services.context import Ctx
from models.services.staff import StaffLookup
from models.staff import StaffMember, Team


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_checks_the_database_on_every_request(migrated_database_url, backend: str) -> None:
    engine = make_engine(migrated_database_url(backend))
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        staff.add_staff(
            db, StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.SUPERVISOR, team="1팀")
        )
    lookup = StaffLookup(engine)
    try:
        member = lookup("UCM1")
        assert member is not None
        assert (member.display_name, member.role, member.team.name) == ("김복지", StaffRole.SUPERVISOR, "1팀")
        assert member.is_supervisor and member.team_id == member.team.id
        assert lookup("UNOBODY") is None
        with uow() as db:
            operator = Ctx(actor=staff.operator_actor("cli:test"), surface=Surface.CLI, now=datetime.now(UTC))
            staff.deactivate(db, operator, "UCM1")
        assert lookup("UCM1") is None  # refused from the very next request: nothing is cached
    finally:
        lookup.close()
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_builds_a_new_member_only_when_the_row_changed(
    migrated_database_url, backend: str
) -> None:
    engine = make_engine(migrated_database_url(backend))
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        staff.add_staff(
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
        )
    lookup = StaffLookup(engine)
    try:
        first = lookup("UCM1")
        assert first is not None and lookup("UCM1") is first  # the same row: the same member again
        with uow() as db:
            staff.add_staff(
                db,
                StaffInput(
                    slack_user_id="UCM2", display_name="박팀장", role=StaffRole.SUPERVISOR, team="2팀"
                ),
            )
            member = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "UCM1"))
            assert member is not None
            member.role, member.locale = StaffRole.SUPERVISOR, "en"
        changed = lookup("UCM1")
        assert changed is not first and changed is not None
        assert (changed.role, changed.locale, first.role) == (
            StaffRole.SUPERVISOR,
            "en",
            StaffRole.CASE_MANAGER,
        )
        with uow() as db:  # a change of the team alone is a changed row too
            team = db.scalar(select(Team).where(Team.name == "1팀"))
            assert team is not None
            team.name = "통합사례관리팀"
        renamed = lookup("UCM1")
        assert renamed is not None and renamed is not changed and renamed.team.name == "통합사례관리팀"
        assert lookup("UCM2") is not None and lookup("UCM2").display_name == "박팀장"  # type: ignore[union-attr]
        if backend == "postgresql":  # the lookup's own connection holds no transaction open between requests
            pid = lookup._connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as admin:
                state = admin.exec_driver_sql(
                    f"SELECT state FROM pg_stat_activity WHERE pid = {pid}"
                ).scalar()
            assert state == "idle"
    finally:
        lookup.close()
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lookup_keeps_a_connection_per_thread_and_replaces_a_broken_one(
    migrated_database_url, backend: str
) -> None:
    engine = make_engine(migrated_database_url(backend))
    with UnitOfWork(make_session_factory(engine))() as db:
        staff.add_staff(
            db,
            StaffInput(slack_user_id="UCM1", display_name="김복지", role=StaffRole.CASE_MANAGER, team="1팀"),
        )
    lookup = StaffLookup(engine)
    try:
        assert lookup("UCM1") is not None
        kept = lookup._connection()
        assert lookup("UCM1") is not None and lookup._connection() is kept  # no checkout per request
        assert engine.pool.checkedout() == 0  # the app's pool lends the lookup nothing

        other: list[Any] = []
        worker = threading.Thread(target=lambda: other.extend([lookup("UCM1"), lookup._connection()]))
        worker.start()
        worker.join()
        assert other[0] is not None and other[1] is not kept  # each thread its own connection

        # The connection dies under the lookup (a database restart): the next request still gets its answer.
        if backend == "postgresql":
            with engine.connect() as admin:
                pid = kept.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        else:
            kept.connection.dbapi_connection.close()
        member = lookup("UCM1")
        assert member is not None and member.slack_user_id == "UCM1"
        assert lookup._connection() is not kept
    finally:
        lookup.close()
        engine.dispose()
