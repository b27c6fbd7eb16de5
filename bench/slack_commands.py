"""Ack latency against bare Bolt apps, /case new → views.open, /case list → its answer, and the App Home,
with 100,000 cases.

Run by hand (not a test):  .venv/bin/python -m bench.slack_commands [--database postgresql] [--cases N]
All the apps run in this run on the same server (waitress, 8 threads): Casebot, a bare app in Bolt's
default mode (its ack waits on Bolt's 10 ms poll), a bare app with `process_before_response=True`
(Casebot's mode) that only acks, and for the commands Casebot answers lazily (`list`) a third bare app
whose lazy function answers "ok" through the response_url ("pbr+lazy": Bolt's lazy mechanism with
no work of its own). Requests are signed slash commands on loopback. Prints p50,
p95, p99 and the slowest ack, the ratio of Casebot's p50 to the `process_before_response` app's, how
long Casebot kept working after its last ack (its lazy work), and the load average (other processes on
the machine make the figures noisy). The rows at concurrency 1 send each command as soon as the last
was acked, while that one's answer is still being worked on; the one-at-a-time `/case list` part sends
the next only once the answer has reached Slack, and prints those acks too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed import manager_id, seed, supervisor_id  # noqa: E402
from models import schema  # noqa: E402
from models.db import make_engine  # noqa: E402
from sandbox.slack import FakeSlack  # noqa: E402
from sandbox.slack.requests import SignedRequest, event, post, slash_command  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402

SECRET = "bench-secret"
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    name = f"casebot_bench_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.servers", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_casebot(database_url: str, slack_url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "casebot.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, port


def wait_up(port: int) -> None:
    import socket

    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def timed_commands(port: int, count: int, concurrency: int, text_: str, user: str) -> list[float]:
    url = f"http://127.0.0.1:{port}/slack/events"

    def one(_: int) -> float:
        request = slash_command(SECRET, text=text_, user_id=user)
        started = time.perf_counter()
        status, _, _ = post(url, request.body, request.headers)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"status {status}")
        return elapsed * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


def until_call(
    slack: FakeSlack,
    url: str,
    request_for: Callable[[], SignedRequest],
    method: str,
    count: int,
    acks: list[float] | None = None,
) -> list[float]:
    """Milliseconds from sending each request to the stand-in (in this process) receiving `method`; the
    next request goes only then. Each request's own HTTP answer (its ack) time goes in `acks`."""
    gaps = []
    for _ in range(count):
        slack.reset()
        request = request_for()
        sent, started = time.time(), time.perf_counter()
        post(url, request.body, request.headers)
        if acks is not None:
            acks.append((time.perf_counter() - started) * 1000)
        gaps.append((slack.wait_for(method, timeout=30)[0].at - sent) * 1000)
    return gaps


def cpu_seconds(pid: int) -> float:
    """User + system CPU so far of a process and the processes it started (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children(pid))


def children(pid: int) -> list[int]:
    """Child processes (work Casebot hands to a process of its own is still Casebot's work)."""
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in listing.read_text().split())
        except OSError:
            continue
    return found


