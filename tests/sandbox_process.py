"""Start `casebot run` with no Slack tokens, as a newcomer would, and talk to the sandbox it serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.conftest import free_port

SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL")


@dataclass
class SandboxProcess:
    url: str
    process: subprocess.Popen
    log_path: Path
    database_url: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def get(self, path: str, **headers: str) -> tuple[int, Any]:
        return self._request(urllib.request.Request(self.url + path, headers=headers))

    def post(self, path: str, data: dict, content_type: str = "application/json") -> tuple[int, Any]:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": content_type}, method="POST"
        )
        return self._request(request)

    def api(self, path: str, data: dict | None = None) -> dict:
        """A call that must succeed; its JSON answer."""
        status, answer = self.get(path) if data is None else self.post(path, data)
        assert status == 200, (path, status, answer)
        return answer

    def _request(self, request: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _decode(error.read())


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def sandbox_environment(port: int, **extra: str) -> dict[str, str]:
    """A fresh machine's environment: no Slack tokens, no database setting, development defaults."""
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES}
    env.update({"PORT": str(port), "ENVIRONMENT": "development", **extra})
    env.pop("ENCRYPTION_KEYS", None)
    return env


@contextmanager
def running_sandbox(cwd: Path, **extra_env: str) -> Iterator[SandboxProcess]:
    """`casebot run` in ``cwd`` (where its SQLite file goes) until the sandbox answers, then stopped."""
    port = free_port()
    log_path = cwd / f"sandbox-{port}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "casebot.cli", "run"],
            cwd=cwd,
            env=sandbox_environment(port, PYTHONPATH=str(Path(__file__).parents[1]), **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        database_url = extra_env.get("SANDBOX_DATABASE_URL", f"sqlite:///{cwd / 'casebot-sandbox.sqlite3'}")
        sandbox = SandboxProcess(f"http://127.0.0.1:{port}", process, log_path, database_url)
        try:
            _wait_ready(sandbox)
            yield sandbox
        finally:
            process.terminate()
            process.wait(timeout=15)


def _wait_ready(sandbox: SandboxProcess) -> None:
    deadline = time.monotonic() + 90  # the first start loads the demo data set
    while time.monotonic() < deadline:
        if sandbox.process.poll() is not None:
            raise AssertionError(f"casebot run exited early:\n{sandbox.log()}")
        try:
            status, _ = sandbox.get("/api/session")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the sandbox did not come up:\n{sandbox.log()}")


def blank_values(view: dict) -> dict:
    """What Slack reports for a modal nobody has typed into: every input block, unset."""
    empty_by_type = {
        "plain_text_input": {"value": None},
        "number_input": {"value": None},
        "static_select": {"selected_option": None},
        "radio_buttons": {"selected_option": None},
        "multi_static_select": {"selected_options": []},
        "checkboxes": {"selected_options": []},
        "datepicker": {"selected_date": None},
        "timepicker": {"selected_time": None},
        "users_select": {"selected_user": None},
        "multi_users_select": {"selected_users": []},
        "conversations_select": {"selected_conversation": None},
    }
    values: dict = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            state = {"type": element["type"], **empty_by_type.get(element["type"], {"value": None})}
            values[block["block_id"]] = {element["action_id"]: state}
    return values


def wait_until(condition, timeout: float = 10.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``condition`` (the page's own way of seeing the bot's answers arrive) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
