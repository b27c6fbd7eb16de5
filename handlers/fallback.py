"""What answers a form or a button no other listener knows: an old modal left open across a release, a
button of a message the app no longer makes, or a forged payload. Slack shows the person an error for
an unanswered request (Bolt answers it with a 404), so each gets an answer in their language instead.

`handlers.register_all` registers this module after every other one: Bolt tries listeners in order, so
these catch-all patterns only see what nothing else matched.
"""

from __future__ import annotations

import logging
import re

from bot.i18n import t
from bot.ids import View
from bot.listeners import Listeners, Turn
from bot.views.blocks import modal, section

log = logging.getLogger("casebot")
ANYTHING = re.compile(".*")


def register(on: Listeners) -> None:
    on.view(ANYTHING, ack=retired_form)
    on.action(ANYTHING, lazy=[retired_button])


def retired_form(turn: Turn) -> None:
    """The modal is replaced by a notice: what was typed cannot be saved by any form of this version."""
    log.info(
        "a submission of an unknown form %r was answered as retired", str(turn.view.get("callback_id"))[:80]
    )
    locale = turn.locale
    notice = modal(
        View.DONE,
        t("fallback.title", locale),
        [section(t("fallback.form", locale))],
        close=t("fallback.close", locale),
    )
    turn.ack(response_action="update", view=notice)


def retired_button(turn: Turn) -> None:
    action = turn.action
    if action.get("url"):
        return  # a link button: Slack opened the link, the app has nothing to do
    log.info("a click on an unknown action %r was answered as retired", str(action.get("action_id"))[:80])
    turn.tell(t("fallback.button", turn.locale))
