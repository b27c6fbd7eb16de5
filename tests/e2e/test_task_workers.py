"""A plan task's responsible worker through the running bot: named in the plan modal's task row or in
`/case tasks`, refused outside the case's circle, and the task's due-date nudge reaches that worker
when the sweep runs; `/case review CODE` (계획점검) opens the plan review, whose submission moves the
review date, and the App Home offers the review when it is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.ids import Action, View
from bot.settings import Settings
from bot.slack_client import make_web_client
from models import Case, ServicePlan
from models.enums import PlanStatus, ReminderKind, ReminderStatus, StaffRole
from models.reminder import Reminder
from models.services import staff
from models.services.calendar import WorkCalendar
from scheduler.jobs import Runtime
from scheduler.sweep import sweep
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, answers_to, choice, command, day, state, submit, text
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_home import buttons, open_home, published
from tests.e2e.test_notes import case_in_monitoring
from tests.e2e.test_plan_work import open_tasks, tasks_of, with_coworker
from tests.e2e.test_plans import case_for, plan_values, plans_of


def staff_id(bot: RunningBot, user: str) -> int:
    with bot.uow() as db:
        return staff.find_staff(db, user).id


def task_nudges(bot: RunningBot, code: str) -> list[Reminder]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(
            db.scalars(
                select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == ReminderKind.TASK_DUE)
            )
        )


def run_sweep_after(bot: RunningBot, due_at: datetime):
    """The scheduler's sweep through the gated client, an hour into the working day the nudge is due."""
    settings = Settings(_env_file=None, slack_bot_token="xoxb-e2e", slack_api_url=bot.slack.url)  # type: ignore[call-arg]
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    runtime = Runtime(
        bot.uow, make_web_client(settings), settings.policy(), calendar, settings.default_locale
    )
    later = calendar.next_working_start(due_at.astimezone(settings.zone) + timedelta(hours=1))
    return sweep(bot.uow, runtime.client, settings.policy(), calendar, later, sleep=lambda _: None)


def test_a_task_given_to_a_coworker_in_case_tasks_nudges_the_coworker(bot: RunningBot):
    code = case_in_monitoring(bot)
    coworker = with_coworker(bot, code)
    add_staff(bot, "UOUT", team="2팀")
    [task] = tasks_of(bot, code)
    view = open_tasks(bot, "UCM1", code)
    [worker_block] = [b for b in view["blocks"] if b.get("block_id") == f"worker.{task.id}"]
    offered = {o["value"] for o in worker_block["element"]["options"]}
    assert offered == {"0", str(staff_id(bot, "UCM1")), str(staff_id(bot, coworker))}
    assert worker_block["element"]["initial_option"]["value"] == "0"  # none named: the manager's

    # someone outside the case's circle is refused on that task's select, nothing changes
    outsider = staff_id(bot, "UOUT")
    bad = state(**{f"task.{task.id}": choice("OPEN"), f"worker.{task.id}": choice(str(outsider))})
    meta, blocks = view["private_metadata"], view["blocks"]
    _, body = submit(bot, "UCM1", View.TASKS, bad, view_id="VW0", private_metadata=meta, blocks=blocks)
    assert body["response_action"] == "errors" and set(body["errors"]) == {f"worker.{task.id}"}
    assert tasks_of(bot, code)[0].worker_id is None

    values = state(
        **{f"task.{task.id}": choice("OPEN"), f"worker.{task.id}": choice(str(staff_id(bot, coworker)))}
    )
    _, body = submit(bot, "UCM1", View.TASKS, values, view_id="VW1", private_metadata=meta, blocks=blocks)
    assert body["response_action"] == "update", body
    [task] = tasks_of(bot, code)
    assert task.worker_id == staff_id(bot, coworker)
    [nudge] = [n for n in task_nudges(bot, code) if n.status == ReminderStatus.PENDING]
    assert nudge.recipient_id == staff_id(bot, coworker)

    # the coworker's Home lists the task; the case manager's no longer does
    bot.slack.reset()
    open_home(bot, coworker)
    assert [b["action_id"] for b in _accessories(published(bot)["view"])] == [Action.TASK_STATUS]
    bot.slack.reset()
    open_home(bot, "UCM1")
    assert Action.TASK_STATUS not in [b["action_id"] for b in _accessories(published(bot)["view"])]

    bot.slack.reset()
    report = run_sweep_after(bot, nudge.due_at)
    assert report.failed == 0, report
    to_coworker = [
        c.params for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == coworker
    ]
    assert to_coworker and any(code in p["text"] for p in to_coworker)
    [sent] = [n for n in task_nudges(bot, code) if n.id == nudge.id]
    assert sent.status == ReminderStatus.SENT and sent.recipient_id == staff_id(bot, coworker)
    # the case manager got no task nudge for it
    to_manager = [c.params for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == "UCM1"]
    assert not [p for p in to_manager if Action.TASK_DONE in str(p.get("blocks"))]


