"""Korean and English catalogs with the same keys and placeholders; Korean first.

Every user-facing text lives here: Slack views, error messages raised by the services (`Message`
keys), enum labels (`enum.<EnumName>.<value>`) and the export's labels. Each locale is a folder of
TOML files under `models/i18n/`, one per feature (`ko/intake.toml` …), merged into one flat catalog
keyed like `intake.modal.title`. A key defined twice is an error. The loader sits in the core so that
services and enums can name their texts; `bot.i18n` re-exports it for the Slack side.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALES = ("ko", "en")
_DIR = Path(__file__).parent / "i18n"


@cache
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_DIR / locale).glob("*.toml")):
        with path.open("rb") as handle:
            entries = _flatten(tomllib.load(handle))
        clash = merged.keys() & entries.keys()
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)}")
        merged.update(entries)
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def t(key: str, locale: str = "ko", **values: object) -> str:
    text = catalog(locale if locale in LOCALES else "ko").get(key) or catalog("en")[key]
    return text.format(**values) if values else text


def words(key: str) -> list[str]:
    """The comma-separated words of entry `key` in every language: what people may type (`/case 사정`)."""
    texts = (catalog(locale).get(key, "") for locale in LOCALES)
    return [word.strip() for text in texts for word in text.split(",") if word.strip()]


def locale_from_slack(slack_locale: str | None, default: str = "ko") -> str:
    """Slack gives `ko-KR`, `en-US`, …: Korean for Korean, English for any other known language."""
    if not slack_locale:
        return default
    return "ko" if slack_locale.lower().startswith("ko") else "en"
