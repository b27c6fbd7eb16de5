"""Global middleware that needs only the request's context, without Bolt's argument injection."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltContext
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

Step = Callable[[BoltContext, Callable[[], None]], None]


class ContextMiddleware(Middleware):
    """`step(context, next)` run before every listener.

    A function given to `app.middleware` has its arguments injected: Bolt builds all thirty-odd
    injectable values on every call, about as much CPU as the step itself, and Casebot's steps run
    before every ack. These only need the context (whose `client` is the request's WebClient).
    """

    def __init__(self, step: Step) -> None:
        self.step = step

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        self.step(req.context, next)
        return resp

    @property
    def name(self) -> str:
        return f"ContextMiddleware({self.step.__name__})"
