"""사례회의: scheduling, the agenda by case code, outcomes and action items, and their reminders.

Conference content (questions, decisions, action items) is case content: it stays in the database and
in modals shown to people allowed to see it. Reminders carry the conference type, time and case codes.

Reminder rows of a conference carry `conference_id` and a key `conf:{id}:{local start}:{kind}:{who}`,
so a reschedule makes new keys and `refresh_conference` cancels the old pending ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.cadence import add_months, at_local
from models.case import Case
from models.conference import ActionItem, AgendaRequest, CaseConference, ConferenceCase, ConferenceParticipant
from models.enums import (
    AgendaRequestStatus,
    AuditAction,
    CaseStatus,
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceStatus,
    ConferenceType,
    ConsentScope,
    ReminderKind,
    ReminderStatus,
    StaffRole,
    Stage,
    TaskStatus,
)
from models.errors import DomainError, InvalidInput, Message, NotAllowed, NotFound, RuleViolation
from models.reminder import Reminder
from models.schemas import ConferenceCaseInput, ConferenceInput, OutcomeInput, RescheduleInput
from models.services import access, reminders
from models.services.audit import record_access, record_event
from models.services.calendar import WorkCalendar
from models.services.changes import case_changed
from models.services.consents import sharing_consent_for
from models.services.context import Ctx, Policy
from models.services.desk import snapshots
from models.services.lifecycle import derive
from models.staff import StaffMember, Team

# Days before the meeting for the reminders sent at the working morning (domain.md §4).
BEFORE_MEETING: tuple[tuple[ReminderKind, int], ...] = (
    (ReminderKind.CONFERENCE_AGENDA, 7),
    (ReminderKind.CONFERENCE_PAPERS, 3),
    (ReminderKind.CONFERENCE_DAY_BEFORE, 1),
)
SOON_BEFORE = timedelta(hours=1)
# The second prompt to record the outcome, if the first was not acted on (domain.md §4: D+2 minutes).
RECORD_AGAIN_DAYS = 2
ACTION_ITEM_LEAD_DAYS = 2  # as the case reminders: an action item is nudged two days before it is due
# Reminders that only make sense before the meeting starts; the sweep drops them after that.
PRE_MEETING_KINDS = frozenset(
    {
        ReminderKind.CONFERENCE_AGENDA,
        ReminderKind.CONFERENCE_PAPERS,
        ReminderKind.CONFERENCE_DAY_BEFORE,
        ReminderKind.CONFERENCE_SOON,
    }
)
# The order of the steps before a meeting: the latest due one speaks for any folded into it.
STEP_ORDER = {
    ReminderKind.CONFERENCE_AGENDA: 1,
    ReminderKind.CONFERENCE_PAPERS: 2,
    ReminderKind.CONFERENCE_DAY_BEFORE: 3,
    ReminderKind.CONFERENCE_SOON: 4,
}
# Participants get these by DM even when the conference has a channel.
PARTICIPANT_KINDS = frozenset({ReminderKind.CONFERENCE_DAY_BEFORE, ReminderKind.CONFERENCE_SOON})
CONFERENCE_KINDS = frozenset(
    {*PRE_MEETING_KINDS, ReminderKind.CONFERENCE_RECORD, ReminderKind.CONFERENCE_CANCELLED}
)
# Keys of the case reminders for action items: `case:{id}:e{episode}:ACTION_ITEM:{item id}:{due}`.
_CASE_ACTION_ITEM_KEY = re.compile(rf":{ReminderKind.ACTION_ITEM.value}:(\d+):")
_CONFERENCE_ACTION_ITEM_KEY = re.compile(r"^conf:\d+:item:(\d+):")

NO_CONFERENCE = Message("conferences.errors.no_case_conference")
NOT_ORGANISER = Message("conferences.errors.chair_person_who_scheduled")
NOT_TEAM = Message("conferences.errors.conference_belongs_another_team")


class CaseRefused(NotAllowed, InvalidInput):
    """A case on the agenda that the actor may not see: audited as a refusal by the unit of work
    (a NotAllowed), shown under the field it was typed in (an InvalidInput)."""

    def __init__(self, field: str, message: Message, refusal: NotAllowed) -> None:
        DomainError.__init__(self, message)
        self.errors = {field: message}
        self.actor_id, self.actor_ref = refusal.actor_id, refusal.actor_ref
        self.case_id, self.case_code = refusal.case_id, refusal.case_code
        self.surface, self.detail = refusal.surface, refusal.detail


# ------------------------------------------------------------------ what callers read


@dataclass(frozen=True)
class AgendaItem:
    """One case on the agenda. Only `question` is case content; it is filled for modal viewers allowed
    to see the case and never for messages."""

    code: str
    purpose: ConferencePurpose
    stage: Stage
    overdue: int
    max_severity: int | None  # of the latest completed assessment; None before any
    open_referrals: int
    third_party_consent: bool  # standard agenda (8): consent check before externals hear the case
    question: str | None = None
    decision: str | None = None


@dataclass(frozen=True)
class ConferenceBrief:
    """What lists, modals and reminders show of a conference; no case content."""

    id: int
    conference_type: ConferenceType
    status: ConferenceStatus
    scheduled_at: datetime
    duration_minutes: int
    channel_id: str | None
    chair_id: int
    chair_name: str
    recurrence: ConferenceRecurrence
    series_key: str | None
    recorded: bool
    codes: tuple[str, ...]
    external_count: int
    can_change: bool = False

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)


def brief(db: Session, conference: CaseConference, actor: StaffMember | None = None) -> ConferenceBrief:
    chair = db.get(StaffMember, conference.chair_id)
    codes = _codes(db, conference)
    return ConferenceBrief(
        id=conference.id,
        conference_type=conference.conference_type,
        status=conference.status,
        scheduled_at=conference.scheduled_at,
        duration_minutes=conference.duration_minutes,
        channel_id=conference.slack_channel_id,
        chair_id=conference.chair_id,
        chair_name=chair.display_name if chair else "",
        recurrence=conference.recurrence,
        series_key=conference.series_key,
        recorded=conference.recorded_at is not None,
        codes=tuple(codes[c.case_id] for c in conference.cases),
        external_count=sum(1 for p in conference.participants if p.external),
        can_change=actor is not None and _is_organiser(actor, conference),
    )


def _codes(db: Session, conference: CaseConference) -> dict[int, str]:
    ids = [c.case_id for c in conference.cases]
    return dict(db.execute(select(Case.id, Case.code).where(Case.id.in_(ids))).all()) if ids else {}


# ------------------------------------------------------------------ who may


def _is_organiser(staff: StaffMember, conference: CaseConference) -> bool:
    if not staff.active or staff.role == StaffRole.ADMIN:
        return False
    if staff.id in (conference.chair_id, conference.created_by_id):
        return True
    return staff.role == StaffRole.SUPERVISOR and staff.team_id == conference.team_id


def _may_view(staff: StaffMember, conference: CaseConference) -> bool:
    if not staff.active or staff.role == StaffRole.ADMIN:
        return False
    if staff.team_id == conference.team_id or _is_organiser(staff, conference):
        return True
    return any(p.staff_id == staff.id for p in conference.participants)


def _refuse(ctx: Ctx, detail: str, message: Message) -> NotAllowed:
    return access.refuse(ctx, None, detail, message)


def load(db: Session, ctx: Ctx, conference_id: int) -> CaseConference:
    """A conference the actor may see (team members, participants, the chair)."""
    access.require_active(ctx)
    conference = db.get(CaseConference, conference_id)
    if conference is None:
        raise NotFound(NO_CONFERENCE)
    if not _may_view(ctx.actor, conference):
        raise _refuse(ctx, f"conference {conference_id}", NOT_TEAM)
    return conference


def _load_to_change(db: Session, ctx: Ctx, conference_id: int, purpose: str) -> CaseConference:
    conference = load(db, ctx, conference_id)
    if not _is_organiser(ctx.actor, conference):
        raise _refuse(ctx, f"{purpose} conference {conference_id}", NOT_ORGANISER)
    if conference.status == ConferenceStatus.CANCELLED:
        raise RuleViolation(
            "CONFERENCE_CANCELLED",
            Message("conferences.errors.conference_been_cancelled"),
        )
    return conference


# ------------------------------------------------------------------ scheduling


def _active_staff(db: Session, ids: list[int]) -> dict[int, StaffMember]:
    found = db.scalars(select(StaffMember).where(StaffMember.id.in_(ids))) if ids else []
    return {m.id: m for m in found if m.active and m.role != StaffRole.ADMIN}


def _agenda_cases(
    db: Session, ctx: Ctx, cases: list[ConferenceCaseInput], *, integrated: bool = False
) -> list[Case]:
    """The cases by code, each visible to the actor; an unknown or hidden code is an error on its
    row's field (`cases.{index}.code`). At an integrated conference (통합사례회의) a case of another
    team of the deployment may be named too: it is asked for (`needs_agreement`), not put on the agenda."""
    found = []
    for index, entry in enumerate(cases):
        field = f"cases.{index}.code"
        case = db.scalar(select(Case).where(Case.code == entry.code))
        if case is None:
            raise InvalidInput({field: Message("conferences.errors.no_case", code=entry.code)})
        if not access.can_access(db, ctx.actor, case, today=ctx.today) and not (
            integrated and needs_agreement(db, ctx, case)
        ):
            message = Message("conferences.errors.not_access_case_put", code=entry.code)
            raise CaseRefused(field, message, access.refuse(ctx, case, "conference agenda"))
        if case.status == CaseStatus.ARCHIVED:
            raise InvalidInput({field: Message("conferences.errors.case_archived", code=entry.code)})
        found.append(case)
    return found


def needs_agreement(db: Session, ctx: Ctx, case: Case) -> bool:
    """A case of another team that the actor does not see, with a supervisor there to agree to it."""
    if case.team_id == ctx.actor.team_id or access.can_access(db, ctx.actor, case, today=ctx.today):
        return False
    return bool(access.case_supervisors(db, case, today=ctx.today))


def _ask_for(
    db: Session, ctx: Ctx, conference: CaseConference, case: Case, entry: ConferenceCaseInput
) -> AgendaRequest:
    """Ask the case's team for it (its supervisors get a DM: `pending_requests`); logged on its timeline."""
    request = AgendaRequest(
        conference_id=conference.id,
        case_id=case.id,
        purpose=entry.purpose,
        question=entry.question,
        status=AgendaRequestStatus.PENDING,
        requested_by_id=ctx.actor.id,
        requested_at=ctx.now,
    )
    db.add(request)
    db.flush()
    record_event(db, ctx, case, "conference_agenda_requested", conference=conference.id, request=request.id)
    return request


