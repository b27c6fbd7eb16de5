"""Team boards in Slack: the morning post in each linked team channel, updated in place as items are done.

Never in a user's request path: a request only marks the team's post dirty (models/services/board_posts.py,
through `case_changed`); these functions run from the scheduler or `casebot reminders send`.

- `post_morning_boards`: for each team with a channel and no post today, claim the (team, day) row,
  commit, render, `chat.postMessage`, store ts and content hash. A failed post keeps its row without a
  ts and is tried again after `board_posts.RETRY_AFTER` (the back-off), by the minute job.
- `update_dirty_boards`: for today's dirty posts, clear the flag, re-render, and `chat.update` the same
  message only if the content hash changed. A failed update sets the flag again (retried next run).
- Slack's limits: about one message a second per channel (paced here); 429s and dropped connections
  are retried by the shared WebClient's handlers (bot/slack_client.py), which wait Retry-After.
- Working time only: nothing on weekends, Korean public holidays or outside working hours.

When the bot is not in the channel (not_in_channel) or the channel is gone, nobody is in a request
to tell ephemerally: the team's supervisors and admins (who can invite the bot or link another
channel) get one DM per team and day, and the log gets a line on every try.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.errors import SlackApiError

from bot.errors import loggable
from bot.views.board import board_message, channel_problem
from models.services import board, board_posts, idempotency
from models.staff import Team
from scheduler.pacing import ChannelPacer
from scheduler.runtime import Runtime

log = logging.getLogger("casebot.scheduler")
# Errors that retrying cannot fix: people must (invite the bot, or link a live channel).
CHANNEL_PROBLEMS = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "team_access_not_granted"}
)
# The message was deleted in Slack: post the board afresh.
MESSAGE_GONE = frozenset({"message_not_found", "cant_update_message"})


@dataclass
class BoardReport:
    outside_working_time: bool = False
    posted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        if outcome != "skipped":
            setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        if self.outside_working_time:
            return "Team boards: outside working time, nothing posted."
        return (
            f"Team boards: posted {self.posted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, failed {self.failed}"
        )


def content_hash(text: str, blocks: list[dict]) -> str:
    return hashlib.sha256(json.dumps([text, blocks], ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _today(runtime: Runtime, now: datetime) -> date:
    return now.astimezone(runtime.policy.zone).date()


def _render(runtime: Runtime, db, team_id: int, day: date) -> tuple[str, list[dict], str]:  # type: ignore[no-untyped-def]
    items = board.board_items(db, team_id, day, runtime.policy)
    text, blocks = board_message(items, runtime.default_locale)
    return text, blocks, content_hash(text, blocks)


def post_morning_boards(runtime: Runtime, now: datetime, *, pacer: ChannelPacer | None = None) -> BoardReport:
    report = BoardReport()
    if not runtime.calendar.is_working_time(now):
        report.outside_working_time = True
        return report
    pacer = pacer or ChannelPacer(runtime.channel_interval)
    day = _today(runtime, now)
    with runtime.uow() as db:
        teams = board_posts.teams_due_a_post(db, day, now)
    for team_id in teams:
        try:
            outcome = _post_one(runtime, team_id, day, now, pacer)
        except Exception as error:  # a database failure for one team must not stop the others' boards
            log.error("team board of team %s not posted\n%s", team_id, loggable(error))
            outcome = "failed"
        report.add(outcome)
    return report


def _post_one(runtime: Runtime, team_id: int, day: date, now: datetime, pacer: ChannelPacer) -> str:
    with runtime.uow() as db:  # the claim commits with the render, before Slack is called
        post = board_posts.claim_first_post(db, team_id, day, now)
        if post is None:
            return "skipped"  # posted meanwhile, or another sender has it
        post_id, channel = post.id, post.slack_channel_id
        text, blocks, digest = _render(runtime, db, team_id, day)
    pacer.wait(channel)
    try:
        response = runtime.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, OSError) as error:
        _failed(runtime, team_id, channel, day, "post", error)
        return "failed"  # the row keeps no ts: tried again after RETRY_AFTER
    finally:
        pacer.sent(channel)
    with runtime.uow() as db:
        board_posts.record_posted(db, post_id, str(response.get("ts")), digest, now)
    return "posted"


def update_dirty_boards(runtime: Runtime, now: datetime, *, pacer: ChannelPacer | None = None) -> BoardReport:
    report = BoardReport()
    if not runtime.calendar.is_working_time(now):
        report.outside_working_time = True
        return report
    pacer = pacer or ChannelPacer(runtime.channel_interval)
    day = _today(runtime, now)
    with runtime.uow() as db:
        dirty = board_posts.dirty_posts(db, day)
    for post_id in dirty:
        try:
            outcome = _update_one(runtime, post_id, day, pacer)
        except Exception as error:  # as above; the flag is set again, so the next run retries
            log.error("team board post %s not updated\n%s", post_id, loggable(error))
            outcome = "failed"
        report.add(outcome)
    return report


def _update_one(runtime: Runtime, post_id: int, day: date, pacer: ChannelPacer) -> str:
    # The flag is cleared in a short transaction of its own, before the render reads anything: a change
    # committed after the clear marks the post again, one committed before it is seen by the render.
    with runtime.uow() as db:
        post = board_posts.take_dirty(db, post_id)
        if post is None:
            return "skipped"
        team_id, channel, ts, shown = post.team_id, post.slack_channel_id, post.message_ts, post.content_hash
    try:
        with runtime.uow() as db:
            text, blocks, digest = _render(runtime, db, team_id, day)
    except Exception:
        with runtime.uow() as db:
            board_posts.mark_dirty(db, post_id)
        raise
    if digest == shown:
        return "unchanged"
    pacer.wait(channel)
    try:
        runtime.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except (SlackApiError, OSError) as error:
        code = _error_code(error)
        with runtime.uow() as db:
            if code in MESSAGE_GONE:
                board_posts.forget_message(db, post_id)
            elif code not in CHANNEL_PROBLEMS:  # retrying cannot fix those; a later change tries again
                board_posts.mark_dirty(db, post_id)
        _failed(runtime, team_id, channel, day, "update", error)
        return "failed"
    finally:
        pacer.sent(channel)
    with runtime.uow() as db:
        board_posts.record_updated(db, post_id, digest)
    return "updated"


def refresh_boards(runtime: Runtime, now: datetime) -> BoardReport:
    """Post what is missing today (a channel linked later, a failed or interrupted post), then update."""
    pacer = ChannelPacer(runtime.channel_interval)
    posted = post_morning_boards(runtime, now, pacer=pacer)
    if posted.outside_working_time:
        return posted
    updated = update_dirty_boards(runtime, now, pacer=pacer)
    return BoardReport(
        posted=posted.posted,
        updated=updated.updated,
        unchanged=updated.unchanged,
        failed=posted.failed + updated.failed,
    )


def _error_code(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "")
    return type(error).__name__


def _failed(runtime: Runtime, team_id: int, channel: str, day: date, what: str, error: Exception) -> None:
    code = _error_code(error)
    log.error(
        "team board of team %s not %s in %s (%s)\n%s", team_id, what + "ed", channel, code, loggable(error)
    )
    if code in CHANNEL_PROBLEMS:
        _tell_keepers(runtime, team_id, channel, day, code)


def _tell_keepers(runtime: Runtime, team_id: int, channel: str, day: date, code: str) -> None:
    """One DM per team and day to whoever can fix the channel; the key is kept even if a DM fails
    (a log line says so), so a broken channel never turns into a DM every few minutes."""

    def who(db):  # type: ignore[no-untyped-def]
        team = db.get_one(Team, team_id)
        people = [
            [m.slack_user_id, m.locale or runtime.default_locale] for m in board.channel_keepers(db, team_id)
        ]
        return {"team": team.name, "people": people}

    try:
        result, first = idempotency.once(runtime.uow, f"board:channel_problem:{team_id}:{day}", who)
    except Exception as error:  # reporting must never stop the other teams' boards
        log.error("could not record the channel problem of team %s\n%s", team_id, loggable(error))
        return
    if not first:
        return
    for slack_id, locale in result["people"]:  # type: ignore[union-attr]
        try:
            runtime.client.chat_postMessage(
                channel=slack_id, text=channel_problem(str(result["team"]), channel, code, locale)
            )
        except (SlackApiError, OSError) as error:
            log.error("could not tell %s about team %s's channel\n%s", slack_id, team_id, loggable(error))
