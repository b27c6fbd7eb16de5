"""Alembic environment: the URL comes from the caller (casebot db ...) or DATABASE_URL."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

import models
from models.base import StrEnumType, UTCDateTime

config = context.config
target_metadata = models.Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Our column types are stored as plain VARCHAR and TIMESTAMP: migrations must not import them.
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(
    context_: Any, inspected: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
):
    if isinstance(metadata_type, StrEnumType | UTCDateTime):
        return context_.impl.compare_type(inspected, metadata_column.copy(type_=metadata_type.impl))
    return None


def _options() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        "compare_type": compare_type,
        "render_as_batch": True,  # SQLite needs batch mode for ALTERs
    }


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite:///casebot.sqlite3"
    )
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
