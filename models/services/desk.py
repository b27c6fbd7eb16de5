"""The desk: a case manager's cases by what is due (Primero's task views), a supervisor's team caseload,
and the full summary of one case for people allowed to see it. No Slack here.

Fast for big caseloads: grouping, counting and ordering use the stored `Case.next_due_on` (indexed,
recomputed with the reminders), and the page shows the stage and next step stored with it
(`lifecycle.store_state`): two reads of the cases table, no per-case records. A stored state that does
not hold today (a consent started or ended since the case last changed) is derived afresh, for those
cases only, from snapshots loaded in one query per record type.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, lazyload, selectinload

from models.assessment import Assessment, AssessmentRating
from models.case import Case
from models.closure import AfterCareCheck, Closure, GoalAttainmentRecord
from models.conference import ActionItem, AgendaRequest, CaseConference
from models.consent import Consent
from models.contact import ContactNote
from models.enums import (
    AgendaRequestStatus,
    AuditAction,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ConferenceStatus,
    ConferenceType,
    PlanStatus,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    StaffRole,
    TaskStatus,
)
from models.plan import PlanGoal, PlanTask, ServicePlan
from models.referral import Referral
from models.reminder import Reminder
from models.services import access, agencies, closure, households
from models.services.agencies import AgencyLine
from models.services.audit import record_access
from models.services.context import Ctx, Policy
from models.services.households import Glimpse
from models.services.lifecycle import (
    CaseSnapshot,
    CaseState,
    derive,
    snapshot,
    stored_state,
    without_content,
)
from models.services.reminders import STEP_TASK, Deadline, case_deadlines, due_items, referrer_reply_due
from models.services.workload import (
    INTENSITY_WEIGHTS,
    Unsupervised,
    unsupervised,
    week_ends,
    weekly_loads,
)
from models.staff import StaffMember

DEFAULT_PAGE_SIZE = 25
# Primero's task views: overdue, and upcoming within 7 days (anchors.md).
THIS_WEEK_DAYS = 7
# Cases on the desk: open ones and those in after-care (after-care checks are work too).
UNDELIVERED_WINDOW = timedelta(days=7)  # the weekly digest lists the week's undelivered reminders
DESK_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.AFTERCARE)
# A worker's open caseload (after-care is counted apart).
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD)

# The weights of the weighted caseload (re-exported: the statistics read them from here too).


class DueGroup(StrEnum):
    OVERDUE = "overdue"
    THIS_WEEK = "this_week"
    LATER = "later"  # later than a week, or nothing due


def due_group(due: date | None, today: date) -> DueGroup:
    if due is not None and due < today:
        return DueGroup.OVERDUE
    if due is not None and due <= today + timedelta(days=THIS_WEEK_DAYS):
        return DueGroup.THIS_WEEK
    return DueGroup.LATER


@dataclass(frozen=True)
class DeskItem:
    code: str
    status: CaseStatus
    state: CaseState
    next_due_on: date | None  # the earliest deadline of the case's open tasks (it groups and orders)
    intensity: CaseIntensity | None
    crisis: bool
    group: DueGroup
    # Which task `next_due_on` is the deadline of, and the next step's own deadline (None: the step
    # has none of its own). A date is shown only with its own task (`reminders.case_deadlines`).
    next_due_kind: ReminderKind | None = None
    next_step_due_on: date | None = None
    today: date | None = None
    review_due: bool = False  # the plan in force is due for its review (계획 점검) by today

    @property
    def first_due(self) -> Deadline | None:
        """The earliest task, when it is not the next step's own (else the step's date says it)."""
        if self.next_due_on is None or self.next_due_kind is None:
            return None
        if self.next_due_kind == STEP_TASK.get(self.state.next_step) and self.next_step_due_on:
            return None
        return Deadline(self.next_due_kind, self.next_due_on)

    def days_late(self, deadline: date) -> int:
        return max((self.today - deadline).days, 0) if self.today else 0


@dataclass(frozen=True)
class Desk:
    items: list[DeskItem]  # this page only, by due date
    counts: dict[DueGroup, int]  # over all pages
    page: int  # 0-based, clamped to the pages there are
    pages: int
    page_size: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def group(self, group: DueGroup) -> list[DeskItem]:
        return [item for item in self.items if item.group == group]


def _my_cases_query(ctx: Ctx, *columns):  # -> Select
    query = access.own_cases_query(ctx.actor, today=ctx.today)
    if columns:
        query = query.with_only_columns(*columns)
    return query.where(Case.status.in_(DESK_STATUSES))


def my_desk(db: Session, ctx: Ctx, *, page: int = 0, page_size: int = DEFAULT_PAGE_SIZE) -> Desk:
    """The actor's cases (managed or co-worked; not the whole team, even for a supervisor), by due date."""
    access.require_active(ctx)
    access.require_approval(db, ctx, purpose="my cases")  # school profile: told why, not an empty desk
    today = ctx.today
    week_end = today + timedelta(days=THIS_WEEK_DAYS)
    # Counted in one row (sums, no GROUP BY, no subquery): cheaper to build than to run.
    overdue, this_week, total = db.execute(
        _my_cases_query(
            ctx,
            func.coalesce(func.sum(sql_case((Case.next_due_on < today, 1), else_=0)), 0),
            func.coalesce(func.sum(sql_case((Case.next_due_on.between(today, week_end), 1), else_=0)), 0),
            func.count(),
        )
    ).one()
    counts = {
        DueGroup.OVERDUE: overdue,
        DueGroup.THIS_WEEK: this_week,
        DueGroup.LATER: total - overdue - this_week,
    }
    page_size = max(1, page_size)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    # Columns, not Case objects: what the page shows, with no client data and nothing to track.
    shown = db.execute(
        _my_cases_query(
            ctx,
            Case.id,
            Case.code,
            Case.status,
            Case.next_due_on,
            Case.intensity,
            Case.crisis,
            Case.stage,
            Case.next_step,
            Case.next_step_consent,
            Case.state_valid_from,
            Case.state_valid_until,
            Case.next_due_kind,
            Case.next_step_due_on,
        )
        .order_by(Case.next_due_on.is_(None), Case.next_due_on, Case.code)
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    states = {
        row.id: stored_state(
            row.stage,
            row.next_step,
            row.state_valid_from,
            row.state_valid_until,
            today,
            row.next_step_consent,
        )
        for row in shown
    }
    step_due = {row.id: row.next_step_due_on for row in shown}
    derived = _derived_states(
        db, [case_id for case_id, state in states.items() if state is None], today, ctx.policy
    )
    for case_id, (state, step) in derived.items():
        states[case_id], step_due[case_id] = state, step.on if step else None
    reviews = _reviews_due(db, [row.id for row in shown], today)
    items = [
        DeskItem(
            code=row.code,
            status=row.status,
            state=states[row.id],
            next_due_on=row.next_due_on,
            intensity=row.intensity,
            crisis=row.crisis,
            group=due_group(row.next_due_on, today),
            next_due_kind=row.next_due_kind,
            next_step_due_on=step_due[row.id],
            today=today,
            review_due=row.id in reviews,
        )
        for row in shown
    ]
    # One access-log row per desk render (R9), naming the cases shown rather than one row per case.
    codes = ",".join(item.code for item in items)
    record_access(db, ctx, None, AuditAction.READ, "desk", f"page {page + 1}/{pages}: {codes}")
    return Desk(items=items, counts=counts, page=page, pages=pages, page_size=page_size)


def _reviews_due(db: Session, case_ids: list[int], today: date) -> set[int]:
    """Of these cases, those whose plan in force is due for its review by `today` (the day the
    PLAN_REVIEW nudge fires)."""
    if not case_ids:
        return set()
    return set(
        db.scalars(
            select(ServicePlan.case_id)
            .join(Case, Case.id == ServicePlan.case_id)
            .where(
                ServicePlan.case_id.in_(case_ids),
                ServicePlan.episode == Case.episode,
                Case.status != CaseStatus.ON_HOLD,
                ServicePlan.status == PlanStatus.AGREED,
                ServicePlan.review_due <= today,
            )
        )
    )


def _derived_states(
    db: Session, case_ids: list[int], today: date, policy: Policy
) -> dict[int, tuple[CaseState, Deadline | None]]:
    """Stage and next step derived from the records, with the step's own deadline, for cases whose
    stored ones do not hold today."""
    if not case_ids:
        return {}
    cases = list(
        db.scalars(
            select(Case).where(Case.id.in_(case_ids)).options(lazyload(Case.client), *without_content(Case))
        )
    )
    found = {}
    for snap in snapshots(db, cases):
        state = derive(snap, today)
        _, step = case_deadlines(due_items(snap, policy, today=today), state.next_step)
        found[snap.case.id] = (state, step)
    return found


def snapshots(db: Session, cases: list[Case]) -> list[CaseSnapshot]:
    """`lifecycle.snapshot` for many cases at once: one query per record type instead of per case."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    episode_of = {c.id: c.episode for c in cases}

    def by_case(rows, *, episode: bool = True) -> dict[int, list]:  # type: ignore[no-untyped-def]
        grouped: dict[int, list] = defaultdict(list)
        for row in rows:
            if not episode or row.episode == episode_of[row.case_id]:
                grouped[row.case_id].append(row)
        return grouped

    def rows(model, *where, children=()):  # type: ignore[no-untyped-def]
        query = select(model).where(model.case_id.in_(ids), *where).options(*without_content(model))
        for relationship, child in children:
            query = query.options(selectinload(relationship).options(*without_content(child)))
        return db.scalars(query)

    consents = by_case(rows(Consent), episode=False)
    assessments = by_case(rows(Assessment, children=[(Assessment.ratings, AssessmentRating)]))
    plans = by_case(
        rows(ServicePlan, children=[(ServicePlan.goals, PlanGoal), (ServicePlan.tasks, PlanTask)])
    )
    referrals = by_case(rows(Referral))
    notes = by_case(rows(ContactNote))
    closures = by_case(rows(Closure, children=[(Closure.attainments, GoalAttainmentRecord)]))
    aftercare = by_case(rows(AfterCareCheck), episode=False)
    items = by_case(rows(ActionItem, ActionItem.status == TaskStatus.OPEN), episode=False)
    return [
        CaseSnapshot(
            case=c,
            consents=consents[c.id],
            assessments=assessments[c.id],
            plans=plans[c.id],
            referrals=referrals[c.id],
            notes=notes[c.id],
            closures=closures[c.id],
            aftercare=aftercare[c.id],
            action_items=items[c.id],
        )
        for c in cases
    ]


@dataclass
class WorkerLoad:
    staff_id: int
    name: str
    role: StaffRole
    open_cases: int = 0
    weighted: float = 0.0
    overdue: int = 0
    aftercare: int = 0
    crisis: int = 0  # open cases classified crisis or flagged at risk
    # The weighted caseload at the end of each of the last weeks, oldest first (this week: now).
    trend: list[float] = field(default_factory=list)
    threshold: float = 0.0  # CASELOAD_THRESHOLD

    @property
    def over(self) -> bool:
        """Above the agency's threshold of weighted caseload."""
        return self.threshold > 0 and self.weighted > self.threshold


@dataclass(frozen=True)
class PendingApproval:
    closure_id: int
    code: str
    reason: ClosureReason
    requested_on: date  # in the agency's time zone
    requested_by: str


@dataclass(frozen=True)
class Undelivered:
    """A reminder that ended without reaching anyone, and why (a Slack error code)."""

    reminder_id: int
    case_code: str | None
    kind: ReminderKind
    recipient_id: int | None
    channel_id: str | None
    due_at: datetime
    reason: str


def undelivered(db: Session, team_id: int, since: datetime) -> list[Undelivered]:
    """The team's case reminders that could no longer be delivered (FAILED with their reason), last
    tried since `since`, case codes only: for the supervisors (`team_caseload` carries them to the
    weekly digest)."""
    rows = db.execute(
        select(Reminder, Case.code)
        .join(Case, Case.id == Reminder.case_id)
        .where(
            Case.team_id == team_id,
            Reminder.status == ReminderStatus.FAILED,
            Reminder.claimed_at >= since,  # the time of the last try
        )
        .order_by(Reminder.due_at, Reminder.id)
    ).all()
    return [
        Undelivered(r.id, code, r.kind, r.recipient_id, r.slack_channel_id, r.due_at, r.last_error or "")
        for r, code in rows
    ]


@dataclass(frozen=True)
class UnassignedCase:
    """A case of the team whose case manager is no longer active (담당자 없음): the supervisors'
    until one of them transfers it. Code, stage and the crisis flag only."""

    code: str
    status: CaseStatus
    intensity: CaseIntensity | None
    crisis: bool
    left: str  # the display name of the person who left
    next_due_on: date | None


def unassigned_cases(db: Session, ctx: Ctx) -> list[UnassignedCase]:
    """The team's open and after-care cases whose case manager is inactive, that the supervisor may
    see (on a restricted case: when named), by due date."""
    rows = db.execute(
        select(Case, StaffMember.display_name)
        .join(StaffMember, StaffMember.id == Case.case_manager_id)
        .where(
            Case.team_id == ctx.actor.team_id,
            Case.status.in_(DESK_STATUSES),
            StaffMember.active.is_(False),
        )
        .options(lazyload(Case.client))
        .order_by(Case.next_due_on.is_(None), Case.next_due_on, Case.code)
    ).all()
    return [
        UnassignedCase(
            case.code,
            case.status,
            case.intensity,
            case.intensity == CaseIntensity.CRISIS or case.crisis,
            name,
            case.next_due_on,
        )
        for case, name in rows
        if access.can_access(db, ctx.actor, case, today=ctx.today)
    ]


@dataclass(frozen=True)
class PendingAgendaRequest:
    """Another team's integrated conference asks for a case of the supervisor's: its code and the
    conference's type and time (never the question)."""

    request_id: int
    code: str
    conference_type: ConferenceType
    scheduled_at: datetime  # in the agency's time zone


def agenda_requests(db: Session, ctx: Ctx) -> list[PendingAgendaRequest]:
    """The agenda requests waiting on this supervisor: pending, for a coming scheduled conference, on a
    case of which they are a supervisor (`access.case_supervisors`, who alone may decide)."""
    rows = db.execute(
        select(AgendaRequest, Case, CaseConference)
        .join(Case, Case.id == AgendaRequest.case_id)
        .join(CaseConference, CaseConference.id == AgendaRequest.conference_id)
        .where(
            AgendaRequest.status == AgendaRequestStatus.PENDING,
            Case.team_id == ctx.actor.team_id,
            CaseConference.status == ConferenceStatus.SCHEDULED,
            CaseConference.scheduled_at > ctx.now,
        )
        .order_by(CaseConference.scheduled_at, AgendaRequest.id)
    )
    return [
        PendingAgendaRequest(
            request.id,
            case.code,
            conference.conference_type,
            conference.scheduled_at.astimezone(ctx.policy.zone),
        )
        for request, case, conference in rows
        if ctx.actor.id in access.case_supervisors(db, case, today=ctx.today)
    ]


@dataclass
class TeamCaseload:
    workers: list[WorkerLoad] = field(default_factory=list)
    approvals: list[PendingApproval] = field(default_factory=list)
    # Reminders of the week that could not be delivered (the recipient left, the channel is gone).
    undelivered: list[Undelivered] = field(default_factory=list)
    threshold: float = 0.0  # CASELOAD_THRESHOLD: a worker above it is flagged
    gap_weeks: int = 0  # SUPERVISION_GAP_WEEKS
    # Case managers without a supervision session for `gap_weeks` weeks.
    unsupervised: list[Unsupervised] = field(default_factory=list)
    # Cases whose case manager left (담당자 없음), each to be transferred.
    unassigned: list[UnassignedCase] = field(default_factory=list)
    # Other teams' integrated conferences asking for the team's cases, to agree or refuse.
    agenda_requests: list[PendingAgendaRequest] = field(default_factory=list)

    @property
    def over_threshold(self) -> list[WorkerLoad]:
        return [w for w in self.workers if w.over]

    @property
    def open_cases(self) -> int:
        return sum(w.open_cases for w in self.workers)

    @property
    def overdue(self) -> int:
        return sum(w.overdue for w in self.workers)


def team_caseload(db: Session, ctx: Ctx) -> TeamCaseload:
    """Per worker of the supervisor's team: open cases, weighted caseload against the threshold, crisis
    cases, overdue, and the weighted caseload of the last weeks (`workload.weekly_loads`); closures to
    sign off; case managers without supervision for `SUPERVISION_GAP_WEEKS` weeks.

    Counts the cases each worker manages (co-working is not caseload). Overdue means `next_due_on`
    before today, over open and after-care cases alike.
    """
    access.require_role(ctx, StaffRole.SUPERVISOR, detail="team caseload")
    team_id, today = ctx.actor.team_id, ctx.today
    threshold = ctx.policy.caseload_threshold
    workers = {
        member.id: WorkerLoad(member.id, member.display_name, member.role, threshold=threshold)
        for member in db.scalars(
            select(StaffMember)
            .where(
                StaffMember.team_id == team_id,
                StaffMember.active.is_(True),
                StaffMember.role.in_(access.CASE_OWNER_ROLES),  # not admins, not approved school staff
            )
            .order_by(StaffMember.display_name, StaffMember.id)
        )
    }
    flagged = (
        select(
            Case.case_manager_id,
            Case.status,
            Case.intensity,
            sql_case((Case.next_due_on < today, 1), else_=0).label("overdue"),
            sql_case((or_(Case.intensity == CaseIntensity.CRISIS, Case.crisis.is_(True)), 1), else_=0).label(
                "crisis"
            ),
        )
        .where(Case.team_id == team_id, Case.status.in_(DESK_STATUSES))
        .subquery()
    )
    columns = (
        flagged.c.case_manager_id,
        flagged.c.status,
        flagged.c.intensity,
        flagged.c.overdue,
        flagged.c.crisis,
    )
    rows = db.execute(select(*columns, func.count()).group_by(*columns))
    for manager_id, status, intensity, is_overdue, is_crisis, count in rows:
        load = workers.get(manager_id)
        if load is None:  # a case left with someone no longer active: listed apart (`unassigned`)
            continue
        if status == CaseStatus.AFTERCARE:
            load.aftercare += count
        else:
            load.open_cases += count
            load.weighted += INTENSITY_WEIGHTS.get(intensity, 1.0) * count
            if is_crisis:
                load.crisis += count
        if is_overdue:
            load.overdue += count

    pending = closure.pending_approvals(db, ctx)
    codes = dict(
        db.execute(select(Case.id, Case.code).where(Case.id.in_([c.case_id for c in pending]))).all()
        if pending
        else []
    )
    names = dict(
        db.execute(
            select(StaffMember.id, StaffMember.display_name).where(
                StaffMember.id.in_({c.requested_by_id for c in pending})
            )
        ).all()
        if pending
        else []
    )
    approvals = [
        PendingApproval(
            c.id,
            codes[c.case_id],
            c.reason,
            c.requested_at.astimezone(ctx.policy.zone).date(),
            names.get(c.requested_by_id, ""),
        )
        for c in pending
    ]
    left = unassigned_cases(db, ctx)
    unassigned_codes = f"; unassigned {' '.join(c.code for c in left)}" if left else ""
    record_access(
        db,
        ctx,
        None,
        AuditAction.READ,
        "team_caseload",
        f"team {team_id}: {len(pending)} pending closures{unassigned_codes}",
    )
    ended = undelivered(db, team_id, ctx.now - UNDELIVERED_WINDOW)
    points = week_ends(ctx.now, ctx.policy.zone)
    trends = weekly_loads(db, team_id, points)
    for load in workers.values():
        load.trend = trends.get(load.staff_id) or [0.0] * len(points)
    gap_weeks = ctx.policy.supervision_gap_weeks
    return TeamCaseload(
        workers=list(workers.values()),
        approvals=approvals,
        undelivered=ended,
        threshold=threshold,
        gap_weeks=gap_weeks,
        unsupervised=unsupervised(db, team_id, today, gap_weeks, ctx.policy.zone),
        unassigned=left,
        agenda_requests=agenda_requests(db, ctx),
    )


@dataclass(frozen=True)
class CaseSummary:
    """Everything the summary modal shows; loaded through `access.load_case` (read logged)."""

    snap: CaseSnapshot
    state: CaseState
    today: date
    zone: ZoneInfo
    # Strict mode shows the system-of-record number where a name would be.
    strict_privacy: bool = False
    # The case's earliest task and the next step's own task, each with its deadline (as on the desk).
    first_due: Deadline | None = None
    step_due: Deadline | None = None
    # The case's household (가구): its code and the other cases of it the viewer may see.
    household: Glimpse | None = None
    # The lead agency (주사례관리기관) and partner agencies with their roles.
    agencies: tuple[AgencyLine, ...] = ()

    def days_late(self, deadline: date) -> int:
        return max((self.today - deadline).days, 0)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    @property
    def case(self) -> Case:
        return self.snap.case

    @property
    def consents_on_file(self) -> list[Consent]:
        return sorted(
            (c for c in self.snap.consents if c.withdrawn_at is None), key=lambda c: (c.given_on, c.id)
        )

    @property
    def open_referrals(self) -> list[Referral]:
        terminal = {
            ReferralStatus.COMPLETED,
            ReferralStatus.DECLINED,
            ReferralStatus.CLIENT_DECLINED,
            ReferralStatus.CANCELLED,
        }
        return sorted((r for r in self.snap.referrals if r.status not in terminal), key=lambda r: r.id)

    @property
    def declined_referrals(self) -> list[Referral]:
        """The episode's referrals the agency or the client declined (their reasons are shown)."""
        declined = {ReferralStatus.DECLINED, ReferralStatus.CLIENT_DECLINED}
        return sorted((r for r in self.snap.referrals if r.status in declined), key=lambda r: r.id)

    @property
    def referrer_reply_due(self) -> date | None:
        """회신: when the reply to a referral-in's referrer is due (None once recorded, or not owed yet)."""
        return referrer_reply_due(self.case, self.zone)

    @property
    def alleged_abuser_warning(self) -> bool:
        """R12: a guardian of the client is marked as the alleged abuser; the circle is warned."""
        return any(g.is_alleged_abuser for g in self.case.client.guardians or [])

    def last_contacts(self, count: int = 3) -> list[ContactNote]:
        return sorted(self.snap.notes, key=lambda n: n.contact_at, reverse=True)[:count]

    @property
    def age_band(self) -> int | None:
        """The decade of the client's age (40 for 40-49), or None without a birth date."""
        born = self.case.client.birth_date
        if born is None:
            return None
        years = self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))
        return max(years, 0) // 10 * 10