def _require_sharing_basis(db: Session, ctx: Ctx, cases: list[Case], organisations: list[str]) -> None:
    """R5: a case is discussed with outside members only under a THIRD_PARTY consent naming each
    member's organisation; otherwise the agenda row says so (the case can go to an internal meeting)."""
    for index, case in enumerate(cases):
        for organisation in organisations:
            if sharing_consent_for(db, case, organisation, ctx.today) is None:
                raise InvalidInput(
                    {
                        f"cases.{index}.code": Message(
                            "conferences.errors.no_third_party_consent",
                            code=case.code,
                            organisation=organisation,
                        )
                    }
                )


def occurrence_times(
    first: datetime, recurrence: ConferenceRecurrence, count: int, policy: Policy
) -> list[datetime]:
    """The start of every occurrence, the same local time each time (months keep the day, clamped)."""
    local = first.astimezone(policy.zone)
    times = []
    for index in range(count):
        match recurrence:
            case ConferenceRecurrence.WEEKLY:
                day = local.date() + timedelta(weeks=index)
            case ConferenceRecurrence.BIWEEKLY:
                day = local.date() + timedelta(weeks=2 * index)
            case ConferenceRecurrence.MONTHLY:
                day = add_months(local.date(), index)
            case _:
                day = local.date()
        times.append(datetime.combine(day, local.time(), tzinfo=policy.zone))
    return times


