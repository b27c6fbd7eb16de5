"""The App Home: a case manager's desk, a supervisor's team view above it, or a polite "not registered".

Only case codes, stage, next step, due date, intensity and the crisis flag: no client data (R1),
although the Home is private to its user. Always ≤100 blocks: the case list is paged by the core
(`models.services.desk`), and approvals are capped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.i18n import t
from bot.ids import Action
from bot.metadata import AgendaRequestRef, CaseRef, ClosureRef, PageRef, TaskPick
from bot.views import blocks as b
from bot.views.supervision import unsupervised_text, worker_line
from models.enums import CaseStatus, NextStep, Stage, TaskStatus
from models.services.desk import (
    Desk,
    DeskItem,
    DueGroup,
    HomeTask,
    PendingAgendaRequest,
    PendingApproval,
    TeamCaseload,
    UnassignedCase,
)

CALLBACK_ID = "casebot.home"
T = TypeVar("T")
MAX_APPROVALS = 5  # two blocks each
MAX_UNASSIGNED = 5  # two blocks each
MAX_AGENDA_REQUESTS = 3  # two blocks each (the Home holds 100 blocks with everything at its most)
MAX_WORKER_LINES = 40
WORKERS_PER_SECTION = 10  # two lines each, in a section of ≤3000 characters

# The dialogue that does a case's next step (other dialogues own these buttons' handlers).
NEXT_STEP_ACTIONS: dict[NextStep, tuple[Action, str]] = {
    NextStep.RECORD_INTAKE: (Action.OPEN_RECORD_INTAKE, "home.button.intake"),
    NextStep.RECORD_CONSENT: (Action.OPEN_CONSENT, "home.button.consent"),
    NextStep.RESUME: (Action.OPEN_RESUME, "home.button.resume"),
    NextStep.COMPLETE_ASSESSMENT: (Action.OPEN_ASSESS, "home.button.assess"),
    NextStep.COMPLETE_REASSESSMENT: (Action.OPEN_ASSESS, "home.button.assess"),
    NextStep.CLASSIFY: (Action.OPEN_CLASSIFY, "home.button.classify"),
    NextStep.WRITE_PLAN: (Action.OPEN_PLAN, "home.button.plan"),
    NextStep.AGREE_PLAN: (Action.OPEN_PLAN, "home.button.plan"),
    NextStep.LINK_SERVICES: (Action.OPEN_REFER, "home.button.refer"),
    NextStep.LOG_CONTACT: (Action.OPEN_NOTE, "home.button.note"),
    NextStep.AFTERCARE_CHECK: (Action.OPEN_AFTERCARE, "home.button.aftercare"),
    NextStep.REVIEW_CLOSURE: (Action.OPEN_CLOSE, "home.button.close"),
}
GROUP_KEYS = {
    DueGroup.OVERDUE: "home.group.overdue",
    DueGroup.THIS_WEEK: "home.group.this_week",
    DueGroup.LATER: "home.group.later",
}


def not_registered_home(locale: str) -> dict:
    return notice_home(t("home.not_registered", locale), locale)


def notice_home(text: str, locale: str) -> dict:
    """The desk's title and one notice instead of the desk (not registered, or refused and why)."""
    return _home([b.header(t("home.title", locale)), b.section(text)])


def home_view(
    locale: str,
    *,
    name: str,
    today: str,
    desk: Desk,
    caseload: TeamCaseload | None = None,
    tasks: list[HomeTask] | None = None,
) -> dict:
    blocks = [
        b.header(t("home.title", locale)),
        b.context(t("home.intro", locale, name=name, today=today), t("home.privacy", locale)),
    ]
    if caseload is not None:
        blocks += team_blocks(caseload, locale)
    blocks += desk_blocks(desk, locale)
    if tasks:
        room = 100 - len(blocks) - 1  # the Home holds at most 100 blocks: tasks give way to cases
        if room > 0:
            blocks += task_blocks(tasks[:room], locale)
    return _home(blocks, private_metadata=PageRef(page=desk.page).dump())


def task_blocks(tasks: list[HomeTask], locale: str) -> list[dict]:
    """The person's open plan tasks, each with a status select (case code, number, due date only)."""
    blocks: list[dict] = [b.header(t("tasks.home.header", locale))]
    for task in tasks:
        line = t("tasks.home.line", locale, code=task.code, number=task.number, due=task.due_date.isoformat())
        choices = [
            b.option(status.label(locale), TaskPick(task_id=task.task_id, status=status).dump())
            for status in TaskStatus
        ]
        chosen = choices[list(TaskStatus).index(task.status)]
        accessory = {
            "type": "static_select",
            "action_id": Action.TASK_STATUS,
            "placeholder": b.plain(t("tasks.home.status_placeholder", locale), 150),
            "options": choices,
            "initial_option": chosen,
        }
        blocks.append(b.section(f"{line} · {task.status.label(locale)}", accessory=accessory))
    return blocks


