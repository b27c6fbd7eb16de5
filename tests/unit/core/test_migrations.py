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
