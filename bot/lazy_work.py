"""The executor Bolt runs lazy listener functions on, and how it is drained when the process stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("casebot")


@dataclass(frozen=True)
class Drained:
    finished: int  # work that was queued or running when the drain began and finished in time
    abandoned_running: int  # still running at the deadline (a Slack or database call that hung)
    not_started: int  # never started: dropped, logged by count


class LazyWork(Executor):
    """Bolt's `listener_executor`: the work listeners do after their ack, `workers` at a time, in order.

    It is Bolt's documented option (`App(listener_executor=...)`); this class only adds what a graceful
    stop needs: what is pending can be waited for, with a deadline, and what never started is counted.
    """

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="casebot-lazy")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._closed:
                raise RuntimeError("shutting down: no new work")
            future = self._pool.submit(fn, *args, **kwargs)
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running (work started meanwhile included); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            wait(pending, timeout=remaining)

    def drain(self, timeout: float) -> Drained:
        """Take no more work, wait up to `timeout` seconds for what is queued or running, and drop the
        rest of the queue."""
        with self._lock:
            self._closed = True
            pending = set(self._pending)
        done, undone = wait(pending, timeout=timeout)
        not_started = sum(1 for future in undone if future.cancel())
        self._pool.shutdown(wait=False, cancel_futures=True)
        return Drained(len(done), len(undone) - not_started, not_started)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