def _home(blocks: list[dict], private_metadata: str = "") -> dict:
    view = {"type": "home", "callback_id": CALLBACK_ID, "blocks": blocks}
    if private_metadata:
        view["private_metadata"] = private_metadata
    b.check_view(view)
    return view


def team_blocks(load: TeamCaseload, locale: str) -> list[dict]:
    blocks: list[dict] = [b.header(t("home.team.header", locale))]
    lines = [worker_line(w, locale) for w in load.workers[:MAX_WORKER_LINES]]
    if not lines:
        blocks.append(b.section(t("home.team.none", locale)))
    for start in range(0, len(lines), WORKERS_PER_SECTION):  # a section holds ≤3000 characters
        blocks.append(b.section("\n".join(lines[start : start + WORKERS_PER_SECTION])))
    over = load.over_threshold
    if over:
        blocks.append(
            b.section(
                t(
                    "supervision.load.over",
                    locale,
                    count=len(over),
                    names=", ".join(w.name for w in over),
                    threshold=f"{load.threshold:g}",
                )
            )
        )
    if load.unsupervised:
        blocks.append(b.section(unsupervised_text(load, locale)))
    blocks.append(
        b.context(
            t("home.team.total", locale, open=load.open_cases, overdue=load.overdue),
            t("home.team.weights", locale),
            t("supervision.load.legend", locale, threshold=f"{load.threshold:g}"),
        )
    )
    blocks += unassigned_blocks(load, locale)
    blocks += agenda_request_blocks(load, locale)
    blocks.append(b.header(t("home.approvals.header", locale, count=len(load.approvals))))
    if not load.approvals:
        blocks.append(b.section(t("home.approvals.none", locale)))

    def approval_row(approval: PendingApproval) -> list[dict]:
        text = t(
            "home.approvals.line",
            locale,
            code=approval.code,
            reason=approval.reason.label(locale),
            requested_by=approval.requested_by,
            date=approval.requested_on.isoformat(),
        )
        return _row(
            text,
            f"home.approval.{approval.closure_id}",
            # The decision is taken in the review modal, with the whole closure read (issue: blind sign-off).
            b.button(
                t("home.button.review", locale),
                Action.REVIEW_CLOSURE,
                ClosureRef(closure_id=approval.closure_id).dump(),
                style="primary",
            ),
            b.button(t("home.button.show", locale), Action.OPEN_SHOW, CaseRef(code=approval.code).dump()),
        )

    blocks += _capped_rows(load.approvals, MAX_APPROVALS, "home.approvals.more", locale, approval_row)
    blocks.append(b.divider())
    return blocks


def unassigned_blocks(load: TeamCaseload, locale: str) -> list[dict]:
    """담당자 없음: the team's cases whose case manager left, each with a button to transfer it (shown
    only when there are some)."""
    if not load.unassigned:
        return []
    blocks = [b.header(t("home.unassigned.header", locale, count=len(load.unassigned)))]

    def unassigned_row(case: UnassignedCase) -> list[dict]:
        flags = (t("home.crisis", locale) if case.crisis else "") + (
            t("home.on_hold", locale) if case.status == CaseStatus.ON_HOLD else ""
        )
        text = t("home.unassigned.line", locale, code=case.code, flags=flags, left=case.left)
        if case.next_due_on:
            text += " · " + t("home.due", locale, date=case.next_due_on.isoformat())
        value = CaseRef(code=case.code).dump()
        return _row(
            text,
            f"home.unassigned.{case.code}",
            b.button(t("home.button.transfer", locale), Action.OPEN_TRANSFER, value, style="primary"),
            b.button(t("home.button.show", locale), Action.OPEN_SHOW, value),
        )

    return blocks + _capped_rows(
        load.unassigned, MAX_UNASSIGNED, "home.unassigned.more", locale, unassigned_row
    )


def agenda_request_blocks(load: TeamCaseload, locale: str) -> list[dict]:
    """통합사례회의 안건 요청: another team's conference asks for a case of the team; agree or refuse here
    as from the DM (case code and the conference's type and time only; shown only when there are some)."""
    if not load.agenda_requests:
        return []
    blocks = [b.header(t("home.agenda.header", locale, count=len(load.agenda_requests)))]

    def request_row(request: PendingAgendaRequest) -> list[dict]:
        text = t(
            "home.agenda.line",
            locale,
            code=request.code,
            type=request.conference_type.label(locale),
            when=f"{request.scheduled_at:%Y-%m-%d %H:%M}",
        )
        value = AgendaRequestRef(request_id=request.request_id).dump()
        return _row(
            text,
            f"home.agenda.{request.request_id}",
            b.button(t("conferences.request.agree", locale), Action.AGENDA_AGREE, value, style="primary"),
            b.button(t("conferences.request.refuse", locale), Action.AGENDA_REFUSE, value),
        )

    return blocks + _capped_rows(
        load.agenda_requests, MAX_AGENDA_REQUESTS, "home.agenda.more", locale, request_row
    )


