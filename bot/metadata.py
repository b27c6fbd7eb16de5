"""What the app leaves in Slack to read back later: modals' `private_metadata` and buttons' `value`s.

Each kind of value is a small pydantic model. Views write one with `Model(...).dump()` (compact JSON,
no null fields); listeners read one back with `Model.read(text)`, which returns None for anything that
is not exactly what the app wrote: not JSON, another shape, extra or missing keys, a wrong type (a
string where the app wrote a number), an id out of range, a code or channel of the wrong shape, text
longer than Slack would keep. Slack hands these values back as the app wrote them, so None means a
stale, forged or malformed payload, which the listener answers as it answers "not found": a field error
under the modal's first input, or nothing at all for a button. `read` never raises.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from models.enums import ConsentMethod, ReferralStatus, TaskStatus
from models.services.access import CODE_SHAPE
from models.services.case_file import Section
from models.services.forms import Form

MAX_ID = 2**31 - 1  # primary keys are 32-bit integers on PostgreSQL
MAX_TEXT = 3000  # Slack keeps up to 3000 characters of private_metadata and 2000 of a button's value

CONVERSATION_ID = re.compile(r"[CDG][A-Z0-9]{2,31}")
MESSAGE_TS = re.compile(r"\d{1,12}\.\d{1,9}")


def _shaped(pattern: re.Pattern[str]) -> AfterValidator:
    def check(text: str) -> str:
        if not pattern.fullmatch(text):
            raise ValueError(f"not shaped like {pattern.pattern}")
        return text

    return AfterValidator(check)


RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
CaseCode = Annotated[str, StringConstraints(max_length=32), _shaped(CODE_SHAPE)]
ConversationId = Annotated[str, StringConstraints(max_length=32), _shaped(CONVERSATION_ID)]
MessageTs = Annotated[str, StringConstraints(max_length=32), _shaped(MESSAGE_TS)]


def conversation_id(value: Any) -> str | None:
    """A channel or DM id as Slack gives it; None for anything else (nothing is posted there)."""
    return value if isinstance(value, str) and CONVERSATION_ID.fullmatch(value) else None


def option_id(option: Any) -> int | None:
    """The record id a select option carries as its value ("12"); None for anything else."""
    value = option.get("value") if isinstance(option, dict) else None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,10}", value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class SlackValue(BaseModel):
    """A value the app puts in Slack and reads back; see the module's docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def read(cls, text: Any) -> Self | None:
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            return None
        try:
            return cls.model_validate_json(text)
        except ValueError:  # pydantic's ValidationError, or text Python cannot encode (a lone surrogate)
            return None


# ------------------------------------------------------------------ one record or page


class CaseRef(SlackValue):
    """A case's buttons (open a dialogue, show) and the modals of one case (classify, share)."""

    code: CaseCode


class PageRef(SlackValue):
    """The App Home's page buttons, and the page the Home shows."""

    page: Annotated[int, Field(ge=0, le=MAX_ID)]


class ChannelRef(SlackValue):
    """A modal opened from a channel (intake, the plan's done modal, a new conference): where to answer."""

    channel: ConversationId


class CaseInChannel(SlackValue):
    """The plan and referral modals: the case, and the channel they were opened from (if any)."""

    code: CaseCode
    channel: ConversationId | None = None


class HistoryPage(SlackValue):
    """The history modal's section and page buttons: the case, the section, the page (from 0)."""

    code: CaseCode
    section: Section
    page: Annotated[int, Field(ge=0, le=10_000)] = 0


class StatsMonth(SlackValue):
    """The statistics modal's download button: the month shown."""

    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class PrintRequest(SlackValue):
    """The history modal's print buttons: the case and the form."""

    code: CaseCode
    form: Form


# ------------------------------------------------------------------ assessment, plans, referrals


class AssessmentStep(SlackValue):
    """The assessment modal: the draft, the step it shows, its case."""

    assessment_id: RecordId
    step: Annotated[int, Field(ge=0, le=100)]
    code: CaseCode


class PlanAgreement(SlackValue):
    """The "client agreed" button of a plan that waits for agreement."""

    plan_id: RecordId
    code: CaseCode
    method: ConsentMethod


class PlanReviewRef(SlackValue):
    """The plan review modal: the case and the plan in force it showed."""

    code: CaseCode
    plan_id: RecordId
    goal_ids: Annotated[list[RecordId], Field(min_length=1, max_length=10)]