def settle(pid: int, quiet: float = 0.3, limit: float = 120) -> float:
    """Wait until the process (and any child) has used no CPU for `quiet` s; the seconds it kept working
    after the last ack.

    Casebot acks first and may still be doing the work of a burst (queued after the ack) when the last
    answer arrives; measuring the bare app meanwhile would slow it down and flatter the ratio.
    """
    started = time.perf_counter()
    last, last_change = cpu_seconds(pid), started
    while time.perf_counter() - started < limit:
        time.sleep(0.05)
        now = cpu_seconds(pid)
        if now != last:
            last, last_change = now, time.perf_counter()
        elif time.perf_counter() - last_change >= quiet:
            break
    return max(0.0, last_change - started)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def p(values: list[float], q: float) -> float:
    # "inclusive": a quantile of the values measured, never extrapolated past the largest (few runs)
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--opens", type=int, default=200)
    parser.add_argument("--homes", type=int, default=50)
    # For comparing variants quickly (interleaved runs): a subset of the ack table; 0 opens and homes
    # leave out the second part.
    parser.add_argument("--commands", default="help,list")
    parser.add_argument("--concurrency", default="1,10")
    args = parser.parse_args()

    url = database(args.database)
    engine = make_engine(url)
    schema.upgrade(engine)
    started = time.perf_counter()
    seed(engine, args.cases)
    if args.database == "postgresql":
        # Autovacuum would vacuum and analyse the fresh rows soon after the load, on the machine's
        # cores, while Casebot (measured first) runs, not while the bare app does: do it now.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    print(f"{args.database}: seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")

    user = manager_id(0, 0)
    # Ack latency: every server in a process of its own, the client alone in this one.
    slack_port, default_port, pbr_port, lazy_port = free_port(), free_port(), free_port(), free_port()
    helpers = [spawn("fake-slack", str(slack_port))]
    slack_url = f"http://127.0.0.1:{slack_port}/api/"
    helpers.append(spawn("bare", str(default_port), slack_url, SECRET))
    helpers.append(spawn("bare", str(pbr_port), slack_url, SECRET, "pbr"))
    lazy_app = spawn("bare", str(lazy_port), slack_url, SECRET, "pbr-lazy")
    helpers.append(lazy_app)
    casebot, casebot_port = start_casebot(url, slack_url)
    helpers.append(casebot)
    try:
        for port in (slack_port, default_port, pbr_port, lazy_port, casebot_port):
            wait_up(port)
        for port in (casebot_port, default_port, pbr_port, lazy_port):  # warm up connections, caches
            timed_commands(port, 50, 5, "help", user)
        print(f"load average before: {load()}")
        print(
            f"{'':10} {'conc':>4} {'casebot p50':>12} {'p95':>7} {'p99':>7} {'max':>8} {'>3s':>4}"
            f" {'default p50':>12} {'pbr p50':>8} {'p99':>7} {'ratio/pbr':>9} {'busy after':>10}"
            f" {'pbr+lazy p50':>12} {'ratio':>6}"
        )
        # /case help is answered in the ack; /case list acks, then reads the database and posts to Slack.
        pbr_p50: dict[str, float] = {}  # concurrency 1, for the one-at-a-time ratio below
        for command_text in args.commands.split(","):
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                ours = timed_commands(casebot_port, args.requests, concurrency, command_text, user)
                busy_after = settle(casebot.pid)  # its lazy work, if any, done first
                default = timed_commands(default_port, args.requests, concurrency, command_text, user)
                pbr = timed_commands(pbr_port, args.requests, concurrency, command_text, user)
                # Bolt's lazy mechanism alone (one response_url answer per command), for the commands
                # Casebot answers lazily
                lazy = (
                    timed_commands(lazy_port, args.requests, concurrency, command_text, user)
                    if command_text != "help"
                    else None
                )
                if lazy:
                    settle(lazy_app.pid)
                if concurrency == 1:
                    pbr_p50[command_text] = p(pbr, 50)
                label = f"{command_text} ack"
                late = sum(1 for ms in ours if ms > 3000)
                print(
                    f"{label:10} {concurrency:>4} {p(ours, 50):>12.2f} {p(ours, 95):>7.2f} {p(ours, 99):>7.2f}"
                    f" {max(ours):>8.1f} {late:>4} {p(default, 50):>12.2f} {p(pbr, 50):>8.2f}"
                    f" {p(pbr, 99):>7.2f} {p(ours, 50) / p(pbr, 50):>9.2f} {busy_after:>9.1f}s"
                    + (f" {p(lazy, 50):>12.2f} {p(ours, 50) / p(lazy, 50):>6.2f}" if lazy else "")
                )
        print(f"load average after: {load()}")
    finally:
        for process in helpers:
            process.terminate()
            process.wait(10)

    if args.opens == 0 and args.homes == 0:
        engine.dispose()
        drop(url)
        return
    # /case new → views.open: from sending the command to the stand-in (in this process) receiving it
    with FakeSlack() as slack:
        casebot, casebot_port = start_casebot(url, slack.url)
        try:
            wait_up(casebot_port)
            events_url = f"http://127.0.0.1:{casebot_port}/slack/events"

            def report(label: str, gaps: list[float]) -> None:
                print(f"{label} (ms): p50 {p(gaps, 50):.2f}  p95 {p(gaps, 95):.2f}  (n={len(gaps)})")

            new = partial(slash_command, SECRET, text="new", user_id=user)
            report("/case new → views.open", until_call(slack, events_url, new, "views.open", args.opens))
            # the answer is the command's lazy work
            listed = partial(slash_command, SECRET, text="list", user_id=user)
            acks: list[float] = []
            report(
                "/case list → chat.postEphemeral, one at a time",
                until_call(slack, events_url, listed, "chat.postEphemeral", args.opens, acks),
            )
            # The same commands' acks: none of them shares the interpreter with an earlier answer's work
            ratio = f", {p(acks, 50) / pbr_p50['list']:.2f}× the pbr app's p50" if "list" in pbr_p50 else ""
            print(f"/case list ack, each answer awaited (ms): p50 {p(acks, 50):.2f}{ratio}  (n={len(acks)})")
            # App Home of a supervisor whose team holds cases/50 open cases (2,000 for 100,000)
            home = {"type": "app_home_opened", "user": supervisor_id(0), "tab": "home", "channel": "D0001"}
            report(
                f"App Home, supervisor of {args.cases // 50:,} open cases → views.publish",
                until_call(
                    slack, events_url, partial(event, SECRET, event=home), "views.publish", args.homes
                ),
            )
        finally:
            casebot.terminate()
            casebot.wait(10)
    engine.dispose()
    drop(url)


def drop(url: str) -> None:
    """The PostgreSQL database this run created goes away with it."""
    if not url.startswith("postgresql"):
        return
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
