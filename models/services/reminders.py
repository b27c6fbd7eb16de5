"""Due dates from the record and the cadence settings, written as reminder rows.

`due_items()` is pure: what is due, for whom, when, given a case snapshot. `refresh()` makes the
reminder table match it: new obligations are added, moved ones updated, ones that no longer apply
cancelled; rows already sent are never touched. Every service that changes a case calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cadence import add_months, at_local
from models.case import Case
from models.consent import Consent
from models.enums import (
    CaseIntensity,
    CaseStatus,
    ConsentScope,
    MonitoringResult,
    NextStep,
    Profile,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
)
from models.profiles import NO_CONTACT_CADENCE, NO_PLAN, school_dates
from models.reminder import Reminder
from models.services.access import case_supervisors
from models.services.context import Policy
from models.services.lifecycle import CaseSnapshot, snapshot, store_state
from models.staff import StaffMember

# An overdue contact escalates to the supervisors again every cadence interval until a contact is
# logged; past this many escalations of one contact it stops (over a year of daily ones).
MAX_ESCALATIONS = 400
REASSESSMENT_REQUEST_DAYS = 7
# An action item owned outside Casebot: the chair is nudged D-2 and on the due date (key suffix, days).
OUTSIDE_OWNER_NUDGES: tuple[tuple[str, int], ...] = (("outside:d2", 2), ("outside:d0", 0))
# 회신: the referrer of a referral-in hears back this many days after the case is classified, or after
# it is declined (closed before it was ever classified: not taken on).
REFERRER_REPLY_DAYS = 7
# What is still owed once a case is closed (`due_items` derives it; the sweep sends it): the referrer's answer.
OWED_AFTER_CLOSURE = frozenset({ReminderKind.REFERRER_REPLY})


def referrer_reply_due(case: Case, zone: ZoneInfo) -> date | None:
    """When the reply to the referrer is due: a case referred in by someone (first episode), classified
    or declined, not yet replied to; else None."""
    if not case.referrer or case.referrer_replied_on is not None or case.episode != 1:
        return None
    decided = case.classified_at or case.closed_at
    if decided is None:
        return None
    return decided.astimezone(zone).date() + timedelta(days=REFERRER_REPLY_DAYS)


# A plan task's nudge: the morning this many days before its due date.
TASK_DUE_WARNING_DAYS = 1
# A contact whose result is "revisit" (재방문·추가면담): the next contact is due within this many days.
REVISIT_DAYS = 7


# A reminder kind that is not a task of its own but a later nudge about another one: an overdue contact
# is the same contact, with the same deadline.
TASK_OF: dict[ReminderKind, ReminderKind] = {
    ReminderKind.CONTACT_OVERDUE: ReminderKind.NEXT_CONTACT,
    # A crisis's first response not logged by its deadline: told to the team's supervisors.
    ReminderKind.CRISIS_RESPONSE_OVERDUE: ReminderKind.CRISIS_FIRST_RESPONSE,
}


def task_kind(kind: ReminderKind) -> ReminderKind:
    """The task a reminder of this kind is about (an escalation is about the task it escalates)."""
    return TASK_OF.get(kind, kind)


@dataclass(frozen=True)
class DueItem:
    """A nudge to send: `due_at` is when it fires; `deadline` is the task's own deadline (local date),
    which is what every surface shows with the task. A warning fires before its deadline (plan nudges,
    consent expiry, plan end, action items), an escalation after it; a snooze moves only the firing."""

    key: str
    kind: ReminderKind
    due_at: datetime
    recipient_id: int | None
    deadline: date
    # An escalation repeated after the first one to the supervisors: written only from the day it is
    # due (a round missed while nothing refreshed the case is not sent late on top of the current one).
    repeat: bool = False

    @property
    def task(self) -> ReminderKind:
        return task_kind(self.kind)

    @property
    def escalation(self) -> bool:
        return self.kind in TASK_OF

    def fired_before(self, policy: Policy, today: date) -> bool:
        """Whether the day this nudge fires is before `today` (the agency's date)."""
        return self.due_at.astimezone(policy.zone).date() < today


def due_items(
    snap: CaseSnapshot,
    policy: Policy,
    supervisors: list[int] | None = None,
    *,
    today: date | None = None,
    departed: Collection[int] = (),
) -> list[DueItem]:
    """`today` (the agency's date) leaves out warnings about consents that have already expired, and
    says how far an overdue contact has escalated (without it: to the first escalation to the
    supervisors only).

    `departed`: staff no longer active (`departed(db, snap)`). What would be theirs goes to the case's
    supervisors instead, one nudge each (a case whose manager left is theirs until they transfer it);
    with no supervisor it stays addressed to the person who left, and the sweep reports it undelivered.
    """
    items = _due_items(snap, policy, supervisors, today)
    manager = snap.case.case_manager_id
    # A task's worker who left: the task's nudge is the case manager's (and the supervisors' below, if
    # the case manager left too).
    items = [
        replace(item, recipient_id=manager)
        if item.kind == ReminderKind.TASK_DUE
        and item.recipient_id in departed
        and item.recipient_id != manager
        else item
        for item in items
    ]
    if not departed or not supervisors:
        return items
    readdressed: list[DueItem] = []
    for item in items:
        if item.recipient_id in departed:
            readdressed += [replace(item, key=f"{item.key}:s{s}", recipient_id=s) for s in supervisors]
        else:
            readdressed.append(item)
    return readdressed


def departed(db: Session, snap: CaseSnapshot) -> frozenset[int]:
    """The people a case's nudges would go to (its manager, action items' owners) who are no longer
    active staff."""
    people = {snap.case.case_manager_id} | {i.owner_id for i in snap.action_items if i.owner_id is not None}
    plan = snap.plan_in_force
    if plan is not None:
        people |= {task.worker_id for task in plan.tasks if task.worker_id is not None}
    query = select(StaffMember.id).where(StaffMember.id.in_(people), StaffMember.active.is_(False))
    return frozenset(db.scalars(query))


def _due_items(
    snap: CaseSnapshot, policy: Policy, supervisors: list[int] | None, today: date | None
) -> list[DueItem]:
    """`today` (the agency's date) leaves out warnings about consents that have already expired.

    The clocks are those of the case's team's profile (`Policy.cadences_for`: PUBLIC teams keep the
    public-sector clocks); a classification with no contact cadence (단순연계, 단순서비스) has no
    contact nudges, and one that skips the plan (서비스연계, 단순연계) no plan nudges (models/profiles.py)."""
    case = snap.case
    profile = policy.team_profile(case.team)
    cad = policy.cadences_for(profile)
    items: list[DueItem] = []
    manager = case.case_manager_id
    base = f"case:{case.id}:e{case.episode}"

    def on(day: date) -> datetime:
        return at_local(day, policy.zone, policy.workday_start_hour)

    def add(
        kind: ReminderKind,
        discriminator: str,
        due_at: datetime,
        recipient: int | None = manager,
        *,
        deadline: date | None = None,
        repeat: bool = False,
    ) -> None:
        """`deadline` defaults to the day the nudge fires (a nudge on the deadline's morning)."""
        items.append(
            DueItem(
                f"{base}:{kind.value}:{discriminator}",
                kind,
                due_at,
                recipient,
                deadline or due_at.astimezone(policy.zone).date(),
                repeat,
            )
        )

    if case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED):
        # Nothing is due on a closed case, consent renewals included; only the referrer's answer is
        # still owed (a referral-in declined, or closed before the reply was sent).
        reply_due = referrer_reply_due(case, policy.zone) if case.status == CaseStatus.CLOSED else None
        if reply_due is not None:
            add(ReminderKind.REFERRER_REPLY, reply_due.isoformat(), on(reply_due))
        return items
    live_consents = [c for c in snap.consents if c.withdrawn_at is None and c.expires_on]
    for consent in live_consents:
        assert consent.expires_on is not None
        if today is not None and consent.expires_on < today:
            continue  # "expires soon" for a consent already expired would only arrive late and be wrong
        for days in cad.consent_expiry_warning_days:
            # Consents belong to the case, not to an episode: the key survives a reopening.
            items.append(
                DueItem(
                    f"case:{case.id}:{ReminderKind.CONSENT_EXPIRY.value}:{consent.id}:{consent.expires_on}:{days}",
                    ReminderKind.CONSENT_EXPIRY,
                    on(consent.expires_on - timedelta(days=days)),
                    manager,
                    consent.expires_on,
                )
            )
    for consent in _consents_referrals_outlive(snap):
        assert consent.expires_on is not None
        # The first morning the referral goes on without consent: the manager renews it or stops it (R5).
        items.append(
            DueItem(
                f"case:{case.id}:{ReminderKind.CONSENT_EXPIRY.value}:{consent.id}:{consent.expires_on}:expired",
                ReminderKind.CONSENT_EXPIRY,
                on(consent.expires_on + timedelta(days=1)),
                manager,
                consent.expires_on,
            )
        )

    reply_due = referrer_reply_due(case, policy.zone)
    if reply_due is not None:  # owed whatever the case does next: on hold, in after-care, awaiting closure
        add(ReminderKind.REFERRER_REPLY, reply_due.isoformat(), on(reply_due))

    def referral_responses(*, aftercare_only: bool = False) -> None:
        for referral in snap.referrals:
            if aftercare_only and referral.aftercare_check_id is None:
                continue
            if referral.status == ReferralStatus.SENT and referral.response_due is not None:
                add(
                    ReminderKind.REFERRAL_RESPONSE,
                    f"{referral.id}:{referral.response_due}",
                    on(referral.response_due),
                )

    if case.status == CaseStatus.AFTERCARE:
        for check in snap.open_aftercare:
            add(ReminderKind.AFTERCARE_CHECK, str(check.due_on), on(check.due_on))
        # The episode's referrals end with the closure; one made from an after-care check (LINK) is
        # followed up in after-care.
        referral_responses(aftercare_only=True)
        if profile == Profile.PUBLIC and case.closed_at is not None:
            # Public teams hand the after-care to the 읍면동 (models/services/handover.py).
            handed = any(h.episode == case.episode for h in case.handovers)
            if not handed:
                closed_on = case.closed_at.astimezone(policy.zone).date()
                due = closed_on + timedelta(days=policy.public_clocks.handover_days)
                add(ReminderKind.AFTERCARE_HANDOVER, str(closed_on), on(due))
        return items
    if case.status == CaseStatus.ON_HOLD:
        if case.hold_until is not None:  # contact nudges pause; one nudge on the day to look again
            add(ReminderKind.HOLD_END, case.hold_until.isoformat(), on(case.hold_until))
        return items

    first_response = crisis_first_response_due(snap, policy)
    if first_response is not None:
        # At once (the next sweep) to the case manager, with the deadline; past the deadline with no
        # contact reaching the client, to the team's supervisors (like an overdue contact, domain.md §4).
        assert case.crisis_flagged_at is not None
        deadline = first_response.astimezone(policy.zone).date()
        add(ReminderKind.CRISIS_FIRST_RESPONSE, "intake", case.crisis_flagged_at, deadline=deadline)
        for supervisor_id in supervisors or []:
            add(
                ReminderKind.CRISIS_RESPONSE_OVERDUE,
                f"intake:s{supervisor_id}",
                first_response,
                supervisor_id,
                deadline=deadline,
            )

    pending = snap.pending_closure
    if pending is not None:
        due = on(
            pending.requested_at.astimezone(policy.zone).date() + timedelta(days=cad.closure_approval_days)
        )
        for supervisor_id in supervisors or []:
            add(ReminderKind.CLOSURE_APPROVAL, f"{pending.id}:s{supervisor_id}", due, supervisor_id)
        return items

    if case.intake_at is None:
        return items
    start = max(case.intake_at, case.episode_started_at).astimezone(policy.zone).date()
    assessed = snap.latest_assessment
    if assessed is None:
        add(ReminderKind.ASSESSMENT_DUE, "initial", on(start + timedelta(days=cad.intake_to_assessment_days)))

    classified = case.classified_at is not None and case.classified_at >= case.episode_started_at
    if assessed is not None and not classified:
        done_on = (assessed.completed_at or assessed.started_at).astimezone(policy.zone).date()
        add(
            ReminderKind.CLASSIFICATION_DUE,
            "initial",
            on(done_on + timedelta(days=cad.assessment_to_classification_days)),
        )

    plan = snap.plan_in_force
    if plan is None and case.intensity not in NO_PLAN:
        deadline = start + timedelta(days=cad.intake_to_plan_days)
        if profile == Profile.PUBLIC and classified:
            # Public sector: the plan ≈15 days after the classification, within 30 of the intake [V2 S6].
            assert case.classified_at is not None
            classified_on = case.classified_at.astimezone(policy.zone).date()
            deadline = min(
                deadline, classified_on + timedelta(days=policy.public_clocks.classification_to_plan_days)
            )
        for day in cad.plan_nudge_days:
            # The nudges keep their distance from the deadline (D+20 and D+27 of a D+30 deadline).
            nudge = max(deadline - timedelta(days=cad.intake_to_plan_days - day), start)
            add(ReminderKind.PLAN_DUE, f"d{day}:{deadline}", on(min(nudge, deadline)), deadline=deadline)

    if classified and case.intensity not in NO_CONTACT_CADENCE:
        due = _next_contact_due(snap, policy)
        # In the agency's zone, so the key does not depend on the zone the stored times were read in.
        due_key = due.astimezone(policy.zone).isoformat(timespec="minutes")
        add(ReminderKind.NEXT_CONTACT, due_key, due)
        # Escalation (domain.md §4): overdue by one interval → the case manager again; by two → the
        # team's supervisors, and again every interval after that until a contact is logged (a crisis
        # case left untouched keeps nudging them). A logged contact moves `due`, so these go with it.
        due_day = due.astimezone(policy.zone).date()
        # The cadence applied again (not a doubled gap), so monthly stays calendar-monthly.
        once = cad.contact_interval(case.intensity, due_day, crisis_risk=case.crisis)
        # The escalations are about the same contact: they show its deadline, and count the days from it.
        add(ReminderKind.CONTACT_OVERDUE, f"{due_key}:1", on(once), deadline=due_day)
        day, level = once, 1
        # Each level keyed by its number: a refresh finds the rows already written (and those sent stay
        # wanted, so their messages are not settled as done). Up to the first level still to come.
        while supervisors and level < MAX_ESCALATIONS:
            day, level = cad.contact_interval(case.intensity, day, crisis_risk=case.crisis), level + 1
            for supervisor_id in supervisors:
                add(
                    ReminderKind.CONTACT_OVERDUE,
                    f"{due_key}:{level}:s{supervisor_id}",
                    on(day),
                    supervisor_id,
                    deadline=due_day,
                    repeat=level > 2,
                )
            if today is None or day > today:
                break

    if plan is not None:
        if plan.review_due:
            add(ReminderKind.PLAN_REVIEW, f"{plan.id}:{plan.review_due}", on(plan.review_due))
        end_warning = plan.period_end - timedelta(days=cad.plan_end_warning_days)
        add(ReminderKind.PLAN_END, f"{plan.id}:{plan.period_end}", on(end_warning), deadline=plan.period_end)
        if assessed is not None and assessed.completed_at is not None:
            done_on = assessed.completed_at.astimezone(policy.zone).date()
            due_on = add_months(done_on, cad.reassessment_months)
            add(ReminderKind.REASSESSMENT_DUE, f"scheduled:{due_on}", on(due_on))
            # A re-assessment after this plan was agreed that moved a domain's severity by the setting or
            # more: the plan is to be revised (a new version), from the day of the re-assessment.
            agreed = plan.agreed_at
            if (
                agreed is not None
                and assessed.completed_at >= agreed
                and snap.severity_change >= cad.reassessment_severity_change
            ):
                add(ReminderKind.PLAN_REVISION, f"{plan.id}:{assessed.id}", on(done_on))
        for task in plan.tasks:
            if task.status.is_open:
                add(
                    ReminderKind.TASK_DUE,
                    f"{task.id}:{task.due_date}",
                    on(task.due_date - timedelta(days=TASK_DUE_WARNING_DAYS)),
                    task.worker_id or manager,  # its worker's (담당자), else the case manager's
                    deadline=task.due_date,
                )

    if snap.reassessment_pending and case.reassessment_requested_at is not None:
        requested = case.reassessment_requested_at.astimezone(policy.zone).date()
        add(
            ReminderKind.REASSESSMENT_DUE,
            f"requested:{requested}",
            on(requested + timedelta(days=REASSESSMENT_REQUEST_DAYS)),
        )

    referral_responses()

    for item in snap.action_items:
        if item.owner_id is not None:
            add(
                ReminderKind.ACTION_ITEM,
                f"{item.id}:{item.due_date}",
                on(item.due_date - timedelta(days=2)),
                item.owner_id,
                deadline=item.due_date,
            )
        elif item.owner_external:
            # An outside owner (another agency, a person outside Casebot) gets no nudge: the chair is
            # nudged to follow it up, two days before and on the due date, while it stays open.
            for discriminator, days in OUTSIDE_OWNER_NUDGES:
                add(
                    ReminderKind.ACTION_ITEM,
                    f"{item.id}:{item.due_date}:{discriminator}",
                    on(item.due_date - timedelta(days=days)),
                    item.conference.chair_id,
                    deadline=item.due_date,
                )
    if profile == Profile.SCHOOL:
        _school_calendar(snap, policy, max(start, today or start), add, on)
    return items


