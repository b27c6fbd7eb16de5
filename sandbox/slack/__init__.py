"""Casebot's local stand-in for Slack: a fake Web API server and builders of signed Slack requests."""

from . import requests
from .requests import (
    SignedRequest,
    block_actions,
    event,
    global_shortcut,
    message_shortcut,
    post,
    sign,
    slash_command,
    url_verification,
    view_submission,
)
from .server import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlack

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "SignedRequest",
    "block_actions",
    "event",
    "global_shortcut",
    "message_shortcut",
    "post",
    "requests",
    "sign",
    "slash_command",
    "url_verification",
    "view_submission",
]
