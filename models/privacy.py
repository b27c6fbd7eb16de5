"""What must never reach Slack's history (domain.md R1), found in an outgoing payload. Slack-free.

Three sources of "this is client data":

1. **Tagged columns.** The registry is read from the model metadata: every column whose `info` carries a
   sensitivity (`models.base.PII` / `SENSITIVE`).
2. **Values seen in this context.** Once `install_recorder()` has run, SQLAlchemy ORM events record the
   values of tagged attributes whenever an instance is loaded or refreshed, or a tagged attribute is set
   (a new client from the intake form), under every form in which it could show: whole (NFKC, case and
   spacing folded), a phone or date in any spelling, and for longer text its first 12 characters (a
   truncated preview), each sentence and every run of four words (a quote from the middle of a note).
   They go into a set held in a `ContextVar`: threads that do not
   copy contexts (Bolt's listener pool, APScheduler's job pool) each get their own, so one request's
   values are not compared with another thread's messages. `begin_scope()` starts a fresh set; the Bolt
   gate calls it when a listener starts (see bot/slack_client.py). Where no scope is started (a scheduler
   thread) the set is still bounded: at most `MAX_SEEN` values, each forgotten after `SEEN_TTL` seconds.
   A stale value can only make the gate stricter, never let something through.
3. **Detectors** that need no registry: 주민등록번호 (the same pattern as the input check in
   models/schemas.py), Korean phone numbers and e-mail addresses. Messages carry no phone number or
   e-mail address of anyone, not even a resource's public number: a hit is refused whatever its source.

`scan(payload)` walks text and every string inside blocks, attachments and metadata (JSON strings are
decoded first, so an escaped `\\ud64d` cannot hide a name) and returns `Finding`s naming the rule or
column and where it matched, never the value: findings go to the log.

What this cannot know: a value typed into a form and echoed without ever being set on a model, a value
read by a column query (`select(Client.name)`: no instance is loaded, no event fires), or a piece shorter
than the forms above (a surname alone). The detectors and review of the message builders (bot/views)
cover those; tests/e2e/test_privacy_scan.py checks every message of the whole lifecycle.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.orm import Mapper, configure_mappers

import models  # noqa: F401  (every mapped class registers itself on Base before the tags are read)
from models.base import Base
from models.schemas import looks_like_rrn

SENSITIVITY = "sensitivity"  # the key of models.base.PII / SENSITIVE in a column's info
MIN_CHARS = 2  # Korean names are two characters and up; one character identifies nobody
# A longer value's first characters: a truncated preview ("건강 악화로 재사정…") still leaks.
PREVIEW_CHARS = 12
FRAGMENT_CHARS = 8  # a sentence of a longer narrative quoted on its own
WINDOW_WORDS = 4  # any four words in a row of a longer narrative: a quote from the middle of a note
MIN_DIGITS = 7  # a phone number or a date written without separators
MAX_SEEN = 8192  # forms of each kind (substrings, word runs) per context
SEEN_TTL = 600.0  # seconds


# ------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Tag:
    table: str
    column: str
    sensitivity: str

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"


def tagged_columns(metadata: MetaData | None = None) -> dict[str, Tag]:
    """`table.column` → its tag, for every column whose info names a sensitivity."""
    tables = (metadata or Base.metadata).tables.values()
    return {
        f"{table.name}.{column.name}": Tag(table.name, column.name, str(column.info[SENSITIVITY]))
        for table in tables
        for column in table.columns
        if column.info.get(SENSITIVITY)
    }


def tagged_attributes(mapper: Mapper[Any]) -> tuple[tuple[str, Tag], ...]:
    """(attribute key, tag) of the mapper's tagged columns; the key may differ from the column name."""
    found = []
    for prop in mapper.column_attrs:
        for column in prop.columns:
            sensitivity = getattr(column, "info", {}).get(SENSITIVITY)
            if sensitivity and getattr(column, "table", None) is not None:
                found.append((prop.key, Tag(column.table.name, column.name, str(sensitivity))))
                break
    return tuple(found)


# ------------------------------------------------------------------------------- normalising


