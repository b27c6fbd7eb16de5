"""Thin Slack listeners: parse, call one service, render. Wired here, no import-time side effects."""

from __future__ import annotations

from slack_bolt import App

# What manifest.yml must declare; tests/unit/test_manifest.py checks both directions.
SLASH_COMMANDS = ("/case",)
SHORTCUTS: tuple[str, ...] = ()


def register_all(app: App) -> None:
    from handlers import commands, intake

    commands.register(app)
    intake.register(app)