def task_id_of(reminder: Reminder) -> int | None:
    """The plan task a TASK_DUE reminder is about (its key: `...:TASK_DUE:<task id>:<due date>`)."""
    if reminder.kind != ReminderKind.TASK_DUE:
        return None
    marker = f":{ReminderKind.TASK_DUE.value}:"
    _, found, rest = reminder.key.partition(marker)
    number = rest.split(":", 1)[0] if found else ""
    return int(number) if number.isdecimal() and len(number) < 10 else None


def _school_calendar(
    snap: CaseSnapshot,
    policy: Policy,
    since: date,
    add: Callable[..., None],
    on: Callable[[date], datetime],
) -> None:
    """A school team's open case, by the academic calendar (models/profiles.py `school_dates`), over the
    coming year. Each is done by the record: the selection by a classification in the new school year,
    the safety check and the hand-over by a contact logged once the nudge has fired."""
    case = snap.case
    zone = policy.zone
    contacts = [n.contact_at.astimezone(zone).date() for n in snap.notes]
    for item in school_dates(policy.school_calendar, since):
        if item.kind == ReminderKind.SCHOOL_SELECTION:
            # Continuing cases are selected again for the new school year; a case not classified yet
            # has its classification deadline instead.
            classified = case.classified_at.astimezone(zone).date() if case.classified_at else None
            if classified is None or classified >= item.fires_on:
                continue
        elif any(day >= item.fires_on for day in contacts):
            continue
        add(item.kind, str(item.deadline), on(item.fires_on), deadline=item.deadline)