_INVISIBLE = {"Cf"}  # zero-width spaces and joiners would split a name without changing how it reads
_DIGIT_RUN = re.compile(r"\d[\d\s\-.()/]*\d")
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
_CODE = re.compile(r"[a-z0-9_.\-]+")  # after normalise(): an option code, an id, a number


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters become plain), case-folded, whitespace collapsed, invisible
    characters dropped."""
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    if text.isprintable():  # no format character in it (nearly every text): no pass per character
        return text
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(text.split())  # a dropped character may leave two spaces side by side


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_number_like(text: str) -> bool:
    """Digits with only separators between them: a phone number, a date, an id."""
    return len(_digits(text)) >= MIN_DIGITS and re.fullmatch(r"[\d\s\-.()/+]+", text) is not None


@dataclass
class Forms:
    texts: set[str] = field(default_factory=set)
    digits: set[str] = field(default_factory=set)
    windows: set[str] = field(default_factory=set)

    def __ior__(self, other: Forms) -> Forms:
        self.texts |= other.texts
        self.digits |= other.digits
        self.windows |= other.windows
        return self


def _words(normalised: str) -> list[str]:
    """Words without the punctuation or mrkdwn around them (*굵게*, "인용", 말줄임…)."""
    return [w for w in (_EDGE_PUNCTUATION.sub("", token) for token in normalised.split()) if w]


def _windows_of(normalised: str) -> list[str]:
    words = _words(normalised)
    windows = (" ".join(words[i : i + WINDOW_WORDS]) for i in range(len(words) - WINDOW_WORDS + 1))
    return [w for w in windows if len(w) >= FRAGMENT_CHARS]


def _forms(value: Any, *, nested: bool = False) -> Forms:
    """The forms under which a stored value could appear in a message: whole, previewed, quoted in part.

    `nested`: a string inside a JSON value (a saved form draft), where option codes such as "yes" or
    "LIVING_ENV" sit next to what was typed; codes identify nobody and would match ordinary words.
    """
    forms = Forms()
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return forms  # flags and counts identify nobody
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        forms.texts |= {
            value.isoformat(),
            f"{value.year}.{value.month:02d}.{value.day:02d}",
            f"{value.year}/{value.month:02d}/{value.day:02d}",
            f"{value.year}년 {value.month}월 {value.day}일",
            f"{value.year}년 {value.month:02d}월 {value.day:02d}일",
        }
        forms.digits.add(value.strftime("%Y%m%d"))
        return forms
    if isinstance(value, list | tuple | set):
        for item in value:
            forms |= _forms(item, nested=True)
        return forms
    if isinstance(value, dict):
        return _forms(list(value.values()))
    text = normalise(str(value))
    if len(text) < MIN_CHARS or (nested and _CODE.fullmatch(text) and not _is_number_like(text)):
        return forms
    forms.texts.add(text)
    if _is_number_like(text):
        forms.digits.add(_digits(text))
    if len(text) > PREVIEW_CHARS:
        forms.texts.add(text[:PREVIEW_CHARS].strip())
        for fragment in re.split(r"[.!?。\n;·]", text):
            fragment = fragment.strip()
            if len(fragment) >= FRAGMENT_CHARS:
                forms.texts.add(fragment)
        forms.windows |= set(_windows_of(text))
    return forms


# ------------------------------------------------------------------------------- values seen


class SeenValues:
    """Forms of tagged values recently loaded or set, with the column each came from; bounded.

    Whole values, previews, sentences and digit forms are looked for as substrings; the runs of
    `WINDOW_WORDS` words of a longer narrative are looked up by hash, so a long note costs no scan time.
    """

    def __init__(
        self, limit: int = MAX_SEEN, ttl: float = SEEN_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.ttl = ttl
        self.clock = clock
        # (kind, form) → (the columns it was seen in, when last seen); kind is "text" or "digits".
        # Insertion order is age order. The same name can be a client's and a consent signer's.
        self._substrings: OrderedDict[tuple[str, str], tuple[frozenset[Tag], float]] = OrderedDict()
        # a run of words, joined by single spaces → (columns, when last seen)
        self._windows: OrderedDict[str, tuple[frozenset[Tag], float]] = OrderedDict()

    def __len__(self) -> int:
        self._expire()
        return len(self._substrings) + len(self._windows)

    def add(self, value: Any, tag: Tag) -> None:
        forms = _forms(value)
        now = self.clock()
        for key in [*(("text", t) for t in forms.texts), *(("digits", d) for d in forms.digits)]:
            _put(self._substrings, key, tag, now)
        for window in forms.windows:
            _put(self._windows, window, tag, now)
        for entries in (self._substrings, self._windows):
            while len(entries) > self.limit:
                entries.popitem(last=False)

    def clear(self) -> None:
        self._substrings.clear()
        self._windows.clear()

    def matches(self, normalised: str) -> list[Tag]:
        """Tags of the seen values found in an already normalised string."""
        self._expire()
        found: set[Tag] = set()
        if self._windows:
            for window in _windows_of(normalised):
                hit = self._windows.get(window)
                if hit is not None:
                    found |= hit[0]
        if self._substrings:
            runs = [_digits(run) for run in _DIGIT_RUN.findall(normalised)]
            for (kind, form), (tags, _) in self._substrings.items():
                if tags <= found:
                    continue
                if (kind == "text" and form in normalised) or (
                    kind == "digits" and any(form in run for run in runs)
                ):
                    found |= tags
        return sorted(found, key=lambda tag: tag.label)

    def _expire(self) -> None:
        oldest_kept = self.clock() - self.ttl
        for entries in (self._substrings, self._windows):
            while entries:
                key, (_, when) = next(iter(entries.items()))
                if when >= oldest_kept:
                    break
                del entries[key]


def _put(entries: OrderedDict[Any, tuple[frozenset[Tag], float]], key: Any, tag: Tag, now: float) -> None:
    earlier = entries.get(key)
    entries[key] = ((earlier[0] if earlier else frozenset()) | {tag}, now)
    entries.move_to_end(key)


_current: ContextVar[SeenValues | None] = ContextVar("casebot_privacy_seen", default=None)


def seen() -> SeenValues:
    """The values seen in this context (this thread, unless contexts are copied); created on first use."""
    values = _current.get()
    if values is None:
        values = SeenValues()
        _current.set(values)
    return values


def begin_scope() -> None:
    """Forget what this context has seen: call where a request or a job starts. (The new set is made on
    first use: most acks never load a tagged value.)"""
    _current.set(None)


@contextmanager
def scope() -> Iterator[SeenValues]:
    """A fresh set for the block, the outer one restored afterwards."""
    token = _current.set(SeenValues())
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def remember(value: Any, tag: Tag) -> None:
    seen().add(value, tag)


# ------------------------------------------------------------------------------- the ORM recorder

_recorder_lock = threading.Lock()
_tagged_by_class: dict[type, tuple[tuple[str, Tag], ...]] = {}


def install_recorder() -> None:
    """Record tagged values as the ORM loads or sets them, in every session of this process. Idempotent."""
    with _recorder_lock:
        if _tagged_by_class:
            return
        configure_mappers()
        for mapper in Base.registry.mappers:
            tagged = tagged_attributes(mapper)
            if not tagged:
                continue
            _tagged_by_class[mapper.class_] = tagged
            for key, tag in tagged:
                event.listen(getattr(mapper.class_, key), "set", _on_set(tag))
        event.listen(Base, "load", _on_load, propagate=True)
        event.listen(Base, "refresh", _on_refresh, propagate=True)


def recorder_installed() -> bool:
    return bool(_tagged_by_class)


def _record_loaded(target: Any) -> None:
    tagged = _tagged_by_class.get(type(target))
    if not tagged:
        return
    loaded = target.__dict__  # only what is loaded: reading attributes here would trigger more SQL
    for key, tag in tagged:
        if key in loaded:
            remember(loaded[key], tag)


def _on_load(target: Any, _context: Any) -> None:
    _record_loaded(target)


def _on_refresh(target: Any, _context: Any, _attrs: Any) -> None:
    _record_loaded(target)


def _on_set(tag: Tag) -> Callable[[Any, Any, Any, Any], None]:
    def record(_target: Any, value: Any, _old: Any, _initiator: Any) -> None:
        remember(value, tag)

    return record


# ------------------------------------------------------------------------------- detectors

# Mobile 010/011/016-019 with or without separators; +82 forms drop the leading 0.
_MOBILE = re.compile(r"(?<!\d)(?:\+?82[\s\-.]?|0)1[016789][\s\-.)]?\d{3,4}[\s\-.]?\d{4}(?!\d)")
# Area codes (02, 031 … 064) and 070 only with separators: bare digit runs are too often something else.
_LANDLINE = re.compile(r"(?<!\d)(?:\+?82[\s\-.]?|0)(?:2|[3-6][1-5]|70)[\s\-.)]+\d{3,4}[\s\-.]+\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")


def _detect(normalised: str) -> list[str]:
    rules = []
    if looks_like_rrn(normalised):
        rules.append("rrn")
    if _MOBILE.search(normalised) or _LANDLINE.search(normalised):
        rules.append("phone")
    if _EMAIL.search(normalised):
        rules.append("email")
    return rules


# ------------------------------------------------------------------------------- scan


@dataclass(frozen=True)
class Finding:
    """Which rule matched where. Never the value: findings are logged."""

    rule: str  # "rrn" | "phone" | "email" | "column"
    path: str  # where in the payload, e.g. "blocks[0].text.text"
    column: str | None = None  # "clients.name" for a seen tagged value

    def __str__(self) -> str:
        return f"{self.column or self.rule} at {self.path}"


def scan(payload: Any, *, seen_values: SeenValues | None = None) -> list[Finding]:
    """Every string in `payload` checked against the detectors and the values seen in this context."""
    values = seen_values if seen_values is not None else _current.get()
    findings: list[Finding] = []
    for path, text in _strings(payload, ""):
        normalised = normalise(text)
        findings += [Finding(rule, path) for rule in _detect(normalised)]
        if values is not None:
            findings += [Finding("column", path, tag.label) for tag in values.matches(normalised)]
    return findings


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if node is None or isinstance(node, bool | int | float):
        return
    if isinstance(node, bytes):
        node = node.decode("utf-8", errors="replace")
    if isinstance(node, str):
        decoded = _json_inside(node)
        if decoded is not None:
            yield from _strings(decoded, path + "(json)")
        else:
            yield path or "$", node
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
        return
    if isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
        return
    to_dict = getattr(node, "to_dict", None)  # slack_sdk Block / Attachment objects
    if callable(to_dict):
        yield from _strings(to_dict(), path)
        return
    yield path or "$", str(node)


def _json_inside(text: str) -> Any:
    """The decoded value of a string that holds a JSON object or array (blocks passed as a string)."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict | list) else None