def _row(text: str, block_id: str, *buttons: dict) -> list[dict]:
    """One item of a Home list: its line, and its buttons under it."""
    return [b.section(text), b.actions(*buttons, block_id=block_id)]


def _capped_rows(
    items: Sequence[T], limit: int, more_key: str, locale: str, row: Callable[[T], list[dict]]
) -> list[dict]:
    """The first `limit` items' blocks, then how many more there are (the Home holds 100 blocks)."""
    blocks = [block for item in items[:limit] for block in row(item)]
    if len(items) > limit:
        blocks.append(b.context(t(more_key, locale, count=len(items) - limit)))
    return blocks


def desk_blocks(desk: Desk, locale: str) -> list[dict]:
    blocks: list[dict] = [b.header(t("home.my_cases", locale, total=desk.total))]
    if desk.total == 0:
        blocks.append(b.section(t("home.no_cases", locale)))
        return blocks
    for group in DueGroup:
        count = desk.counts[group]
        if count == 0:
            continue
        blocks.append(b.section(f"*{t(GROUP_KEYS[group], locale, count=count)}*"))
        items = desk.group(group)
        if not items:
            blocks.append(b.context(t("home.not_on_page", locale)))
        for item in items:
            blocks += case_blocks(item, locale)
    if desk.pages > 1:
        blocks += page_blocks(desk, locale)
    return blocks


def case_blocks(item: DeskItem, locale: str) -> list[dict]:
    flags = (t("home.crisis", locale) if item.crisis else "") + (
        t("home.on_hold", locale) if item.status == CaseStatus.ON_HOLD else ""
    )
    # Each date with its own task: the next step's deadline beside it, and below it the earliest task
    # when that is another one (it is what puts the case among the overdue).
    step_due = (
        t(
            "home.step_due",
            locale,
            date=item.next_step_due_on.isoformat(),
            late=_late(item.days_late(item.next_step_due_on), locale),
        )
        if item.next_step_due_on
        else ""
    )
    first = item.first_due
    if first is not None:
        due = t(
            "home.task_due",
            locale,
            what=first.kind.label(locale),
            date=first.on.isoformat(),
            late=_late(item.days_late(first.on), locale),
        )
    elif item.next_due_on and item.next_due_kind is None:
        due = t("home.due", locale, date=item.next_due_on.isoformat())  # stored before tasks were
    elif item.next_due_on is None:
        due = t("home.no_due", locale)
    else:
        due = ""
    intensity = item.intensity.label(locale) if item.intensity else ""
    text = t(
        "home.line",
        locale,
        code=item.code,
        flags=flags,
        stage=f"{item.state.stage.number}. {item.state.stage.label(locale)}",
        next_step=item.state.next_step_label(locale),
        step_due=step_due,
        due=" · ".join(part for part in (due, intensity) if part),
    ).rstrip()
    return [b.section(text), b.actions(*case_buttons(item, locale), block_id=f"home.case.{item.code}")]


def _late(days: int, locale: str) -> str:
    return t("home.late", locale, days=days) if days > 0 else ""


def case_buttons(item: DeskItem, locale: str) -> list[dict]:
    value = CaseRef(code=item.code).dump()
    buttons = []
    step = NEXT_STEP_ACTIONS.get(item.state.next_step)
    if step is not None and (item.status != CaseStatus.ON_HOLD or item.state.next_step == NextStep.RESUME):
        action, label = step
        buttons.append(b.button(t(label, locale), action, value, style="primary"))
    if item.review_due:  # the plan in force is due for its review (no next step of its own)
        buttons.append(b.button(t("home.button.plan_review", locale), Action.OPEN_PLAN_REVIEW, value))
    if item.state.stage == Stage.MONITORING and item.status != CaseStatus.ON_HOLD:
        buttons.append(b.button(t("home.button.close", locale), Action.OPEN_CLOSE, value))
    buttons.append(b.button(t("home.button.show", locale), Action.OPEN_SHOW, value))
    return buttons


def page_blocks(desk: Desk, locale: str) -> list[dict]:
    """Page n of m and the buttons; one HOME_PAGE button per block (action ids are unique per block)."""
    blocks = [b.context(t("home.page", locale, page=desk.page + 1, pages=desk.pages, total=desk.total))]
    if desk.page > 0:
        blocks.append(
            b.actions(
                b.button(t("home.prev", locale), Action.HOME_PAGE, PageRef(page=desk.page - 1).dump()),
                block_id="home.page.prev",
            )
        )
    if desk.page < desk.pages - 1:
        blocks.append(
            b.actions(
                b.button(
                    t("home.next", locale),
                    Action.HOME_PAGE,
                    PageRef(page=desk.page + 1).dump(),
                    style="primary",
                ),
                block_id="home.page.next",
            )
        )
    return blocks