def _consents_referrals_outlive(snap: CaseSnapshot) -> list[Consent]:
    """THIRD_PARTY consents with an end date that referrals under way rely on, unless a later consent
    naming the same recipient takes over (a renewal)."""
    found = []
    for consent in snap.consents:
        if consent.scope != ConsentScope.THIRD_PARTY or consent.withdrawn_at or consent.expires_on is None:
            continue
        resources = {r.id: r.resource_id for r in snap.referrals}
        if any(
            not _renewed(snap.consents, consent, resources[referral_id])
            for referral_id in referrals_relying_on(snap, consent)
        ):
            found.append(consent)
    return found


def referrals_relying_on(snap: CaseSnapshot, consent: Consent) -> list[int]:
    """Referrals under way that were sent on this consent (and have no statutory basis instead)."""
    return [
        r.id
        for r in snap.referrals
        if r.consent_id == consent.id and r.statutory_basis is None and not r.status.terminal
    ]


def _renewed(consents: list[Consent], expiring: Consent, resource_id: int) -> bool:
    assert expiring.expires_on is not None
    return any(
        other.id != expiring.id
        and other.scope == ConsentScope.THIRD_PARTY
        and other.withdrawn_at is None
        and (other.expires_on is None or other.expires_on > expiring.expires_on)
        and resource_id in (other.recipient_resource_ids or [])
        for other in consents
    )