def _require_future(ctx: Ctx, moment: datetime) -> None:
    if moment <= ctx.now:
        raise InvalidInput({"scheduled_at": Message("conferences.errors.time_passed_choose_time")})


def schedule(db: Session, ctx: Ctx, data: ConferenceInput) -> list[CaseConference]:
    """Schedule a conference (or every occurrence of a series); returns the occurrences in order."""
    access.require_active(ctx)
    actor = ctx.actor
    if actor.role == StaffRole.ADMIN:
        raise _refuse(
            ctx,
            "schedule conference",
            Message("conferences.errors.administrators_schedule_case_conferences"),
        )
    _require_future(ctx, data.scheduled_at)
    chair_id = data.chair_id or actor.id
    chair = _active_staff(db, [chair_id]).get(chair_id)
    if chair is None or chair.team_id != actor.team_id:
        raise InvalidInput({"chair_id": Message("conferences.errors.chair_must_team")})
    participants = _active_staff(db, data.participant_ids)
    missing = [i for i in data.participant_ids if i not in participants]
    if missing:
        raise InvalidInput(
            {"participant_ids": Message("conferences.errors.some_participants_not_registered")}
        )
    integrated = data.conference_type == ConferenceType.INTEGRATED
    cases = _agenda_cases(db, ctx, data.cases, integrated=integrated)
    _require_sharing_basis(db, ctx, cases, [e.organisation for e in data.externals])
    asked = {case.id for case in cases if integrated and needs_agreement(db, ctx, case)}
    times = occurrence_times(data.scheduled_at, data.recurrence, data.occurrences, ctx.policy)
    series_key = uuid.uuid4().hex if len(times) > 1 else None
    conferences = []
    for index, moment in enumerate(times):
        conference = CaseConference(
            team_id=actor.team_id,
            conference_type=data.conference_type,
            status=ConferenceStatus.SCHEDULED,
            scheduled_at=moment,
            duration_minutes=data.duration_minutes,
            slack_channel_id=data.slack_channel_id,
            chair_id=chair.id,
            created_by_id=actor.id,
            series_key=series_key,
            recurrence=data.recurrence,
            created_at=ctx.now,
        )
        conference.participants = [
            ConferenceParticipant(staff_id=staff_id) for staff_id in dict.fromkeys(data.participant_ids)
        ] + [
            ConferenceParticipant(
                external=True,
                external_name=e.name,
                organisation=e.organisation,
                role=e.role,
                confidentiality_pledge=e.confidentiality_pledge,
            )
            for e in data.externals
        ]
        # The cases go on the first occurrence; later ones get theirs from the D-7 agenda call.
        if index == 0:
            conference.cases = [
                ConferenceCase(case_id=case.id, purpose=entry.purpose, question=entry.question)
                for case, entry in zip(cases, data.cases, strict=True)
                if case.id not in asked
            ]
        db.add(conference)
        conferences.append(conference)
    db.flush()
    first = conferences[0]
    for case, entry in zip(cases, data.cases, strict=True):
        if case.id in asked:  # another team's case: on the agenda once its supervisor agrees
            _ask_for(db, ctx, first, case, entry)
            continue
        record_event(
            db, ctx, case, "conference_scheduled", conference=first.id, type=data.conference_type.value
        )
    record_access(
        db, ctx, None, AuditAction.CREATE, "conference", f"{len(conferences)} occurrence(s) from #{first.id}"
    )
    for conference in conferences:
        refresh_conference(db, conference, ctx.policy, now=ctx.now)
    return conferences


