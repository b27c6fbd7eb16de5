"""Encryption at rest: identifiers and narratives hold no plaintext in the tables; keys rotate."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Text, select, type_coerce

from bot.settings import SettingsError, load_settings
from models.client import Client
from models.contact import ContactNote
from models.crypto import EncryptionKeyError, Keyring, attach, generate_key, keyring_of
from models.services import access, encryption, notes
from tests.conftest import TEST_KEY
from tests.factories import CLIENT_NAME, case_in_monitoring, contact

NARRATIVE = "가정방문: 난방비 체납으로 어려움을 호소함"


@contextmanager
def keyring_in_use(db, keyring: Keyring | None):
    """Switch the engine's keyring for the duration (the test engine is shared)."""
    dialect = db.get_bind().dialect
    before = keyring_of(dialect)
    attach(dialect, keyring)
    try:
        yield
    finally:
        attach(dialect, before)


def raw_values(db) -> list[str]:
    values = []
    for _table, columns in encryption.encrypted_columns():
        for row in db.execute(select(*[type_coerce(c, Text()) for c in columns])):
            values += [v for v in row if v is not None]
    return values


@pytest.fixture
def recorded(db, world):
    case = case_in_monitoring(db, world)
    notes.log_contact(db, world.ctx(), case.code, contact(world.ctx().now, summary=NARRATIVE))
    db.flush()
    return case


def test_the_tables_hold_no_plaintext_and_the_record_reads_back(db, world, recorded):
    values = raw_values(db)
    assert len(values) >= 8  # name, birth date, contact, address, consent signer, narratives ...
    assert all(v.startswith("enc1:") for v in values)
    joined = "\n".join(values)
    for plain in (CLIENT_NAME, "010-0000-0000", "가상시", "1970-05-01", NARRATIVE):
        assert plain not in joined
    db.expire_all()
    client = db.get(Client, recorded.client_id)
    assert (client.name, client.birth_date, client.contact) == (
        CLIENT_NAME,
        date(1970, 5, 1),
        "010-0000-0000",
    )
    assert db.scalar(select(ContactNote.summary).where(ContactNote.case_id == recorded.id)) == NARRATIVE
    # Looking a case up by its code still works: codes are not encrypted.
    assert access.load_case(db, world.ctx(), recorded.code.lower()).id == recorded.id


def test_rotation_moves_every_value_to_the_new_key(db, world, recorded):
    old = keyring_of(db.get_bind().dialect)
    assert old is not None
    new_key = generate_key()
    with keyring_in_use(db, Keyring([new_key])):
        db.expire_all()
        with pytest.raises(EncryptionKeyError, match="retired key"):
            db.get(Client, recorded.client_id)  # the new key alone cannot read the old values
    db.expire_all()
    both = Keyring([new_key, TEST_KEY])  # the new key first, the retired one still there to read
    with keyring_in_use(db, both):
        before = encryption.status(db, both)
        assert before.current == 0 and before.older == len(raw_values(db)) and before.plaintext == 0
        report = encryption.rotate(db, both)
        assert report.rewritten == before.older and report.current == before.older and report.older == 0
        assert encryption.rotate(db, both).rewritten == 0  # rerunning is harmless
    with keyring_in_use(db, Keyring([new_key])):
        db.expire_all()
        assert db.get(Client, recorded.client_id).name == CLIENT_NAME
        assert db.scalar(select(ContactNote.summary).where(ContactNote.case_id == recorded.id)) == NARRATIVE


def test_values_stored_without_a_key_are_encrypted_by_rotation(db, world):
    with keyring_in_use(db, None):  # development: no key, values stored as typed
        case = case_in_monitoring(db, world)
        db.flush()
        assert CLIENT_NAME in raw_values(db)
    keyring = keyring_of(db.get_bind().dialect)
    assert encryption.status(db, keyring).plaintext > 0
    encryption.rotate(db, keyring)
    assert CLIENT_NAME not in raw_values(db)
    assert encryption.status(db, keyring).plaintext == 0
    db.expire_all()
    assert db.get(Client, case.client_id).name == CLIENT_NAME


def test_reading_encrypted_data_without_a_key_says_what_to_set(db, world, recorded):
    with keyring_in_use(db, None):
        db.expire_all()
        with pytest.raises(EncryptionKeyError, match="ENCRYPTION_KEYS"):
            db.get(Client, recorded.client_id)


def test_settings_require_a_key_outside_development_and_never_echo_it():
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS: required outside development"):
        load_settings(environment="production").keyring()
    assert load_settings(environment="development").keyring() is None
    with pytest.raises(SettingsError) as refused:
        load_settings(encryption_keys="not-a-key-secret-value").keyring()
    assert "ENCRYPTION_KEYS" in str(refused.value) and "not-a-key-secret-value" not in str(refused.value)
    keyring = load_settings(encryption_keys=f"{generate_key()}, {generate_key()}").keyring()
    assert keyring is not None and keyring.decrypt(keyring.encrypt("가")) == "가"