def crisis_first_response_due(snap: CaseSnapshot, policy: Policy) -> datetime | None:
    """A crisis, self-harm, abuse or loss of carer ticked at intake: a first response (a contact that
    reached the client) is due within `crisis_first_response_hours` of it (the deadline: the case manager
    is nudged at once, the supervisors when it passes); None once one is logged."""
    case = snap.case
    flagged_at = case.crisis_flagged_at
    if not case.crisis_flags or flagged_at is None:
        return None
    last = snap.last_contact
    if last is not None and last.contact_at >= flagged_at:
        return None
    return flagged_at + timedelta(hours=policy.cadences.crisis_first_response_hours)


def _next_contact_due(snap: CaseSnapshot, policy: Policy) -> datetime:
    """When the next contact is due, by intensity, from the last contact reached (or classification)."""
    case = snap.case
    cad = policy.cadences_for(policy.team_profile(case.team))
    last = snap.last_contact
    classified_at = case.classified_at
    assert classified_at is not None
    if last is None or last.contact_at < classified_at:
        if case.intensity == CaseIntensity.CRISIS:
            return classified_at + timedelta(hours=cad.crisis_first_response_hours)
        start = classified_at.astimezone(policy.zone).date()
        if case.intensity == CaseIntensity.LINKAGE_ONLY:
            return at_local(
                start + timedelta(days=cad.linkage_first_check_days), policy.zone, policy.workday_start_hour
            )
    else:
        start = last.contact_at.astimezone(policy.zone).date()
    due = cad.contact_interval(case.intensity, start, crisis_risk=case.crisis)
    latest_note = max(snap.notes, key=lambda n: n.contact_at, default=None)
    if latest_note is not None and latest_note.next_contact_on and latest_note.next_contact_on < due:
        due = latest_note.next_contact_on  # the worker agreed an earlier contact with the client
    if latest_note is not None and latest_note.result == MonitoringResult.REVISIT:
        revisit = latest_note.contact_at.astimezone(policy.zone).date() + timedelta(days=REVISIT_DAYS)
        due = min(due, revisit)  # a revisit or further interview was judged needed: within a week
    return at_local(due, policy.zone, policy.workday_start_hour)


