"""Key rotation for the encrypted columns: re-encrypt every stored value with the newest key.

Works on the raw stored text (`type_coerce` to Text), so values are never decrypted into the ORM or
re-encrypted twice. Rows are visited in pages by primary key; rerunning it is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, Text, select, type_coerce, update
from sqlalchemy.orm import Session

from models.base import Base
from models.crypto import PREFIX, EncryptedText, Keyring, is_encrypted

PAGE = 500


def encrypted_columns() -> Iterator[tuple[Table, list[Column]]]:
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            yield table, columns


@dataclass
class KeyReport:
    current: int = 0
    older: int = 0
    plaintext: int = 0
    rewritten: int = 0
    tables: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [
            f"{self.current} value(s) under the current key, {self.older} under an older key, "
            f"{self.plaintext} not encrypted"
        ]
        if self.rewritten:
            lines.append(f"re-encrypted {self.rewritten} value(s) with the current key")
        return "\n".join(lines)


def _pages(db: Session, table: Table, columns: list[Column]) -> Iterator[list]:
    key = table.primary_key.columns.values()[0]
    raw = [type_coerce(c, Text()).label(c.name) for c in columns]
    last = None
    while True:
        query = select(key, *raw).order_by(key).limit(PAGE)
        if last is not None:
            query = query.where(key > last)
        rows = db.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def status(db: Session, keyring: Keyring) -> KeyReport:
    report = KeyReport()
    for table, columns in encrypted_columns():
        for rows in _pages(db, table, columns):
            for row in rows:
                for stored in row[1:]:
                    if stored is None:
                        continue
                    if not is_encrypted(stored):
                        report.plaintext += 1
                    elif keyring.is_current(stored):
                        report.current += 1
                    else:
                        report.older += 1
    return report


def rotate(db: Session, keyring: Keyring) -> KeyReport:
    """Every value under the first key; values stored before encryption was set up are encrypted."""
    report = KeyReport()
    for table, columns in encrypted_columns():
        key = table.primary_key.columns.values()[0]
        for rows in _pages(db, table, columns):
            for row in rows:
                changes = {}
                for column, stored in zip(columns, row[1:], strict=True):
                    if stored is None or keyring.is_current(stored):
                        continue
                    changes[column.name] = type_coerce(keyring.rotate(stored), Text())
                if changes:
                    db.execute(update(table).where(key == row[0]).values(changes))
                    report.rewritten += len(changes)
                    report.tables[table.name] = report.tables.get(table.name, 0) + len(changes)
    after = status(db, keyring)
    report.current, report.older, report.plaintext = after.current, after.older, after.plaintext
    return report


def holds_encrypted(db: Session) -> bool:
    """Whether any encrypted column holds an encrypted value (one row is enough)."""
    for _table, columns in encrypted_columns():
        for column in columns:
            raw = type_coerce(column, Text())
            if db.execute(select(raw).where(raw.startswith(PREFIX)).limit(1)).first() is not None:
                return True
    return False
