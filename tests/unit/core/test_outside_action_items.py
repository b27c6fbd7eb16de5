"""Action items owned outside Casebot (another agency, a person who is not staff): the chair is nudged
D-2 and on the due date, with buttons to record the status, until it is recorded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.ids import Action
from models.audit import CaseEvent
from models.conference import ActionItem
from models.enums import ReminderKind, ReminderStatus, TaskStatus
from models.errors import InvalidInput, NotAllowed
from models.reminder import Reminder
from models.schemas import ActionItemInput, OutcomeInput
from models.services import conferences
from tests.factories import case_in_monitoring
from tests.unit.core.test_conferences import conference_input, kst, posts, run_sweep, slack  # noqa: F401

OUTSIDE = "가상구 정신건강복지센터 가상담당"


def held_with_outside_items(db, world):
    case = case_in_monitoring(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input(case))
    conferences.record_outcome(
        db,
        world.ctx(now=kst(2026, 3, 17, 16, 0)),
        conference.id,
        OutcomeInput(
            action_items=[
                ActionItemInput(
                    description="주거 지원 가상 확인",
                    owner_external=OUTSIDE,
                    due_date=date(2026, 3, 26),
                    code=case.code,
                ),
                ActionItemInput(
                    description="자원 목록 가상 공유", owner_external=OUTSIDE, due_date=date(2026, 3, 26)
                ),
            ]
        ),
    )
    items = {i.case_id is not None: i for i in conference.action_items}
    return case, conference, items[True], items[False]


def pending(db, item: ActionItem) -> list[tuple[int | None, date]]:
    found = db.scalars(
        select(Reminder).where(
            Reminder.kind == ReminderKind.ACTION_ITEM, Reminder.status == ReminderStatus.PENDING
        )
    )
    return sorted(
        (r.recipient_id, r.due_at.astimezone(kst(2026, 1, 1).tzinfo).date())
        for r in found
        if conferences.action_item_id_of(r) == item.id
    )


def test_outside_items_nudge_the_chair_two_days_before_and_on_the_day_until_recorded(db, world):
    case, _conference, with_case, without = held_with_outside_items(db, world)
    chair = world.manager.id
    for item in (with_case, without):
        assert pending(db, item) == [(chair, date(2026, 3, 24)), (chair, date(2026, 3, 26))]
    # Someone who is neither the chair nor an organiser records nothing.
    with pytest.raises(NotAllowed):
        conferences.complete_action_item(db, world.ctx(world.outsider), with_case.id)
    with pytest.raises(InvalidInput):
        conferences.complete_action_item(db, world.ctx(), with_case.id, TaskStatus.OPEN)
    assert with_case.status == TaskStatus.OPEN and pending(db, with_case)

    done = conferences.mark_action_item_done(db, world.ctx(), with_case.id, TaskStatus.CANCELLED)
    assert done.status == TaskStatus.CANCELLED and done.outside
    assert pending(db, with_case) == []  # recorded: the nudges stop
    assert "action_item_dropped" in set(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id))
    )
    conferences.complete_action_item(db, world.ctx(), without.id)
    assert without.status == TaskStatus.DONE and pending(db, without) == []


def test_the_sweep_sends_the_chair_the_nudge_with_the_record_buttons_and_no_owner_or_text(
    db,
    uow,
    world,
    slack,  # noqa: F811
):
    case, _conference, _with_case, _without = held_with_outside_items(db, world)
    db.commit()
    run_sweep(uow, slack, kst(2026, 3, 24, 9, 0))
    everything = posts(slack, world.manager.slack_user_id)
    # Nothing sent to the chair names the outside owner or says what the items are.
    assert not any(OUTSIDE in str(d) or "가상 확인" in str(d) or "가상 공유" in str(d) for d in everything)
    dms = chair_nudges(slack, world.manager.slack_user_id)
    assert len(dms) == 2 and all("기한 2026-03-26" in d["text"] for d in dms)
    assert any(case.code in d["text"] for d in dms)
    for dm in dms:
        assert action_ids(dm)[:3] == [
            Action.ACTION_ITEM_DONE,
            Action.ACTION_ITEM_DROPPED,
            Action.ACTION_ITEM_SHOW,
        ]
    # Not recorded by the due date: the chair hears again that morning.
    run_sweep(uow, slack, kst(2026, 3, 26, 9, 0))
    assert len(chair_nudges(slack, world.manager.slack_user_id)) == 4


def action_ids(message: dict) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def chair_nudges(slack, user: str) -> list[dict]:  # noqa: F811
    """What `user` was sent as the conference's chair. The chair here is also the case's manager, who
    is nudged about the plan's own overdue tasks as well (TASK_DUE, opening the case's tasks): those
    are not the chair's and must be nothing else."""
    sent = posts(slack, user)
    tasks = [d for d in sent if Action.OPEN_TASKS in action_ids(d)]
    assert all("계획 과업 기한" in d["text"] for d in tasks), tasks
    return [d for d in sent if d not in tasks]
