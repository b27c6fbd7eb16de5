"""What the sandbox remembers across restarts: how far its clock was moved and every conversation's
messages, in two tables of its own (``sandbox_clock``, ``sandbox_message``). They are not Casebot's
tables: no migration knows them and the bot never reads them; they are made on start if missing.

With the sandbox's SQLite database (the default) they live in a SQLite file of their own beside it
(``casebot-sandbox.story.sqlite3``): a message is kept while the bot's call that posts it is still under
way, and the bot may be holding SQLite's one write lock then (a digest is posted inside its transaction).
With PostgreSQL, which locks rows and not the database, they sit in the sandbox's database itself.

A message's ``ts`` is the sandbox's time when it was posted (``Stamps``), so message times and day
dividers follow the sandbox's clock, as they would in Slack on the day the message came.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url

from sandbox.workspace import Message

METADATA = MetaData()
CLOCK = Table(
    "sandbox_clock",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False),
)
MESSAGES = Table(
    "sandbox_message",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the order messages came in
    Column("channel", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("blocks", Text),  # JSON
    Column("for_user", String(64)),  # an ephemeral message's one reader
    Column("edited", Boolean, nullable=False, default=False),
    UniqueConstraint("channel", "ts", name="uq_sandbox_message_channel_ts"),
)


def story_url(database_url: str) -> str:
    """Where the story is kept for the sandbox database at ``database_url`` (see the module's text)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return database_url
    if not url.database or url.database == ":memory:":
        return "sqlite://"
    path = Path(url.database)
    return url.set(
        database=str(path.with_name(f"{path.stem}.story{path.suffix or '.sqlite3'}"))
    ).render_as_string(hide_password=False)


class Story:
    """The sandbox's own tables (created if missing)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        METADATA.create_all(engine, checkfirst=True)

    def forget(self) -> None:
        """Start a new story (the sandbox's data was made afresh)."""
        with self.engine.begin() as connection:
            connection.execute(delete(MESSAGES))
            connection.execute(delete(CLOCK))

    # ------------------------------------------------------------------ clock

    def offset(self) -> timedelta:
        with self.engine.connect() as connection:
            seconds = connection.scalar(select(CLOCK.c.offset_seconds).where(CLOCK.c.id == 1))
        return timedelta(seconds=seconds or 0)

    def save_offset(self, offset: timedelta) -> None:
        with self.engine.begin() as connection:
            seconds = offset.total_seconds()
            if connection.execute(
                update(CLOCK).where(CLOCK.c.id == 1).values(offset_seconds=seconds)
            ).rowcount:
                return
            connection.execute(insert(CLOCK).values(id=1, offset_seconds=seconds))

    # ------------------------------------------------------------------ messages

    def messages(self) -> list[Message]:
        """Every message kept, in the order they came."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(MESSAGES).order_by(MESSAGES.c.id)).all()
        return [
            Message(
                row.channel,
                row.ts,
                row.text,
                json.loads(row.blocks) if row.blocks else None,
                row.for_user,
                bool(row.edited),
            )
            for row in rows
        ]

    def save(self, message: Message) -> None:
        """A new message, or a message changed in place (it keeps its place in the conversation)."""
        values = {
            "text": message.text,
            "blocks": json.dumps(message.blocks, ensure_ascii=False) if message.blocks else None,
            "for_user": message.for_user,
            "edited": message.edited,
        }
        with self.engine.begin() as connection:
            where = (MESSAGES.c.channel == message.channel) & (MESSAGES.c.ts == message.ts)
            if connection.execute(update(MESSAGES).where(where).values(**values)).rowcount:
                return
            connection.execute(insert(MESSAGES).values(channel=message.channel, ts=message.ts, **values))

    def delete(self, message: Message) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(MESSAGES).where(
                    (MESSAGES.c.channel == message.channel) & (MESSAGES.c.ts == message.ts)
                )
            )


class Stamps:
    """Slack message timestamps (``"seconds.micros"``) at the sandbox's time: strictly increasing, also
    after a restart (see ``follow``) and if real time stands still or steps back."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._last = 0

    def follow(self, ts: str | None) -> None:
        """Stamp after ``ts`` from now on (the newest message kept from before a restart)."""
        if ts:
            with self._lock:
                self._last = max(self._last, _micros(ts))

    def __call__(self) -> str:
        with self._lock:
            micros = max(round(self._now().timestamp() * 1_000_000), self._last + 1)
            self._last = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def newest_ts(messages: list[Message]) -> str | None:
    return max((m.ts for m in messages), key=_micros, default=None)