def case_summary(db: Session, ctx: Ctx, code: str) -> CaseSummary:
    case = access.load_case(db, ctx, code)
    snap = snapshot(db, case)
    state = derive(snap, ctx.today)
    supervisors = access.case_supervisors(db, case, today=ctx.today)
    first, step = case_deadlines(due_items(snap, ctx.policy, supervisors, today=ctx.today), state.next_step)
    return CaseSummary(
        snap=snap,
        state=state,
        today=ctx.today,
        zone=ctx.policy.zone,
        strict_privacy=ctx.policy.strict_privacy,
        first_due=first if first is not None and first != step else None,
        step_due=step,
        household=households.glimpse(db, ctx, case),
        agencies=tuple(agencies.lines(db, case)),
    )


# ------------------------------------------------------------------ the plan tasks on a person's Home

MAX_HOME_TASKS = 8


@dataclass(frozen=True)
class HomeTask:
    """An open task of the plan in force of one of the person's cases: no client words (the Home shows
    the case code, the task's number in its plan, its due date and status)."""

    task_id: int
    code: str
    number: int
    due_date: date
    status: TaskStatus


def my_open_tasks(db: Session, ctx: Ctx, *, limit: int = MAX_HOME_TASKS) -> list[HomeTask]:
    """Planned or under-way tasks of the plans in force of the person's cases that are theirs: those
    they are the worker of (담당자), and those of the cases they manage with no worker (or whose worker
    left), soonest due first."""
    me = ctx.actor.id
    cases = _my_cases_query(ctx, Case.id).subquery()
    left = select(StaffMember.id).where(StaffMember.active.is_(False))
    rows = db.execute(
        select(PlanTask.id, PlanTask.plan_id, PlanTask.due_date, PlanTask.status, Case.code)
        .join(ServicePlan, ServicePlan.id == PlanTask.plan_id)
        .join(Case, Case.id == ServicePlan.case_id)
        .where(
            Case.id.in_(select(cases.c.id)),
            ServicePlan.status == PlanStatus.AGREED,
            PlanTask.status.in_([TaskStatus.OPEN, TaskStatus.IN_PROGRESS]),
            or_(
                PlanTask.worker_id == me,
                and_(
                    Case.case_manager_id == me,
                    or_(PlanTask.worker_id.is_(None), PlanTask.worker_id.in_(left)),
                ),
            ),
        )
        .order_by(PlanTask.due_date, PlanTask.id)
        .limit(limit)
    ).all()
    plan_ids = {row.plan_id for row in rows}
    numbers: dict[int, int] = {}
    counted: dict[int, int] = {}
    for task_id, plan_id in db.execute(
        select(PlanTask.id, PlanTask.plan_id).where(PlanTask.plan_id.in_(plan_ids)).order_by(PlanTask.id)
    ):
        counted[plan_id] = counted.get(plan_id, 0) + 1
        numbers[task_id] = counted[plan_id]
    return [HomeTask(row.id, row.code, numbers[row.id], row.due_date, row.status) for row in rows]