def add_cases(
    db: Session, ctx: Ctx, conference_id: int, entries: list[ConferenceCaseInput]
) -> CaseConference:
    """Put more cases on a scheduled conference's agenda (answering the D-7 agenda call)."""
    conference = load(db, ctx, conference_id)
    if conference.status != ConferenceStatus.SCHEDULED:
        raise RuleViolation(
            "CONFERENCE_NOT_SCHEDULED",
            Message("conferences.errors.scheduled_conference_takes_new"),
        )
    integrated = conference.conference_type == ConferenceType.INTEGRATED
    cases = _agenda_cases(db, ctx, entries, integrated=integrated)
    _require_sharing_basis(
        db, ctx, cases, [p.organisation or "" for p in conference.participants if p.external]
    )
    already = {c.case_id for c in conference.cases}
    already |= set(
        db.scalars(select(AgendaRequest.case_id).where(AgendaRequest.conference_id == conference.id))
    )
    for index, (case, entry) in enumerate(zip(cases, entries, strict=True)):
        if case.id in already:
            raise InvalidInput(
                {f"cases.{index}.code": Message("conferences.errors.already_agenda", code=case.code)}
            )
        if integrated and needs_agreement(db, ctx, case):
            _ask_for(db, ctx, conference, case, entry)
            already.add(case.id)
            continue
        conference.cases.append(
            ConferenceCase(case_id=case.id, purpose=entry.purpose, question=entry.question)
        )
        already.add(case.id)  # the same code twice in one submission: the second row says so
        record_event(db, ctx, case, "conference_agenda_added", conference=conference.id)
    db.flush()
    return conference


def reschedule(db: Session, ctx: Ctx, conference_id: int, data: RescheduleInput) -> CaseConference:
    """Move one occurrence; its pending reminders are replaced by ones for the new time."""
    conference = _load_to_change(db, ctx, conference_id, "reschedule")
    if conference.status != ConferenceStatus.SCHEDULED:
        raise RuleViolation(
            "CONFERENCE_HELD",
            Message("conferences.errors.conference_been_held_moved"),
        )
    _require_future(ctx, data.scheduled_at)
    previous = conference.scheduled_at
    conference.scheduled_at = data.scheduled_at
    if data.duration_minutes:
        conference.duration_minutes = data.duration_minutes
    db.flush()
    for case in _cases_of(db, conference):
        record_event(
            db,
            ctx,
            case,
            "conference_rescheduled",
            conference=conference.id,
            to=data.scheduled_at.isoformat(),
        )
    record_access(
        db, ctx, None, AuditAction.UPDATE, "conference", f"#{conference.id} moved from {previous.isoformat()}"
    )
    refresh_conference(db, conference, ctx.policy, now=ctx.now)
    return conference


def cancel(db: Session, ctx: Ctx, conference_id: int, *, following: bool = False) -> list[CaseConference]:
    """Cancel one occurrence, or it and the later scheduled ones of its series; pending reminders go."""
    conference = _load_to_change(db, ctx, conference_id, "cancel")
    if conference.status != ConferenceStatus.SCHEDULED:
        raise RuleViolation(
            "CONFERENCE_HELD",
            Message("conferences.errors.conference_been_held_cancelled"),
        )
    targets = [conference]
    if following and conference.series_key:
        targets += list(
            db.scalars(
                select(CaseConference)
                .where(
                    CaseConference.series_key == conference.series_key,
                    CaseConference.scheduled_at > conference.scheduled_at,
                    CaseConference.status == ConferenceStatus.SCHEDULED,
                )
                .order_by(CaseConference.scheduled_at)
            )
        )
    for target in targets:
        target.status = ConferenceStatus.CANCELLED
        target.cancelled_at = ctx.now
        for case in _cases_of(db, target):
            record_event(db, ctx, case, "conference_cancelled", conference=target.id)
    db.flush()
    record_access(
        db, ctx, None, AuditAction.UPDATE, "conference", f"cancelled {', '.join(f'#{c.id}' for c in targets)}"
    )
    for target in targets:
        refresh_conference(db, target, ctx.policy, now=ctx.now)
    return targets


def _cases_of(db: Session, conference: CaseConference) -> list[Case]:
    ids = [c.case_id for c in conference.cases]
    return list(db.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.code))) if ids else []


# ------------------------------------------------------------------ outcome and action items