Wanted = tuple[ReminderKind, datetime, int | None, str | None]  # kind, due at, recipient, channel


def reconcile(
    db: Session,
    existing: dict[str, Reminder],
    wanted: dict[str, Wanted],
    new_row: Callable[[str, ReminderKind], Reminder],
    *,
    keep_new: Callable[[str, Wanted], bool] = lambda key, item: True,
    deadlines: dict[str, date] | None = None,
) -> None:
    """Make the rows match what is wanted, by key: new obligations added (if `keep_new` says so),
    moved ones updated, ones no longer wanted cancelled; rows sent, being sent or given up on are never
    touched (a given-up row addressed to someone else now is tried again), and a snooze still holds.
    `deadlines` (by key) is each task's own deadline, kept on the row apart from when it fires: a snooze
    or a retry moves `due_at`, never `deadline_on`."""
    for key, reminder in existing.items():
        if reminder.status == ReminderStatus.PENDING and key not in wanted:
            reminder.status = ReminderStatus.CANCELLED
        elif reminder.status == ReminderStatus.SENT and key not in wanted and reminder.message_ts:
            reminder.unneeded = True  # its message says so at the next sweep (sweeper.to_settle)
    for key, (kind, due_at, recipient_id, channel_id) in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
            if not keep_new(key, wanted[key]):
                continue
            reminder = new_row(key, kind)
            db.add(reminder)
        elif reminder.status in (ReminderStatus.SENT, ReminderStatus.CLAIMED):
            continue
        elif reminder.status == ReminderStatus.FAILED:
            if (reminder.recipient_id, reminder.slack_channel_id) == (recipient_id, channel_id):
                continue  # undeliverable to that address: it stays ended, with its reason
            reminder.last_error = None  # someone else is to be told now (a transfer): tried afresh
        reminder.status = ReminderStatus.PENDING
        snoozed = reminder.snoozed_until
        reminder.due_at = max(due_at, snoozed) if snoozed else due_at
        reminder.recipient_id = recipient_id
        reminder.slack_channel_id = channel_id
        reminder.deadline_on = (deadlines or {}).get(key)
    db.flush()


