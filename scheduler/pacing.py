"""Slack's pace for messages: about one `chat.postMessage` a second per channel (its special rate limit).

The sweep and the team boards keep at least `interval` seconds between two messages to one channel.
The interval is the setting SLACK_CHANNEL_INTERVAL_SECONDS (1 s, Slack's figure); only against a
stand-in that has no such limit (the tests) is it set lower.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PER_CHANNEL_INTERVAL = 1.0  # Slack allows about one message per second per channel


class ChannelPacer:
    """Keeps at least `interval` seconds between two messages to one channel."""

    def __init__(
        self, interval: float = PER_CHANNEL_INTERVAL, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = interval
        self.sleep = sleep
        self.last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        gap = self.interval - (time.monotonic() - self.last.get(channel, -1e9))
        if gap > 0:
            self.sleep(gap)

    def sent(self, channel: str) -> None:
        self.last[channel] = time.monotonic()
