"""Where the app's changeable messages are, so that they can be brought up to date later.

Each supervisor's closure-approval DM is remembered when it is sent; when one of them decides, every
one of those DMs is updated to say who decided and when (handlers/closure.py), so no live buttons stay
behind in the others' DMs. Only Slack coordinates are kept, never text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.message_ref import MessageRef
from models.staff import StaffMember


@dataclass(frozen=True)
class SentMessage:
    channel: str
    ts: str
    recipient_slack_id: str | None
    locale: str | None  # the recipient's language, when known


def remember_closure_request(
    db: Session, closure_id: int, recipient_slack_id: str, *, channel: str, ts: str
) -> None:
    recipient = db.scalar(select(StaffMember.id).where(StaffMember.slack_user_id == recipient_slack_id))
    db.add(MessageRef(closure_id=closure_id, recipient_id=recipient, channel=channel, ts=ts))


def closure_requests(db: Session, closure_id: int) -> list[SentMessage]:
    """The approval-request DMs sent for a closure, oldest first."""
    rows = db.execute(
        select(MessageRef.channel, MessageRef.ts, StaffMember.slack_user_id, StaffMember.locale)
        .outerjoin(StaffMember, StaffMember.id == MessageRef.recipient_id)
        .where(MessageRef.closure_id == closure_id)
        .order_by(MessageRef.id)
    ).all()
    return [SentMessage(channel, ts, slack_id, locale) for channel, ts, slack_id, locale in rows]