def record_outcome(db: Session, ctx: Ctx, conference_id: int, data: OutcomeInput) -> CaseConference:
    """The chair records decisions per case and action items; the conference is HELD."""
    conference = _load_to_change(db, ctx, conference_id, "record")
    if conference.recorded_at is not None:
        raise RuleViolation(
            "CONFERENCE_RECORDED",
            Message("conferences.errors.outcome_conference_already_recorded"),
        )
    if ctx.now < conference.scheduled_at:
        raise RuleViolation(
            "CONFERENCE_NOT_HELD",
            Message("conferences.errors.outcome_recorded_once_meeting"),
        )
    by_code = {case.code: case for case in _cases_of(db, conference)}
    entries = {entry.case_id: entry for entry in conference.cases}
    for index, decision in enumerate(data.decisions):
        case = by_code.get(decision.code)
        if case is None:
            raise InvalidInput(
                {f"decisions.{index}": Message("conferences.errors.not_agenda", code=decision.code)}
            )
        entries[case.id].decision = decision.decision
    owners = _active_staff(db, [i.owner_id for i in data.action_items if i.owner_id is not None])
    items = []
    for index, entry in enumerate(data.action_items):
        if entry.owner_id is not None and entry.owner_id not in owners:
            raise InvalidInput(
                {f"action_items.{index}.owner_id": Message("conferences.errors.owner_not_registered_casebot")}
            )
        case = None
        if entry.code is not None:
            case = by_code.get(entry.code)
            if case is None:
                raise InvalidInput(
                    {
                        f"action_items.{index}.code": Message(
                            "conferences.errors.not_agenda_2", code=entry.code
                        )
                    }
                )
        if entry.due_date < ctx.today:
            raise InvalidInput(
                {f"action_items.{index}.due_date": Message("conferences.errors.due_date_passed")}
            )
        items.append(
            ActionItem(
                case_id=case.id if case else None,
                description=entry.description,
                owner_id=entry.owner_id,
                owner_external=entry.owner_external,
                due_date=entry.due_date,
                status=TaskStatus.OPEN,
                created_at=ctx.now,
            )
        )
    conference.action_items.extend(items)
    conference.recorded_at = ctx.now
    conference.status = ConferenceStatus.HELD
    if data.minutes_ref:
        conference.minutes_ref = data.minutes_ref
    db.flush()
    for case in by_code.values():
        # The timeline says that a decision was made; its text stays on the conference record.
        case_changed(
            db,
            ctx,
            case,
            "conference_held",
            conference=conference.id,
            action_items=sum(1 for i in items if i.case_id == case.id),
        )
    record_access(db, ctx, None, AuditAction.UPDATE, "conference", f"#{conference.id} outcome recorded")
    refresh_conference(db, conference, ctx.policy, now=ctx.now)
    return conference


def complete_action_item(
    db: Session, ctx: Ctx, item_id: int, status: TaskStatus = TaskStatus.DONE
) -> ActionItem:
    """Its owner, the chair, the organiser or a team supervisor records an action item's status: done,
    or dropped (CANCELLED: an outside owner will not do it). Either ends its nudges."""
    if status == TaskStatus.OPEN:
        raise InvalidInput({"status": Message("conferences.errors.status_recorded_open")})
    item = load_action_item(db, ctx, item_id)
    if item.status != TaskStatus.OPEN:
        return item  # a second click: already recorded
    item.status, item.done_at = status, ctx.now
    db.flush()
    conference = item.conference
    event = "action_item_done" if status == TaskStatus.DONE else "action_item_dropped"
    if item.case_id is not None:
        case_changed(db, ctx, db.get_one(Case, item.case_id), event, item=item.id)
    else:
        record_access(
            db, ctx, None, AuditAction.UPDATE, "conference", f"#{conference.id} item {item.id} {status.value}"
        )
    refresh_conference(db, conference, ctx.policy, now=ctx.now)
    return item


def load_action_item(db: Session, ctx: Ctx, item_id: int) -> ActionItem:
    access.require_active(ctx)
    item = db.get(ActionItem, item_id)
    if item is None:
        raise NotFound(Message("conferences.errors.no_action_item"))
    if item.owner_id != ctx.actor.id and not _is_organiser(ctx.actor, item.conference):
        raise _refuse(ctx, f"action item {item_id}", NOT_ORGANISER)
    if item.case_id is not None:
        record_access(db, ctx, db.get_one(Case, item.case_id), AuditAction.READ, "conference_action_item")
    return item


@dataclass(frozen=True)
class ActionItemDetail:
    """An action item as its modal shows it: case content, for its owner and the organisers only."""

    id: int
    description: str
    code: str | None
    due_date: date
    owner: str  # the staff member's name, or the external owner as typed
    outside: bool  # owned outside Casebot: the chair follows it up
    status: TaskStatus
    conference: ConferenceBrief


def _item_detail(db: Session, item: ActionItem) -> ActionItemDetail:
    owner = item.owner_external or ""
    if item.owner_id is not None:
        member = db.get(StaffMember, item.owner_id)
        owner = member.display_name if member else ""
    code = db.get_one(Case, item.case_id).code if item.case_id is not None else None
    return ActionItemDetail(
        id=item.id,
        description=item.description,
        code=code,
        due_date=item.due_date,
        owner=owner,
        outside=item.owner_id is None and bool(item.owner_external),
        status=item.status,
        conference=brief(db, item.conference),
    )


def action_item_detail(db: Session, ctx: Ctx, item_id: int) -> ActionItemDetail:
    """What the action-item modal shows (the read of a case's item is audited, as `load_action_item`)."""
    return _item_detail(db, load_action_item(db, ctx, item_id))


