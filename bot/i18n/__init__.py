"""Korean and English catalogs with the same keys and placeholders; Korean first.

Each locale is a folder of TOML files, one per feature (`ko/intake.toml` …), merged into one flat
catalog keyed like `intake.modal.title`. A key defined twice is an error.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALES = ("ko", "en")
_DIR = Path(__file__).parent


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


def locale_from_slack(slack_locale: str | None, default: str = "ko") -> str:
    """Slack gives `ko-KR`, `en-US`, …: Korean for Korean, English for any other known language."""
    if not slack_locale:
        return default
    return "ko" if slack_locale.lower().startswith("ko") else "en"