def refresh(
    db: Session, case: Case, policy: Policy, *, today: date, snap: CaseSnapshot | None = None
) -> list[Reminder]:
    """Bring the case's reminder rows (and its stored due date, stage and next step) in line with its
    record; returns the pending rows.

    `today` (the agency's date) cancels warnings about consents already expired rather than sending
    them late."""
    db.flush()
    snap = snap or snapshot(db, case)
    supervisors = case_supervisors(db, case, today=today)  # restricted case: the named supervisors only
    gone = departed(db, snap)
    wanted = {item.key: item for item in due_items(snap, policy, supervisors, today=today, departed=gone)}
    existing = {r.key: r for r in db.scalars(select(Reminder).where(Reminder.case_id == case.id))}

    reconcile(
        db,
        existing,
        {key: (item.kind, item.due_at, item.recipient_id, None) for key, item in wanted.items()},
        lambda key, kind: Reminder(key=key, kind=kind, case_id=case.id, attempts=0),
        # A repeated escalation whose day has passed with no row: a round missed, not sent late.
        keep_new=lambda key, _: not (wanted[key].repeat and wanted[key].fired_before(policy, today)),
        deadlines={key: item.deadline for key, item in wanted.items()},
    )

    pending = [
        r
        for r in db.scalars(select(Reminder).where(Reminder.case_id == case.id))
        if r.status == ReminderStatus.PENDING
    ]
    # The stage and next step the desk shows, kept with the deadlines (of the same items, never the
    # time a nudge fires or comes back from a snooze).
    state = store_state(snap, today)
    first, step = case_deadlines(list(wanted.values()), state.next_step)
    case.next_due_on, case.next_due_kind = (first.on, first.kind) if first else (None, None)
    case.next_step_due_on = step.on if step else None
    return pending


