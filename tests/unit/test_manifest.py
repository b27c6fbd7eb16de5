"""manifest.yml is valid against Slack's published schema and matches the registered listeners."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from slack_bolt import App, BoltRequest

import handlers
from tests.slackfake import FakeSlack
from tests.slackfake.requests import slash_command

ROOT = Path(__file__).resolve().parents[2]
# The vendored copy of Slack's schema (MIT, see tests/data/manifest.schema.LICENSE).
SCHEMA = ROOT / "tests" / "data" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def test_manifest_is_valid_against_slacks_schema():
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest())]
    assert errors == []


def test_schema_catches_a_typo():
    broken = manifest()
    broken["features"]["slash_commands"][0]["descriptoin"] = "typo"
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(broken))


def test_declared_commands_and_shortcuts_match_the_handlers():
    features = manifest()["features"]
    assert {c["command"] for c in features.get("slash_commands", [])} == set(handlers.SLASH_COMMANDS)
    assert {s["callback_id"] for s in features.get("shortcuts", [])} == set(handlers.SHORTCUTS)


@pytest.mark.parametrize("command", [*handlers.SLASH_COMMANDS, "/not-declared"])
def test_each_declared_command_has_a_listener(command):
    with FakeSlack() as slack:
        from slack_sdk import WebClient

        app = App(
            client=WebClient(token="xoxb-test", base_url=slack.url),
            signing_secret="secret",
            token_verification_enabled=False,
            process_before_response=True,
        )

        @app.middleware
        def as_unknown_user(context, next):
            context.update(actor=None, locale="ko")
            next()

        handlers.register_all(app)
        request = slash_command("secret", command=command, text="help", user_id="U1")
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
    expected = 200 if command in handlers.SLASH_COMMANDS else 404  # Bolt answers 404 when nothing listens
    assert response.status == expected


def test_minimum_bot_scopes():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "users:read", "im:write"}
