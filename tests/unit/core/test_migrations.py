"""Alembic owns the schema: it upgrades and downgrades cleanly and agrees with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import models
from models import schema
from models.db import make_engine
from models.schema import compare_type


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_upgrade_head_then_downgrade_base(empty_database_url, backend_name):
    engine = make_engine(empty_database_url(backend_name))
    try:
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(models.Base.metadata.tables) <= tables
        schema.downgrade(engine, "base")
        assert schema.current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        schema.upgrade(engine)  # and back again: the downgrade left nothing behind
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_models_and_migrations_agree(empty_database_url, backend_name):
    engine = make_engine(empty_database_url(backend_name))
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": compare_type, "target_metadata": models.Base.metadata}
            )
            differences = compare_metadata(context, models.Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_out_of_date_schema_is_refused_with_the_command_to_run(empty_database_url):
    engine = make_engine(empty_database_url("sqlite"))
    with pytest.raises(schema.SchemaOutOfDate, match="casebot db upgrade"):
        schema.ensure_current(engine)
    schema.upgrade(engine)
    schema.ensure_current(engine)  # no error once upgraded
    engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_a_database_with_cases_upgrades_and_downgrades(empty_database_url, backend_name):
    """SQLite alters tables by copying them: rows that other tables refer to must survive that."""
    from sqlalchemy import text

    engine = make_engine(empty_database_url(backend_name))
    rows = [
        "INSERT INTO teams (id, name, case_code_prefix, created_at) VALUES (1, 't', 'C', CURRENT_TIMESTAMP)",
        "INSERT INTO staff_members (id, slack_user_id, display_name, role, team_id, active, created_at) "
        "VALUES (1, 'U1', 'w', 'case_manager', 1, true, CURRENT_TIMESTAMP)",
        "INSERT INTO clients (id, name, birth_date, characteristics, interpreter_needed, under14, created_at) "
        "VALUES (1, '가상', '1970-05-01', '[]', false, false, CURRENT_TIMESTAMP)",
        "INSERT INTO cases (id, code, profile, status, crisis, restricted, client_id, team_id, case_manager_id, "
        "presenting_needs, confidentiality_notice_given, referred_at, episode, episode_started_at, updated_at) "
        "VALUES (1, 'C-2026-0001', 'welfare_centre', 'OPEN', false, false, 1, 1, 1, '[]', true, "
        "CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ]
    try:
        schema.upgrade(engine, "0004")
        with engine.begin() as connection:
            for row in rows:
                connection.execute(text(row))
        schema.upgrade(engine)
        joined = "SELECT c.code, k.name FROM cases c JOIN clients k ON k.id = c.client_id"
        with engine.connect() as connection:
            assert connection.execute(text(joined)).all() == [("C-2026-0001", "가상")]
        schema.downgrade(engine, "0004")  # and back: the same copy-and-drop in reverse
        with engine.connect() as connection:
            assert connection.execute(text(joined)).all() == [("C-2026-0001", "가상")]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_0010_downgrade_refuses_to_drop_after_care_history_that_repeats_a_date(
    empty_database_url, backend_name
):
    from sqlalchemy import text

    engine = make_engine(empty_database_url(backend_name))
    setup = [
        "INSERT INTO teams (id, name, case_code_prefix, created_at) VALUES (1, 't', 'C', CURRENT_TIMESTAMP)",
        "INSERT INTO staff_members (id, slack_user_id, display_name, role, team_id, active, created_at) "
        "VALUES (1, 'U1', 'w', 'case_manager', 1, true, CURRENT_TIMESTAMP)",
        "INSERT INTO clients (id, name, characteristics, interpreter_needed, under14, created_at) "
        "VALUES (1, '가상', '[]', false, false, CURRENT_TIMESTAMP)",
        "INSERT INTO cases (id, code, profile, status, crisis, restricted, client_id, team_id, case_manager_id, "
        "presenting_needs, confidentiality_notice_given, referred_at, episode, episode_started_at, updated_at) "
        "VALUES (1, 'C-2026-0001', 'welfare_centre', 'AFTERCARE', false, false, 1, 1, 1, '[]', true, "
        "CURRENT_TIMESTAMP, 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO aftercare_checks (id, case_id, due_on, cancelled, created_at) "
        "VALUES (1, 1, '2026-12-23', true, CURRENT_TIMESTAMP)",
        "INSERT INTO aftercare_checks (id, case_id, due_on, cancelled, created_at) "
        "VALUES (2, 1, '2026-12-23', false, CURRENT_TIMESTAMP)",
    ]
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            for row in setup:
                connection.execute(text(row))
        with pytest.raises(RuntimeError, match="share a due date"):
            schema.downgrade(engine, "0009")
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM aftercare_checks WHERE id = 1"))
        schema.downgrade(engine, "0009")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM aftercare_checks")).scalars().all() == [2]
    finally:
        engine.dispose()
