"""Thin Slack listeners: parse, call one service, render.

Every module in this package with a `register(on)` function is wired by `register_all` with the app's
`bot.listeners.Listeners`, so a new dialogue needs no edit here; nothing registers at import time.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from bot.ids import Shortcut
from bot.listeners import Listeners

# What manifest.yml must declare; tests/unit/test_manifest.py checks both directions.
SLASH_COMMANDS = ("/case",)
SHORTCUTS: tuple[str, ...] = (Shortcut.ADD_AS_NOTE,)
FALLBACK = "fallback"


def modules() -> list[ModuleType]:
    """Every listener module of the package."""
    # `commands` (the /case listener) first: Bolt tries listeners in order, and every slash command
    # is then matched by the first instead of after a dozen button and form listeners, before its ack.
    # `fallback` (catch-alls for unknown forms and buttons) last, so that it sees only what no other matched.
    found = sorted(
        pkgutil.iter_modules(__path__),
        key=lambda m: (m.name != "commands", m.name == FALLBACK, m.name),
    )
    return [importlib.import_module(f"{__name__}.{info.name}") for info in found]


def register_all(on: Listeners) -> None:
    for module in modules():
        register = getattr(module, "register", None)
        if callable(register):
            register(on)
