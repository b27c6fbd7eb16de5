"""Working the plan in force: its tasks' states (과업 상태) and a plan review (계획 점검), in modals.

Modals are private to the one who opened them, so the task's and goal's own words are shown there;
the App Home and nudges name tasks by case code, number and due date only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef, PlanReviewRef
from bot.views.blocks import Block, context, cut, header, modal, section, select, text_input
from models.enums import GoalProgress, TaskStatus
from models.services.plans import CircleMember, PlanForReview, TaskList

UNASSIGNED = "0"  # the worker option "the case manager (none named)"


def task_block_id(task_id: int) -> str:
    return f"task.{task_id}"


def worker_block_id(task_id: int) -> str:
    return f"worker.{task_id}"


def task_choices(locale: str) -> list[tuple[str, str]]:
    return [(status.label(locale), status.value) for status in TaskStatus]


def worker_choices(locale: str, circle: Sequence[CircleMember]) -> list[tuple[str, str]]:
    """The case manager (none named) first, then the circle's members by name."""
    return [(t("plans.modal.worker_manager", locale), UNASSIGNED)] + [
        (member.name, str(member.id)) for member in circle
    ]


def tasks_modal(locale: str, tasks: TaskList) -> dict:
    """A status select and a worker select (담당 직원: the case's circle) per task of the plan in
    force; the submission saves the changed ones."""
    k = "tasks.modal."
    blocks: list[Block] = [header(tasks.code), section(t(k + "intro", locale, version=tasks.version))]
    if not tasks.tasks:
        blocks.append(section(t(k + "none", locale)))
    for number, task in enumerate(tasks.tasks, start=1):
        goal = t(k + "goal", locale, number=task.goal_number) if task.goal_number else ""
        label = t(
            k + "task",
            locale,
            number=number,
            action=cut(task.action, 1500),
            due=task.due_date.isoformat(),
            responsible=task.responsible.label(locale),
            goal=goal,
        )
        blocks.append(select(task_block_id(task.id), label, task_choices(locale), initial=task.status.value))
        if tasks.circle:
            blocks.append(
                select(
                    worker_block_id(task.id),
                    t(k + "worker", locale, number=number),
                    worker_choices(locale, tasks.circle),
                    optional=True,
                    initial=str(task.worker_id) if task.worker_id else UNASSIGNED,
                    hint=t(k + "worker_hint", locale) if number == 1 else None,
                )
            )
    return modal(
        View.TASKS,
        t(k + "title", locale),
        blocks[:100],
        submit=t(k + "submit", locale) if tasks.tasks else None,
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=tasks.code).dump(),
    )


def tasks_done_modal(locale: str, code: str, changed: int) -> dict:
    k = "tasks.done."
    return modal(
        View.DONE, t(k + "title", locale), [header(code), section(t(k + "text", locale, count=changed))]
    )


def review_block_ids(goals: int) -> list[str]:
    ids = []
    for row in range(goals):
        ids += [f"goals.{row}.progress", f"goals.{row}.comment"]
    return ids


def plan_review_modal(locale: str, plan: PlanForReview) -> dict:
    """계획 점검: each goal's progress (진전/유지/악화) and a comment; the plan keeps its version."""
    k = "tasks.review."
    due = plan.review_due.isoformat() if plan.review_due else "-"
    blocks: list[Block] = [
        header(plan.code),
        section(t(k + "intro", locale, version=plan.version, due=due)),
    ]
    for row, goal in enumerate(plan.goals):
        blocks += [
            section(t(k + "goal", locale, number=goal.number, description=cut(goal.description, 2500))),
            select(
                f"goals.{row}.progress",
                t(k + "progress", locale, number=goal.number),
                [(p.label(locale), p.value) for p in GoalProgress],
            ),
            text_input(f"goals.{row}.comment", t(k + "comment", locale), optional=True, max_length=1000),
        ]
    return modal(
        View.PLAN_REVIEW,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=PlanReviewRef(
            code=plan.code, plan_id=plan.plan_id, goal_ids=[goal.id for goal in plan.goals]
        ).dump(),
    )


def plan_review_done_modal(locale: str, code: str, next_review: date | None) -> dict:
    k = "tasks.review_done."
    due = next_review.isoformat() if next_review else "-"
    return modal(
        View.DONE,
        t(k + "title", locale),
        [header(code), section(t(k + "text", locale, due=due)), context(f"`/case tasks {code}`")],
    )
