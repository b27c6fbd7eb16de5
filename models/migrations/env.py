"""Alembic environment: the URL comes from the caller (casebot db ...) or DATABASE_URL."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

import models
from models.schema import compare_type, render_item

config = context.config
target_metadata = models.Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # APScheduler creates and owns its job store table; it is not part of Casebot's models.
    return not (type_ == "table" and name == "apscheduler_jobs")


def _options() -> dict[str, Any]:
    return {
        "include_object": include_object,
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
