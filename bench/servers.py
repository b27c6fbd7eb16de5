"""Helper processes for the benchmarks, so that no server shares the client's interpreter (GIL).

python -m bench.servers fake-slack PORT   the local Slack Web API stand-in
python -m bench.servers bare PORT SLACK_URL SECRET [pbr|pbr-lazy]   a Bolt app that only acks, on waitress
    like Casebot; with `pbr`, in Bolt's `process_before_response=True` mode (Casebot's), else Bolt's
    default; with `pbr-lazy`, `process_before_response=True` and one lazy function that answers through
    the response_url (the least lazy work a command that answers later can do)
"""

from __future__ import annotations

import sys
import time


def fake_slack(port: int) -> None:
    from sandbox.slack import FakeSlack

    with FakeSlack(port=port):
        while True:
            time.sleep(3600)


def bare(port: int, slack_url: str, secret: str, mode: str) -> None:
    import waitress
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token="xoxb-bench", base_url=slack_url),
        signing_secret=secret,
        token_verification_enabled=False,
        process_before_response=mode in ("pbr", "pbr-lazy"),
    )
    if mode == "pbr-lazy":
        app.command("/case")(ack=lambda ack: ack(), lazy=[lambda respond: respond(text="ok")])
    else:
        app.command("/case")(lambda ack: ack())
    waitress.serve(SlackRequestHandler(app), host="127.0.0.1", port=port, threads=8, _quiet=True)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "fake-slack":
        fake_slack(int(sys.argv[2]))
    else:
        bare(int(sys.argv[2]), sys.argv[3], sys.argv[4], (sys.argv[5:6] or ["default"])[0])