def mark_action_item_done(
    db: Session, ctx: Ctx, item_id: int, status: TaskStatus = TaskStatus.DONE
) -> ActionItemDetail:
    """`complete_action_item`, answered with plain data for the reply."""
    return _item_detail(db, complete_action_item(db, ctx, item_id, status))


# ------------------------------------------------------------------ lists and the agenda


def upcoming(db: Session, ctx: Ctx, *, limit: int = 15) -> list[ConferenceBrief]:
    """The person's conferences (chair, organiser or participant) still to come or still to record."""
    access.require_active(ctx)
    actor = ctx.actor
    since = ctx.now - timedelta(days=14)  # a meeting just held stays listed until its outcome is in
    mine = or_(
        CaseConference.chair_id == actor.id,
        CaseConference.created_by_id == actor.id,
        CaseConference.id.in_(
            select(ConferenceParticipant.conference_id).where(ConferenceParticipant.staff_id == actor.id)
        ),
    )
    found = db.scalars(
        select(CaseConference)
        .where(
            mine, CaseConference.status == ConferenceStatus.SCHEDULED, CaseConference.scheduled_at >= since
        )
        .order_by(CaseConference.scheduled_at, CaseConference.id)
        .limit(limit)
    )
    return [brief(db, conference, actor) for conference in found]


def agenda(db: Session, ctx: Ctx, conference: CaseConference) -> list[AgendaItem]:
    """The agenda with each case's figures; questions and decisions only on cases the viewer may see."""
    if not _may_view(ctx.actor, conference):
        raise _refuse(ctx, f"agenda of conference {conference.id}", NOT_TEAM)
    figures = agenda_figures(db, conference, ctx.now, ctx.policy)
    cases = {c.id: c for c in _cases_of(db, conference)}
    by_code = {figure.code: figure for figure in figures}
    shown = []
    for entry in conference.cases:
        case = cases[entry.case_id]
        figure = by_code[case.code]
        if access.can_access(db, ctx.actor, case, today=ctx.today):
            record_access(db, ctx, case, AuditAction.READ, "conference_agenda", f"conference {conference.id}")
            figure = replace(figure, question=entry.question, decision=entry.decision)
        shown.append(figure)
    return shown


def agenda_figures(
    db: Session, conference: CaseConference, now: datetime, policy: Policy
) -> list[AgendaItem]:
    """Per case code: stage, overdue items, latest max severity, open referrals. No case content."""
    cases = _cases_of(db, conference)
    if not cases:
        return []
    overdue = _overdue_counts(db, [c.id for c in cases], now)
    today = now.astimezone(policy.zone).date()
    purposes = {entry.case_id: entry.purpose for entry in conference.cases}
    items = {}
    for snap in snapshots(db, cases):
        case = snap.case
        latest = snap.latest_assessment
        items[case.id] = AgendaItem(
            code=case.code,
            purpose=purposes[case.id],
            stage=derive(snap, today).stage,
            overdue=overdue.get(case.id, 0),
            max_severity=latest.max_severity if latest is not None else None,
            open_referrals=sum(1 for r in snap.referrals if not r.status.terminal),
            third_party_consent=snap.active_consent(ConsentScope.THIRD_PARTY, today) is not None,
        )
    return [items[entry.case_id] for entry in conference.cases]