def _accessories(view: dict) -> list[dict]:
    return [b["accessory"] for b in view["blocks"] if isinstance(b.get("accessory"), dict)]


def test_the_plan_modal_names_a_task_s_worker_and_refuses_one_outside_the_circle(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    coworker = with_coworker(bot, code)
    add_staff(bot, "UOUT", team="2팀")
    command(bot, f"plan {code}", "UCM1", channel_id="C0001")
    view = bot.slack.wait_for("views.update")[0].params["view"]
    picks = {
        e["action_id"]: e
        for b in view["blocks"]
        if b.get("block_id") == "tasks.0.picks"
        for e in b["elements"]
    }
    assert {o["value"] for o in picks["tasks.0.worker_id"]["options"]} == {
        "0",
        str(staff_id(bot, "UCM1")),
        str(staff_id(bot, coworker)),
    }
    meta = view["private_metadata"]
    outside = plan_values(**{"tasks.0.worker_id": choice(str(staff_id(bot, "UOUT")))})
    _, body = submit(bot, "UCM1", View.PLAN, outside, view_id="VPW0", private_metadata=meta)
    assert body["response_action"] == "errors" and set(body["errors"]) == {"tasks.0.action"}, body
    assert plans_of(bot, code) == []

    today = datetime.now(Settings(_env_file=None).zone).date()  # type: ignore[call-arg]
    given = plan_values(
        **{
            "period_start": day(today.isoformat()),
            "tasks.0.due_date": day((today + timedelta(days=10)).isoformat()),
            "tasks.1.due_date": day((today + timedelta(days=12)).isoformat()),
            "tasks.0.worker_id": choice(str(staff_id(bot, coworker))),
            "tasks.1.worker_id": choice("0"),
        }
    )
    _, body = submit(bot, "UCM1", View.PLAN, given, view_id="VPW1", private_metadata=meta)
    assert body["response_action"] == "update", body
    [plan] = plans_of(bot, code)
    assert plan.status == PlanStatus.AGREED
    workers = {task.action: task.worker_id for task in plan.tasks}
    assert workers == {"주거급여 신청 동행": staff_id(bot, coworker), "진료 예약": None}
    recipients = {n.recipient_id for n in task_nudges(bot, code) if n.status == ReminderStatus.PENDING}
    assert recipients == {staff_id(bot, coworker), staff_id(bot, "UCM1")}


def test_case_review_opens_the_plan_review_and_its_submission_moves_the_date(bot: RunningBot):
    code = case_in_monitoring(bot)
    coworker = with_coworker(bot, code)
    add_staff(bot, "UOUT", team="2팀")
    add_staff(bot, "USV9", StaffRole.SUPERVISOR)
    with bot.uow() as db:  # the review is due today
        plan = db.scalar(
            select(ServicePlan).join(Case, Case.id == ServicePlan.case_id).where(Case.code == code)
        )
        plan.review_due = ctx_of(db, "UCM1").today
    [before] = plans_of(bot, code)

    # the App Home offers it
    open_home(bot, "UCM1")
    [review_button] = buttons(published(bot)["view"], Action.OPEN_PLAN_REVIEW)
    assert review_button["text"]["text"] == "계획 점검"

    # the team's supervisor and a co-worker may open it (the Korean word too); an outsider is told why not
    for user, words in (("USV9", "review"), (coworker, "계획점검")):
        bot.slack.reset()
        status, _ = command(bot, f"{words} {code}", user, channel_id="C0001")
        assert status == 200
        view = bot.slack.wait_for("views.open")[0].params["view"]
        assert view["callback_id"] == View.PLAN_REVIEW
    bot.slack.reset()
    command(bot, f"review {code}", "UOUT", channel_id="C0001")
    assert answers_to(bot, "UOUT")[0]["text"]
    assert bot.slack.calls("views.open") == []

    values = state(**{"goals.0.progress": choice("IMPROVED"), "goals.0.comment": text("체납 1개월로 줄었음")})
    _, body = submit(
        bot,
        coworker,
        View.PLAN_REVIEW,
        values,
        view_id="VRW1",
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
    )
    assert body["response_action"] == "update", body
    [after] = plans_of(bot, code)
    assert after.id == before.id and after.review_due > before.review_due
    # the review no longer due, the Home's button goes
    open_home(bot, "UCM1")
    assert buttons(published(bot)["view"], Action.OPEN_PLAN_REVIEW) == []


def test_case_review_without_a_plan_in_force_is_told_privately(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    command(bot, f"review {code}", "UCM1", channel_id="C0001")
    assert answers_to(bot, "UCM1")[0]["text"]
    assert bot.slack.calls("views.open") == []
    command(bot, "review", "UCM1", channel_id="C0001")  # no code: how to give it
    assert "review" in answers_to(bot, "UCM1", count=2)[-1]["text"]
