"""manifest.yml is valid against Slack's published schema and matches the registered listeners."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from slack_bolt import App, BoltRequest

import handlers
from sandbox.slack import FakeSlack
from sandbox.slack.requests import message_shortcut, slash_command

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


def _app_for_unknown_user(slack: FakeSlack) -> App:
    """The listeners as casebot/app.py wires them, for a Slack user who is nobody's staff."""
    from slack_sdk import WebClient

    from bot.listeners import Deps, Listeners
    from bot.settings import Settings
    from bot.slack_client import GatedWebClient
    from models.clock import SYSTEM_CLOCK

    app = App(
        signing_secret="secret",
        client=WebClient(token="xoxb-test", base_url=slack.url),
        token_verification_enabled=False,
        process_before_response=True,
    )
    deps = Deps(
        uow=None,  # type: ignore[arg-type]  # nobody is staff: no listener gets as far as the database
        settings=Settings(slack_api_url=slack.url, _env_file=None),  # type: ignore[call-arg]
        clock=SYSTEM_CLOCK,
        client=GatedWebClient(token="xoxb-test", base_url=slack.url),
        find_actor=lambda user_id: None,
    )
    handlers.register_all(Listeners(app, deps))
    return app


@pytest.mark.parametrize("command", [*handlers.SLASH_COMMANDS, "/not-declared"])
def test_each_declared_command_has_a_listener(command):
    with FakeSlack() as slack:
        app = _app_for_unknown_user(slack)
        request = slash_command("secret", command=command, text="help", user_id="U1")
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
    expected = 200 if command in handlers.SLASH_COMMANDS else 404  # Bolt answers 404 when nothing listens
    assert response.status == expected


@pytest.mark.parametrize("callback_id", [*handlers.SHORTCUTS, "not.declared"])
def test_each_declared_shortcut_has_a_listener(callback_id):
    with FakeSlack() as slack:
        app = _app_for_unknown_user(slack)
        request = message_shortcut(
            "secret",
            user_id="U1",
            callback_id=callback_id,
            message={"text": "hello", "user": "U2"},
            channel_id="C0001",
        )
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
    expected = 200 if callback_id in handlers.SHORTCUTS else 404
    assert response.status == expected


def test_minimum_bot_scopes():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "users:read", "im:write"}


# --- Events API (App Home) ----------------------------------------------------------------------


def _bot_events() -> list[str]:
    return manifest()["settings"]["event_subscriptions"]["bot_events"]


def test_app_home_is_enabled_with_its_event():
    manifest_ = manifest()
    assert manifest_["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in _bot_events()


@pytest.mark.parametrize("event_type", [*_bot_events(), "reaction_added"])
def test_each_declared_bot_event_has_a_listener(event_type):

    from sandbox.slack.requests import event

    with FakeSlack() as slack:
        app = _app_for_unknown_user(slack)
        request = event("secret", event={"type": event_type, "user": "U1", "tab": "home"})
        response = app.dispatch(BoltRequest(body=request.body, headers=request.headers))
        published = slack.wait_for("views.publish") if event_type == "app_home_opened" else []
    declared = event_type in _bot_events()
    assert response.status == (200 if declared else 404)  # Bolt answers 404 when nothing listens
    if event_type == "app_home_opened":
        assert published and published[0].params["user_id"] == "U1"
