"""Migration 0009 fills the stored stage, next step and their window of existing cases as the services
would have stored them (its SQL mirrors `lifecycle.derive` and `lifecycle.state_window`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import schema
from models.case import Case
from models.db import make_engine
from models.services.context import Policy
from models.services.lifecycle import CaseState, derive, snapshot, state_window
from tests.conftest import TEST_KEYRING
from tests.factories import make_world
from tests.unit.core.test_stored_state import cases_in_every_stage

STORED = (Case.code, Case.stage, Case.next_step, Case.state_valid_from, Case.state_valid_until)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_upgrade_stores_what_the_services_store(empty_database_url, backend_name, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Asia/Seoul")  # the zone of the services' default policy
    engine = make_engine(empty_database_url(backend_name), keyring=TEST_KEYRING)
    try:
        schema.upgrade(engine)
        # Today, so that the migration (which works on the real date) sees the consents as the services did.
        now = datetime.now(UTC)
        with Session(engine) as db:
            world = make_world(db)
            cases_in_every_stage(db, world, now=now)
            db.commit()
            by_services = {row.code: tuple(row) for row in db.execute(select(*STORED))}
        assert all(row[1] is not None for row in by_services.values())

        schema.downgrade(engine, "0008")
        schema.upgrade(engine)

        with Session(engine) as db:
            by_migration = {row.code: tuple(row) for row in db.execute(select(*STORED))}
            assert by_migration == by_services
            today = now.astimezone(Policy().zone).date()
            for case in db.scalars(select(Case)):
                snap = snapshot(db, case)
                assert CaseState(case.stage, case.next_step) == derive(snap, today)
                assert (case.state_valid_from, case.state_valid_until) == state_window(snap, today)
    finally:
        engine.dispose()