class TaskPick(SlackValue):
    """A task's status chosen on the App Home, or the "mark done" button of its nudge."""

    task_id: RecordId
    status: TaskStatus


class ReferralMove(SlackValue):
    """A referral status button in the case manager's DM."""

    referral_id: RecordId
    to: ReferralStatus


class ReferFrom(SlackValue):
    """The referral modal's private_metadata: the case, where it was opened, and the after-care check
    it was opened from (a case in after-care is referred only from its LINK check)."""

    code: CaseCode
    channel: ConversationId | None = None
    check_id: RecordId | None = None


class ReferralOutcome(SlackValue):
    """The referral outcome modal's private_metadata: the move, and the DM whose buttons made it (to
    show the new status there)."""

    referral_id: RecordId
    to: ReferralStatus
    message: MessageRef | None = None


class Snooze(SlackValue):
    """A nudge's snooze buttons: the reminder, and how many days (the nudges offer 1 and 7)."""

    reminder_id: RecordId
    days: Annotated[int, Field(ge=1, le=30)]  # a button's value is never trusted further


# ------------------------------------------------------------------ supervision


class WorkerRef(SlackValue):
    """The supervision modal: the worker the session is about."""

    worker: RecordId


class FollowUpRef(SlackValue):
    """A supervision follow-up's done button (its nudge and the follow-ups modal)."""

    session_id: RecordId
    number: Annotated[int, Field(ge=1, le=20)]


# ------------------------------------------------------------------ consents


class ConsentOpen(SlackValue):
    """A button that opens the consent dialogue; `renew` (an expiry nudge) opens it with the consent
    that ends first ready to renew."""

    code: CaseCode
    renew: bool = False


class ConsentPick(SlackValue):
    """A consent's renew and withdraw buttons in the dialogue, and the withdrawal modal."""

    code: CaseCode
    consent_id: RecordId


class ConsentForm(SlackValue):
    """The consent modal: its case, and the consent it renews (if a renewal)."""

    code: CaseCode
    renews: RecordId | None = None


# ------------------------------------------------------------------ notes


class MessageRef(SlackValue):
    """A Slack message: its channel and ts."""

    channel: ConversationId
    ts: MessageTs

    @classmethod
    def of(cls, channel: Any, ts: Any) -> MessageRef | None:
        """The message Slack names in a shortcut's payload; None if either part is not shaped right."""
        if conversation_id(channel) is None or not isinstance(ts, str) or not MESSAGE_TS.fullmatch(ts):
            return None
        return cls(channel=channel, ts=ts)


class NoteMeta(SlackValue):
    """The note modal: its case (none when the case is chosen in the modal) and the message it was
    made from (the "add as a note" shortcut)."""

    code: CaseCode | None = None
    source: MessageRef | None = None


# ------------------------------------------------------------------ closure and after-care


class ResourceRef(SlackValue):
    """The admin desk's "verified" button of a resource."""

    resource_id: RecordId


class ClosureRef(SlackValue):
    """The approve and return buttons of a closure request."""

    closure_id: RecordId


class ClosureDraft(SlackValue):
    """The closure modal: the case and the ids of the goals it rates."""

    code: CaseCode
    goals: list[RecordId] = Field(max_length=200)


class ClosureReturn(SlackValue):
    """The return modal: the closure, and the supervisor's DM with its buttons (to update) if known."""

    closure_id: RecordId
    message: MessageRef | None = None


class AftercareRef(SlackValue):
    """The after-care modal: the case and the check it records."""

    code: CaseCode
    check_id: RecordId


# ------------------------------------------------------------------ conferences


class ConferenceRef(SlackValue):
    """A conference's buttons and the agenda, reschedule and cancel modals."""

    conference_id: RecordId


class AgendaRequestRef(SlackValue):
    """The agree and refuse buttons of a DM asking a team's supervisors for a case (통합사례회의)."""

    request_id: RecordId


class ConferenceRecord(SlackValue):
    """The record modal: the conference and its agenda's case codes, one decision row each."""

    conference_id: RecordId
    codes: list[CaseCode] = Field(max_length=100)


class ActionItemRef(SlackValue):
    """An action item's buttons (done, show)."""

    item_id: RecordId


def channel_ref(channel: Any) -> str:
    """The metadata of a modal opened in a conversation: that channel; "" when opened elsewhere (the
    App Home) or when the id is not shaped like a conversation's."""
    found = conversation_id(channel)
    return ChannelRef(channel=found).dump() if found else ""