def _overdue_counts(db: Session, case_ids: list[int], now: datetime) -> dict[int, int]:
    """Obligations past due per case, each counted once (escalation copies and per-supervisor rows
    of one obligation are the same item)."""
    rows = db.execute(
        select(Reminder.case_id, Reminder.key).where(
            Reminder.case_id.in_(case_ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at < now,
            Reminder.kind.not_in(tuple(reminders.TASK_OF)),  # escalations: the task itself counts
        )
    ).all()
    seen: dict[int, set[str]] = {}
    for case_id, key in rows:
        seen.setdefault(case_id, set()).add(re.sub(r":s\d+$", "", key))
    return {case_id: len(keys) for case_id, keys in seen.items()}


def action_item_id_of(reminder: Reminder) -> int | None:
    """The action item a reminder row is about (case rows and conference rows alike)."""
    if reminder.kind != ReminderKind.ACTION_ITEM:
        return None
    match = _CONFERENCE_ACTION_ITEM_KEY.match(reminder.key) or _CASE_ACTION_ITEM_KEY.search(reminder.key)
    return int(match.group(1)) if match else None


# ------------------------------------------------------------------ reminders


@dataclass(frozen=True)
class _Wanted:
    kind: ReminderKind
    due_at: datetime
    recipient_id: int | None
    channel_id: str | None


def _working_day_on_or_before(calendar: WorkCalendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def _working_day_on_or_after(calendar: WorkCalendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def due_items(db: Session, conference: CaseConference, policy: Policy) -> dict[str, _Wanted]:
    """Every reminder the conference should have, by key (pure apart from reading participants)."""
    zone, hour = policy.zone, policy.workday_start_hour
    calendar = WorkCalendar(zone, hour)
    start = conference.scheduled_at
    local = start.astimezone(zone)
    base = f"conf:{conference.id}:{local:%Y%m%dT%H%M}"
    wanted: dict[str, _Wanted] = {}
    channel = conference.slack_channel_id
    people = list(
        dict.fromkeys(
            [conference.chair_id, *(p.staff_id for p in conference.participants if p.staff_id is not None)]
        )
    )

    def tell(kind: ReminderKind, due_at: datetime) -> None:
        if channel:
            wanted[f"{base}:{kind.value}:ch"] = _Wanted(kind, due_at, None, channel)
        if kind in PARTICIPANT_KINDS or not channel:
            for person in people:
                wanted[f"{base}:{kind.value}:s{person}"] = _Wanted(kind, due_at, person, None)

    if conference.status == ConferenceStatus.SCHEDULED:
        for kind, days in BEFORE_MEETING:
            # The working morning that many days before; on a holiday or weekend the working day before.
            day = _working_day_on_or_before(calendar, local.date() - timedelta(days=days))
            due = at_local(day, zone, hour)
            if due < start:
                tell(kind, due)
        soon = start - SOON_BEFORE
        # An hour before a 9:00 meeting is before working time: the day-before reminder covers it.
        if soon.astimezone(zone).hour >= hour:
            tell(ReminderKind.CONFERENCE_SOON, soon)
        end = start + timedelta(minutes=conference.duration_minutes)
        chair = conference.chair_id
        wanted[f"{base}:{ReminderKind.CONFERENCE_RECORD.value}:s{chair}:end"] = _Wanted(
            ReminderKind.CONFERENCE_RECORD, end, chair, None
        )
        again = _working_day_on_or_after(
            calendar, end.astimezone(zone).date() + timedelta(days=RECORD_AGAIN_DAYS)
        )
        wanted[f"{base}:{ReminderKind.CONFERENCE_RECORD.value}:s{chair}:d{RECORD_AGAIN_DAYS}"] = _Wanted(
            ReminderKind.CONFERENCE_RECORD, at_local(again, zone, hour), chair, None
        )
    elif (
        conference.status == ConferenceStatus.CANCELLED
        and conference.cancelled_at is not None
        and start > conference.cancelled_at
        and not _earlier_cancelled_together(db, conference)
    ):
        tell(ReminderKind.CONFERENCE_CANCELLED, conference.cancelled_at)

    for item in conference.action_items:
        # Items about a case are nudged by the case's reminders (reminders.due_items); the rest here.
        if item.case_id is None and item.owner_id is not None and item.status == TaskStatus.OPEN:
            day = _working_day_on_or_before(calendar, item.due_date - timedelta(days=ACTION_ITEM_LEAD_DAYS))
            wanted[f"conf:{conference.id}:item:{item.id}:{item.due_date}"] = _Wanted(
                ReminderKind.ACTION_ITEM, at_local(day, zone, hour), item.owner_id, None
            )
        elif item.case_id is None and item.owner_external and item.status == TaskStatus.OPEN:
            # An outside owner: the chair follows it up, D-2 and on the due date, until it is recorded.
            for discriminator, days in reminders.OUTSIDE_OWNER_NUDGES:
                day = _working_day_on_or_before(calendar, item.due_date - timedelta(days=days))
                wanted[f"conf:{conference.id}:item:{item.id}:{item.due_date}:{discriminator}"] = _Wanted(
                    ReminderKind.ACTION_ITEM, at_local(day, zone, hour), conference.chair_id, None
                )
    return wanted


def _earlier_cancelled_together(db: Session, conference: CaseConference) -> bool:
    """One cancellation notice for "this and the following" occurrences: the first one says it."""
    if not conference.series_key:
        return False
    earlier = db.scalar(
        select(CaseConference.id)
        .where(
            CaseConference.series_key == conference.series_key,
            CaseConference.scheduled_at < conference.scheduled_at,
            CaseConference.status == ConferenceStatus.CANCELLED,
            CaseConference.cancelled_at == conference.cancelled_at,
        )
        .limit(1)
    )
    return earlier is not None


def refresh_conference(
    db: Session, conference: CaseConference, policy: Policy, *, now: datetime | None = None
) -> list[Reminder]:
    """Make the conference's reminder rows match it; returns the pending rows.

    New rows whose time is already past at `now` are not created (a conference scheduled five days
    ahead gets no D-7 call); rows already sent are never touched; pending rows no longer wanted
    (the old time of a moved meeting, a cancelled one) are cancelled.
    """
    db.flush()
    wanted = due_items(db, conference, policy)
    existing = {r.key: r for r in db.scalars(select(Reminder).where(Reminder.conference_id == conference.id))}

    def keep_new(key: str, item: reminders.Wanted) -> bool:
        kind, due_at = item[0], item[1]
        return now is None or due_at >= now or kind == ReminderKind.CONFERENCE_CANCELLED

    reminders.reconcile(
        db,
        existing,
        {key: (w.kind, w.due_at, w.recipient_id, w.channel_id) for key, w in wanted.items()},
        lambda key, kind: Reminder(key=key, kind=kind, conference_id=conference.id, attempts=0),
        keep_new=keep_new,
    )
    return [
        r
        for r in db.scalars(select(Reminder).where(Reminder.conference_id == conference.id))
        if r.status == ReminderStatus.PENDING
    ]


def stale_reason(reminder: Reminder, conference: CaseConference, now: datetime) -> str | None:
    """Why a claimed conference row should not be sent any more (the sweep drops it), or None."""
    if conference.status == ConferenceStatus.CANCELLED and reminder.kind != ReminderKind.CONFERENCE_CANCELLED:
        return "cancelled"
    if reminder.kind in PRE_MEETING_KINDS and now >= conference.scheduled_at:
        return "started"
    if reminder.kind == ReminderKind.CONFERENCE_RECORD and conference.recorded_at is not None:
        return "recorded"
    return None


# ------------------------------------------------------------------ another team's cases (통합사례회의)


@dataclass(frozen=True)
class AgendaRequestNotice:
    """What a DM asking a team's supervisors for a case says: the case code and the conference (its
    type, time and the asking team); never the question."""

    request_id: int
    code: str
    conference: ConferenceBrief
    team: str
    supervisors: tuple[tuple[str, str | None], ...]  # (Slack user id, language) of each


def pending_requests(db: Session, conference_ids: list[int], today: date) -> list[AgendaRequestNotice]:
    """The requests still waiting on these conferences, with whom to ask (the case's supervisors)."""
    if not conference_ids:
        return []
    found = db.scalars(
        select(AgendaRequest)
        .where(
            AgendaRequest.conference_id.in_(conference_ids),
            AgendaRequest.status == AgendaRequestStatus.PENDING,
        )
        .order_by(AgendaRequest.id)
    )
    notices = []
    for request in found:
        case = db.get_one(Case, request.case_id)
        conference = db.get_one(CaseConference, request.conference_id)
        ids = access.case_supervisors(db, case, today=today)
        people = db.scalars(select(StaffMember).where(StaffMember.id.in_(ids))) if ids else []
        team = conference_team_name(db, conference)
        notices.append(
            AgendaRequestNotice(
                request.id,
                case.code,
                brief(db, conference),
                team,
                tuple((p.slack_user_id, p.locale) for p in people),
            )
        )
    return notices


def conference_team_name(db: Session, conference: CaseConference) -> str:
    from_team = db.scalar(select(Team.name).where(Team.id == conference.team_id))
    return from_team or ""


@dataclass(frozen=True)
class AgendaDecision:
    code: str
    status: AgendaRequestStatus
    conference: ConferenceBrief
    # The conference's chair (Slack user id, language), to be told of a decision taken now; None when
    # the request had been decided before (a second click) or the chair is no longer active.
    chair: tuple[str, str | None] | None = None


def decide_request(db: Session, ctx: Ctx, request_id: int, *, agree: bool) -> AgendaDecision:
    """A supervisor of the case's team agrees (the case goes on the agenda) or refuses. The third-party
    consent rule holds as for any agenda row: with outside members present, a case goes on only under
    a consent naming their organisations. A second click changes nothing."""
    access.require_active(ctx)
    request = db.get(AgendaRequest, request_id)
    if request is None:
        raise NotFound(Message("conferences.errors.no_agenda_request"))
    case = access.load_case(db, ctx, db.get_one(Case, request.case_id), purpose="conference agenda agreement")
    if ctx.actor.id not in access.case_supervisors(db, case, today=ctx.today):
        raise access.refuse(
            ctx,
            case,
            "conference agenda agreement: the case's supervisors only",
            Message("conferences.errors.agreement_supervisor_only"),
        )
    conference = db.get_one(CaseConference, request.conference_id)
    if request.status == AgendaRequestStatus.CANCELLED:  # the consent it needed was withdrawn
        raise RuleViolation(
            "AGENDA_REQUEST_CANCELLED", Message("conferences.errors.agenda_request_cancelled")
        )
    if request.status != AgendaRequestStatus.PENDING:
        return AgendaDecision(case.code, request.status, brief(db, conference))
    if agree:
        if conference.status != ConferenceStatus.SCHEDULED:
            raise RuleViolation(
                "CONFERENCE_NOT_SCHEDULED", Message("conferences.errors.scheduled_conference_takes_new")
            )
        organisations = [p.organisation or "" for p in conference.participants if p.external]
        try:
            _require_sharing_basis(db, ctx, [case], organisations)
        except InvalidInput as missing:
            [message] = missing.errors.values()
            raise RuleViolation("NO_THIRD_PARTY_CONSENT", message) from None
        conference.cases.append(
            ConferenceCase(case_id=case.id, purpose=request.purpose, question=request.question)
        )
    request.status = AgendaRequestStatus.AGREED if agree else AgendaRequestStatus.REFUSED
    request.decided_by_id, request.decided_at = ctx.actor.id, ctx.now
    db.flush()
    event = "conference_agenda_added" if agree else "conference_agenda_refused"
    record_event(db, ctx, case, event, conference=conference.id, request=request.id)
    refresh_conference(db, conference, ctx.policy, now=ctx.now)
    chair = db.get(StaffMember, conference.chair_id)
    told = None
    if chair is not None and chair.active and chair.id != ctx.actor.id:
        told = (chair.slack_user_id, chair.locale)
    return AgendaDecision(case.code, request.status, brief(db, conference), told)
