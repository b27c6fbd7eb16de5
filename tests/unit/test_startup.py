"""`casebot run`'s database checks: no key outside development, no key for encrypted data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.settings import load_settings
from casebot.server import StartupError, prepare_database
from models import schema
from models.db import UnitOfWork, make_engine, make_session_factory
from tests.conftest import TEST_KEY, TEST_KEYRING
from tests.factories import make_world


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, empty_database_url):
    url = empty_database_url(request.param)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def test_outside_development_the_bot_refuses_to_start_without_a_key(database_url):
    with pytest.raises(StartupError, match="ENCRYPTION_KEYS"):
        prepare_database(load_settings(database_url=database_url, environment="production"))
    engine = prepare_database(
        load_settings(database_url=database_url, environment="production", encryption_keys=TEST_KEY)
    )
    engine.dispose()


def test_without_a_key_the_bot_refuses_a_database_holding_encrypted_data(database_url):
    engine = prepare_database(load_settings(database_url=database_url))  # development, nothing stored yet
    engine.dispose()
    encrypted = make_engine(database_url, keyring=TEST_KEYRING)
    with UnitOfWork(make_session_factory(encrypted))() as db:
        from tests.factories import case_in_monitoring

        case_in_monitoring(db, make_world(db))
    encrypted.dispose()
    with pytest.raises(StartupError, match="holds encrypted client data"):
        prepare_database(load_settings(database_url=database_url))
    engine = prepare_database(load_settings(database_url=database_url, encryption_keys=TEST_KEY))
    from models.client import Client

    with make_session_factory(engine)() as db:
        assert db.scalar(select(Client.name)) == "가나다테스트"
    engine.dispose()
