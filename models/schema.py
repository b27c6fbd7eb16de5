"""Alembic owns the schema: helpers to upgrade a database and to check that it is current."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine

from models.base import StrEnumType, UTCDateTime
from models.crypto import EncryptedText
from models.text import t

MIGRATIONS = Path(__file__).parent / "migrations"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Our column types are stored as plain VARCHAR and TIMESTAMP: migrations must not import them.
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def compare_type(
    context_: Any, inspected: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
):
    if isinstance(metadata_type, StrEnumType | UTCDateTime | EncryptedText):
        return context_.impl.compare_type(inspected, Column(metadata_column.name, metadata_type.impl))
    return None


class SchemaOutOfDate(Exception):
    pass


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run migrations in one transaction. On SQLite, batch mode alters a table by copying it and
    dropping the old one, which foreign keys referring to it would refuse: they are switched off for
    the migration (only possible outside a transaction) and checked before it commits."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                run(alembic_config(connection))
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"migration left {len(broken)} broken foreign key(s): {broken[:5]}"
                        )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_current(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        # Read in a terminal by whoever starts the bot, before any locale is known: both languages.
        raise SchemaOutOfDate(
            f"The database schema is {state}, but this Casebot needs {head}. "
            f"Run `casebot db upgrade` first. / {t('errors.schema_out_of_date', 'ko')}"
        )
