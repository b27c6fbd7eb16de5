"""The supervisor's closure review (View.CLOSURE_REVIEW): the whole closure, then Approve or Return.

Opened from the approval DM's review button. It shows what the sign-off is about — the reason, each goal
with its attainment, both evaluations, whether the client was told, the after-care plan and the
hand-over — and takes the decision in the same modal (a return needs a comment). A modal is private to
the person who opened it; nothing of the closure goes into a message.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ids import View
from bot.metadata import ClosureReturn, MessageRef
from bot.views import blocks as b
from bot.views.history import closure_blocks
from models.enums import ClosureStatus
from models.services.case_file import ClosureEntry

APPROVE, RETURN = "approve", "return"
REVIEW_BLOCKS = ["decision", "comment"]


def review_modal(
    code: str,
    entry: ClosureEntry,
    locale: str,
    zone: ZoneInfo,
    *,
    channel: str | None = None,
    ts: str | None = None,
) -> dict:
    blocks = [
        b.context(t("closure.review.private", locale)),
        b.header(t("closure.review.heading", locale, code=code)),
        *closure_blocks(entry, locale, zone),
        b.divider(),
    ]
    if entry.status != ClosureStatus.PENDING:  # decided already: shown, nothing left to decide
        blocks.append(b.section(t("closure.review.decided", locale, status=entry.status.label(locale))))
        return b.modal(
            View.CLOSURE_REVIEW,
            t("closure.review.title", locale),
            blocks,
            close=t("closure.review.close", locale),
        )
    blocks += [
        b.radio(
            "decision",
            t("closure.review.decision", locale),
            [(t("closure.review.approve", locale), APPROVE), (t("closure.review.return", locale), RETURN)],
        ),
        b.text_input(
            "comment",
            t("closure.review.comment", locale),
            optional=True,
            multiline=True,
            max_length=2000,
            hint=t("closure.review.comment_hint", locale),
        ),
    ]
    return b.modal(
        View.CLOSURE_REVIEW,
        t("closure.review.title", locale),
        blocks,
        submit=t("closure.review.submit", locale),
        close=t("closure.review.close", locale),
        private_metadata=ClosureReturn(
            closure_id=entry.closure_id, message=MessageRef.of(channel, ts)
        ).dump(),
    )
