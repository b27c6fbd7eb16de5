"""A simulated month (issue 19): every surface shows the same (case, task, deadline) pairs as the record.

Four cases of a team (a crisis case with daily contacts, an intensive one, a general one still without a
plan, a high-complexity one asked for a re-assessment) live through September-October 2026 with 추석 and
the October holidays in it. Each morning the sweep's nudges, the manager's and the supervisor's daily
digest, the team board, the desk (Home and `/case list`) and the summary are read through the services
that feed them, and each pair they show is held to what `reminders.due_items` says the record owes that
day. Some nudges are snoozed, some contacts are never logged (they escalate), some are logged late.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.case import Case
from models.enums import CaseIntensity, MonitoringResult, NeedDomain, ReminderKind
from models.reminder import Reminder
from models.services import access, assessments, board, cases, desk, digest, notes, plans, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.reminders import STEP_TASK, Deadline, due_items, task_kind, tasks
from tests.factories import assessment_input, contact, intake, plan_input

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)
POLICY = Policy()
K = ReminderKind
START = date(2026, 9, 14)
DAYS = 31
BOARD_TASK = {
    board.BoardKind.CONTACT: K.NEXT_CONTACT,
    board.BoardKind.PLAN_REVIEW: K.PLAN_REVIEW,
    board.BoardKind.AFTERCARE: K.AFTERCARE_CHECK,
}


def at(day: date, hour: int = 9, minute: int = 5) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def open_cases(db, world) -> dict[str, Case]:
    ctx = world.ctx(now=at(START - timedelta(days=3), 10))
    made = {}
    for name, intensity, crisis, with_plan in (
        ("crisis", CaseIntensity.CRISIS, True, True),
        ("intensive", CaseIntensity.INTENSIVE, False, True),
        ("planning", CaseIntensity.GENERAL, False, False),
        ("reassess", CaseIntensity.HIGH_COMPLEXITY, False, True),
    ):
        case = cases.open_case(db, ctx, intake())
        data = assessment_input(crisis_domain=NeedDomain.SAFETY if crisis else None)
        assessments.assess(db, ctx, case.code, data)
        cases.classify(db, ctx, case.code, intensity)
        if with_plan:
            plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
        made[name] = case
    when = at(START - timedelta(days=2), 11)
    notes.log_contact(
        db, world.ctx(now=when), made["reassess"].code, contact(when, result=MonitoringResult.REASSESS)
    )
    return made


def truth(db, case: Case, today: date) -> tuple[set[tuple[str, K, date]], dict[int, set[tuple[K, date]]]]:
    """What the record owes on `today`: (code, task, deadline), and per recipient (task, deadline)."""
    snap = snapshot(db, case)
    items = due_items(snap, POLICY, access.case_supervisors(db, case, today=today), today=today)
    pairs = {(case.code, d.kind, d.on) for d in tasks(items)}
    by_person: dict[int, set[tuple[K, date]]] = {}
    for item in items:
        if item.recipient_id is not None:
            by_person.setdefault(item.recipient_id, set()).add((item.task, item.deadline))
    return pairs, by_person


def test_every_surface_agrees_on_each_tasks_deadline_for_a_month(db, world):
    made = open_cases(db, world)
    everyone = list(made.values())
    seen = {"nudge": 0, "digest": 0, "board": 0, "desk": 0, "late_nudge": 0, "snoozed": 0}
    snoozed: set[int] = set()
    for offset in range(DAYS):
        today = START + timedelta(days=offset)
        now = at(today)
        owed: set[tuple[str, K, date]] = set()
        owed_to: dict[int, set[tuple[K, date]]] = {}
        for case in everyone:
            db.refresh(case)
            pairs, by_person = truth(db, case, today)
            owed |= pairs
            for person, found in by_person.items():
                owed_to.setdefault(person, set()).update((case.code, k, d) for k, d in found)

        # Nudges: what the sweep sends this morning (on working days only, as the sweep does).
        if CAL.is_working_time(now):
            groups, _stale = sweeper.batches(db, sweeper.claim(db, now), now)
            for batch in groups:
                lead = batch.lead
                code = db.get(Case, lead.case_id).code
                shown = (code, task_kind(lead.kind), sweeper.deadline_of(lead, SEOUL))
                assert shown in owed, (today, lead.key, shown)
                seen["nudge"] += 1
                seen["late_nudge"] += shown[2] < today
                ids = [r.id for r in batch.reminders]
                sweeper.mark_sent(db, ids, ts="1.0", now=now)
                # Every third nudge about a contact is put off a week (once per row).
                if task_kind(lead.kind) == K.NEXT_CONTACT and lead.id % 3 == 0 and lead.id not in snoozed:
                    snoozed.add(lead.id)
                    sweeper.snooze(db, lead.recipient_id, lead.id, at(today + timedelta(days=7), 9, 0))
                    seen["snoozed"] += 1
            db.flush()

        # Digests: each person's tasks due by tomorrow, each with its own deadline.
        for person in (world.manager, world.supervisor):
            lines = digest.due_between(db, person.id, today, today + timedelta(days=1), POLICY)
            for line in lines:
                assert (line.code, line.kind, line.due_on) in owed_to.get(person.id, set()), (today, line)
                seen["digest"] += 1
        manager_lines = {
            (line.code, line.kind, line.due_on)
            for line in digest.due_between(db, world.manager.id, today, today + timedelta(days=1), POLICY)
        }
        for code, kind, deadline in owed_to.get(world.manager.id, set()):
            if deadline <= today + timedelta(days=1):
                assert (code, kind, deadline) in manager_lines, (today, code, kind, deadline)

        # The team board: contacts, plan reviews and after-care checks due today or overdue.
        posted = board.board_items(db, world.team.id, today, POLICY)
        on_board = {(i.code, BOARD_TASK[i.kind], i.due_on) for g in posted.groups for i in g.items}
        for code, kind, deadline in on_board:
            assert (code, kind, deadline) in owed, (today, code, kind, deadline)
            assert (today - deadline).days == next(
                i.days_overdue
                for g in posted.groups
                for i in g.items
                if (i.code, i.due_on) == (code, deadline)
            )
            seen["board"] += 1

        # The desk (Home and /case list) and the summary: each date with its own task.
        ctx = world.ctx(now=at(today, 10))
        for item in desk.my_desk(db, ctx, page_size=50).items:
            mine = sorted(
                (Deadline(k, d) for c, k, d in owed if c == item.code), key=lambda d: (d.on, d.kind.value)
            )
            earliest = mine[0] if mine else None
            assert item.next_due_on == (earliest.on if earliest else None), (today, item.code)
            if earliest is not None:
                assert any(d.on == item.next_due_on and d.kind == item.next_due_kind for d in mine)
            step_task = STEP_TASK.get(item.state.next_step)
            step = next((d for d in mine if d.kind == step_task), None)
            assert item.next_step_due_on == (step.on if step else None), (today, item.code, item.state)
            summary = desk.case_summary(db, ctx, item.code)
            assert summary.step_due == step
            assert (summary.first_due or summary.step_due) == earliest
            seen["desk"] += 1

        # The day's work: the crisis contact is logged on even days, the intensive one once, late.
        if offset % 2 == 0:
            when = at(today, 14)
            notes.log_contact(db, world.ctx(now=when), made["crisis"].code, contact(when))
        if offset == 20:
            when = at(today, 15)
            notes.log_contact(db, world.ctx(now=when), made["intensive"].code, contact(when))
        db.flush()

    # The month had every situation in it: late nudges (escalations and snoozes), overdue digest lines,
    # the board, and a full desk every day.
    assert seen["nudge"] > 20 and seen["late_nudge"] > 5 and seen["snoozed"] >= 2, seen
    assert seen["digest"] > 20 and seen["board"] > 10 and seen["desk"] == 4 * DAYS, seen
    snoozed_rows = [db.get(Reminder, i) for i in snoozed]
    assert all(r.deadline_on is not None and r.deadline_on < r.due_at.date() for r in snoozed_rows)
