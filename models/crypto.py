"""Encryption at rest of direct identifiers and free-text narratives (R-rules on confidentiality).

Values of `Encrypted*` columns are stored as `enc1:<Fernet token>` when the engine has a keyring
(`make_engine(url, keyring=...)`). Fernet is authenticated AES; MultiFernet decrypts with any key of
the ring and encrypts with the first, so keys are rotated by putting a new key first and running
`casebot keys rotate`, which re-encrypts every value. Without a keyring (development only) values
are stored as they are; the prefix tells the two apart, so rotation also encrypts such values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

PREFIX = "enc1:"


class EncryptionKeyError(Exception):
    """A key is malformed, missing for encrypted data, or no key of the ring opens a value."""


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise EncryptionKeyError("an encryption keyring needs at least one key")
        try:
            self._fernets = [Fernet(key.strip().encode()) for key in keys]
        except (ValueError, TypeError):
            raise EncryptionKeyError(
                "an encryption key is not a valid Fernet key (generate one with `casebot keys generate`)"
            ) from None
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, text: str) -> str:
        return PREFIX + self._multi.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._multi.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise EncryptionKeyError(
                "no key of the keyring opens a stored value: is a retired key missing?"
            ) from None

    def rotate(self, stored: str) -> str:
        """The value encrypted with the current (first) key; plaintext from development is encrypted."""
        if not is_encrypted(stored):
            return self.encrypt(stored)
        try:
            return PREFIX + self._multi.rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")
        except InvalidToken:
            raise EncryptionKeyError(
                "no key of the keyring opens a stored value: is a retired key missing?"
            ) from None

    def is_current(self, stored: str) -> bool:
        """Whether the value is already encrypted with the first key."""
        if not is_encrypted(stored):
            return False
        try:
            self._fernets[0].decrypt(stored[len(PREFIX) :].encode("ascii"))
        except InvalidToken:
            return False
        return True


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)  # type: ignore[union-attr]


def keyring_of(dialect: Dialect) -> Keyring | None:
    return getattr(dialect, "casebot_keyring", None)


def attach(dialect: Dialect, keyring: Keyring | None) -> None:
    dialect.casebot_keyring = keyring  # type: ignore[attr-defined]


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest. Equality search is impossible by design: look cases up by code."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = self.to_text(value)
        keyring = keyring_of(dialect)
        return keyring.encrypt(text) if keyring else text

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if is_encrypted(value):
            keyring = keyring_of(dialect)
            if keyring is None:
                raise EncryptionKeyError("the database holds encrypted data: set ENCRYPTION_KEYS to read it")
            value = keyring.decrypt(value)
        return self.from_text(value)

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text


class EncryptedDate(EncryptedText):
    """A date (a birth date) encrypted at rest as its ISO form."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        if not isinstance(value, date):
            raise TypeError("EncryptedDate takes a date")
        return value.isoformat()

    def from_text(self, text: str) -> Any:
        return date.fromisoformat(text)


class EncryptedJSON(EncryptedText):
    """A JSON document encrypted at rest (an assessment's draft holds everything typed so far)."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    def from_text(self, text: str) -> Any:
        return json.loads(text)