# The task whose deadline is a next step's own (none for steps without a deadline of their own:
# linking services, recording the intake or consent, resuming a case on hold).
STEP_TASK: dict[NextStep, ReminderKind] = {
    NextStep.COMPLETE_ASSESSMENT: ReminderKind.ASSESSMENT_DUE,
    NextStep.CLASSIFY: ReminderKind.CLASSIFICATION_DUE,
    NextStep.WRITE_PLAN: ReminderKind.PLAN_DUE,
    NextStep.AGREE_PLAN: ReminderKind.PLAN_DUE,
    NextStep.LOG_CONTACT: ReminderKind.NEXT_CONTACT,
    NextStep.COMPLETE_REASSESSMENT: ReminderKind.REASSESSMENT_DUE,
    NextStep.APPROVE_CLOSURE: ReminderKind.CLOSURE_APPROVAL,
    NextStep.AFTERCARE_CHECK: ReminderKind.AFTERCARE_CHECK,
}


@dataclass(frozen=True)
class Deadline:
    """A task and its own deadline (the agency's date)."""

    kind: ReminderKind  # the task (`task_kind`), never an escalation
    on: date


def tasks(items: list[DueItem]) -> list[Deadline]:
    """The tasks behind the nudges, once each, by deadline: the warnings before a deadline and the
    escalations after it are one task with one deadline."""
    return sorted({Deadline(item.task, item.deadline) for item in items}, key=lambda d: (d.on, d.kind.value))


def case_deadlines(items: list[DueItem], next_step: NextStep) -> tuple[Deadline | None, Deadline | None]:
    """The case's earliest task with its deadline, and the next step's own task and deadline (None when
    the step has no deadline of its own). What the desk, `/case list` and the summary show."""
    found = tasks(items)
    wanted = STEP_TASK.get(next_step)
    step = next((d for d in found if d.kind == wanted), None) if wanted else None
    return (found[0] if found else None), step
