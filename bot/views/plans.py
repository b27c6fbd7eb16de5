"""The service-plan modal (개입계획): goal and task rows whose block ids are the core's field names.

`goals.0.description` is the block of goal row 1's description, so the core's field error
`goals.0.description` lands on that input. Rows after the first are optional. A row's selects and
date pickers share one actions block (Slack allows 100 blocks: 10 goals and 20 tasks fit), so their
errors are shown on the row's first input. Slack cannot add a row itself: "add a goal / task" buttons
rebuild the form with one more row, keeping what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseInChannel, PlanAgreement, channel_ref, conversation_id
from bot.views.blocks import (
    LIMITS,
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    options,
    plain,
    section,
    select,
    size_of,
    text_input,
)
from bot.views.referrals import ResourceChoice, resource_element
from bot.views.tasks import UNASSIGNED, worker_choices
from models.enums import ConsentMethod, NeedDomain, Profile, ResponsibleParty, domains_for
from models.schemas import MAX_GOALS, MAX_TASKS
from models.services.plans import CircleMember

GOAL_ROWS = 3  # rows a new plan form starts with; "add a goal / task" adds one at a time
TASK_ROWS = 3
MAX_GOAL_ROWS = MAX_GOALS
MAX_TASK_ROWS = MAX_TASKS
MAX_BLOCKS = 100  # Slack's limit for a modal
GOAL_BLOCKS = 5  # description, indicator, baseline, target, and one actions block (domain, target date)
TASK_BLOCKS = 2  # the action, and one actions block (responsible, worker, goal, due date, resource)
# A long resource directory makes each resource select large: task rows get one while they fit in this
# share of Slack's 250 kB per view (the others link their service later, with `/case refer`).
RESOURCE_BYTES = 150_000
# Likewise the worker select (the case's circle) while it fits in this share; a row without one is the
# case manager's task, given to a co-worker later with `/case tasks`.
WORKER_BYTES = 40_000

# The inputs of a row (errors land on these), and the fields picked in the row's actions block, whose
# errors are shown on the row's first input.
GOAL_INPUTS = ("description", "indicator", "baseline", "target")
GOAL_PICKS = ("domain", "target_date")
TASK_INPUTS = ("action",)
TASK_PICKS = ("responsible_party", "worker_id", "goal_index", "due_date", "resource_id")


def _placeholder(text: str) -> dict:
    return plain(text, LIMITS["placeholder"])


def _static(
    action_id: str, placeholder: str, choices: Sequence[tuple[str, str]], initial: str | None
) -> dict:
    opts = options(choices)
    element: dict = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": _placeholder(placeholder),
        "options": opts,
    }
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _datepicker(action_id: str, placeholder: str, initial: str | None) -> dict:
    element: dict = {"type": "datepicker", "action_id": action_id, "placeholder": _placeholder(placeholder)}
    if initial:
        element["initial_date"] = initial
    return element


def _text(values: dict, key: str) -> str | None:
    value = values.get(key)
    return value if isinstance(value, str) else None


def goal_blocks(
    row: int, locale: str, domains: Sequence[NeedDomain], values: dict | None = None
) -> list[Block]:
    """Goal row `row` (from 0); `values` (block or action id → what was typed) keeps what was typed."""
    k = "plans.modal."
    values = values or {}
    first = row == 0
    p = f"goals.{row}."
    number = row + 1
    return [
        text_input(
            p + "description",
            t(k + "goal_row", locale, number=number, field=t(k + "goal_description", locale)),
            optional=not first,
            multiline=True,
            max_length=1000,
            initial=_text(values, p + "description"),
            hint=None if first else t(k + "optional_row_hint", locale),
        ),
        text_input(
            p + "indicator",
            t(k + "goal_row", locale, number=number, field=t(k + "goal_indicator", locale)),
            optional=not first,
            max_length=300,
            initial=_text(values, p + "indicator"),
            placeholder=t(k + "goal_indicator_placeholder", locale),
        ),
        text_input(
            p + "baseline",
            t(k + "goal_row", locale, number=number, field=t(k + "goal_baseline", locale)),
            optional=True,
            max_length=200,
            initial=_text(values, p + "baseline"),
        ),
        text_input(
            p + "target",
            t(k + "goal_row", locale, number=number, field=t(k + "goal_target", locale)),
            optional=not first,
            max_length=200,
            initial=_text(values, p + "target"),
        ),
        actions(
            _static(
                p + "domain",
                t(k + "goal_domain", locale),
                [(d.label(locale), d.value) for d in domains],
                _text(values, p + "domain"),
            ),
            _datepicker(
                p + "target_date", t(k + "goal_target_date", locale), _text(values, p + "target_date")
            ),
            block_id=p + "picks",
        ),
    ]


def task_blocks(
    row: int,
    locale: str,
    resources: Sequence[ResourceChoice],
    values: dict | None = None,
    *,
    goal_rows: int = GOAL_ROWS,
    circle: Sequence[CircleMember] = (),
) -> list[Block]:
    """Task row `row`; `resources` empty leaves out the resource select, `circle` empty the worker
    select (담당 직원: the case manager or a co-worker; unpicked, the case manager's)."""
    k = "plans.modal."
    values = values or {}
    p = f"tasks.{row}."
    picks = [
        _static(
            p + "responsible_party",
            t(k + "task_responsible", locale),
            [(r.label(locale), r.value) for r in ResponsibleParty],
            _text(values, p + "responsible_party") or ResponsibleParty.WORKER.value,
        ),
        *(
            [
                _static(
                    p + "worker_id",
                    t(k + "task_worker", locale),
                    worker_choices(locale, circle),
                    _text(values, p + "worker_id") or UNASSIGNED,
                )
            ]
            if circle
            else []
        ),
        _static(
            p + "goal_index",
            t(k + "task_goal", locale),
            [(t(k + "goal_number", locale, number=n + 1), str(n + 1)) for n in range(goal_rows)],
            _text(values, p + "goal_index") or "1",
        ),
        _datepicker(p + "due_date", t(k + "task_due", locale), _text(values, p + "due_date")),
    ]
    if resources:
        chosen = _text(values, p + "resource_id")
        element = resource_element(
            resources, locale, initial=int(chosen) if chosen and chosen.isdecimal() else None
        )
        picks.append(
            {
                **element,
                "action_id": p + "resource_id",
                "placeholder": _placeholder(t(k + "task_resource", locale)),
            }
        )
    return [
        text_input(
            p + "action",
            t(k + "task_row", locale, number=row + 1),
            optional=True,
            max_length=1000,
            initial=_text(values, p + "action"),
            hint=t(k + "optional_row_hint_task", locale),
        ),
        actions(*picks, block_id=p + "picks"),
    ]


def plan_modal(
    locale: str,
    profile: Profile,
    code: str,
    today: date,
    resources: Sequence[ResourceChoice] = (),
    *,
    channel_id: str | None = None,
    draft: tuple[int, int] | None = None,
    goal_rows: int = GOAL_ROWS,
    task_rows: int = TASK_ROWS,
    values: dict | None = None,
    circle: Sequence[CircleMember] = (),
) -> dict:
    """The plan form; `draft` (plan id, version) offers to record agreement to a plan already drafted;
    `circle` (the case manager and co-workers) is whom each task can be given to.

    `goal_rows`/`task_rows` rows are shown (the "add" buttons rebuild the form with one more, `values`
    keeping what was typed); an add button is offered while a row fits Slack's 100 blocks."""
    k = "plans.modal."
    values = values or {}
    domains = [*domains_for(profile), NeedDomain.OTHER]
    goal_rows = max(1, min(goal_rows, MAX_GOAL_ROWS))
    task_rows = max(0, min(task_rows, MAX_TASK_ROWS))
    blocks: list[Block] = []
    if draft is not None:
        plan_id, version = draft
        blocks.append(section(t(k + "draft_waiting", locale, version=version)))
        # One button per method, each in its own block (action ids are unique within a block).
        blocks += [
            actions(agree_button(locale, plan_id, code, method), block_id=f"plan.{plan_id}.{method.value}")
            for method in ConsentMethod
        ]
    start = _text(values, "period_start")
    blocks += [
        section(t(k + "intro", locale, code=code)),
        date_input(
            "period_start",
            t(k + "period_start", locale),
            initial=date.fromisoformat(start) if start else today,
        ),
        date_input(
            "period_end",
            t(k + "period_end", locale),
            optional=True,
            initial=_day(values.get("period_end")),
            hint=t(k + "period_end_hint", locale),
        ),
    ]
    for row in range(goal_rows):
        blocks += goal_blocks(row, locale, domains, values)
    goal_add = len(blocks)
    with_resource = _rows_with_resource(resources, locale)
    with_worker = _rows_with_worker(circle, locale)
    for row in range(task_rows):
        offered = resources if row < with_resource else ()
        workers = circle if row < with_worker else ()
        blocks += task_blocks(row, locale, offered, values, goal_rows=goal_rows, circle=workers)
    agreed = values.get("agreed")
    tail: list[Block] = [
        header(t(k + "agreement_header", locale)),
        checkboxes(
            "agreed",
            t(k + "agreed", locale),
            [(t(k + "agreed_option", locale), YES)],
            initial=agreed if isinstance(agreed, list) else (),
            hint=t(k + "agreed_hint", locale),
        ),
        select(
            "agreement_method",
            t(k + "agreement_method", locale),
            [(m.label(locale), m.value) for m in ConsentMethod],
            optional=True,
            initial=_text(values, "agreement_method") or ConsentMethod.WRITTEN.value,
        ),
    ]
    # The add buttons, while one more row (and the buttons' own blocks) fit in the modal.
    room = MAX_BLOCKS - len(blocks) - len(tail) - 2
    meta = CaseInChannel(code=code, channel=conversation_id(channel_id)).dump()
    if goal_rows < MAX_GOAL_ROWS and room >= GOAL_BLOCKS:
        blocks.insert(
            goal_add,
            actions(button(t(k + "add_goal", locale), Action.PLAN_ADD_GOAL, meta), block_id="goals.add"),
        )
    if task_rows < MAX_TASK_ROWS and room >= TASK_BLOCKS:
        blocks.append(
            actions(button(t(k + "add_task", locale), Action.PLAN_ADD_TASK, meta), block_id="tasks.add")
        )
    blocks += tail
    return modal(
        View.PLAN,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=meta,
    )


def _rows_with_resource(resources: Sequence[ResourceChoice], locale: str) -> int:
    if not resources:
        return 0
    size = size_of(resource_element(resources, locale))
    return max(1, RESOURCE_BYTES // max(size, 1))


def _rows_with_worker(circle: Sequence[CircleMember], locale: str) -> int:
    if not circle:
        return 0
    size = size_of({"options": options(worker_choices(locale, circle))})
    return max(1, WORKER_BYTES // max(size, 1))


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def rows_shown(view: dict) -> tuple[int, int]:
    """How many goal and task rows a plan view shows (from its blocks)."""
    ids = {str(block.get("block_id")) for block in view.get("blocks") or [] if isinstance(block, dict)}
    goals = sum(1 for row in range(MAX_GOAL_ROWS) if f"goals.{row}.description" in ids)
    tasks = sum(1 for row in range(MAX_TASK_ROWS) if f"tasks.{row}.action" in ids)
    return goals, tasks


def agree_button(locale: str, plan_id: int, code: str, method: ConsentMethod) -> dict:
    value = PlanAgreement(plan_id=plan_id, code=code, method=method).dump()
    return button(
        t("plans.done.agree", locale, method=method.label(locale)), Action.AGREE_PLAN, value, style="primary"
    )


def plan_done_blocks(
    locale: str, code: str, *, plan_id: int, version: int, agreed: bool, method: ConsentMethod
) -> list[Block]:
    k = "plans.done."
    status = t(k + ("agreed" if agreed else "draft"), locale)
    blocks: list[Block] = [section(t(k + "text", locale, code=code, version=version, status=status))]
    if agreed:
        blocks.append(context(f"`/case refer {code}`"))
    else:
        blocks.append(actions(agree_button(locale, plan_id, code, method), block_id=f"plan.{plan_id}"))
    return blocks


def plan_done_modal(
    locale: str,
    code: str,
    *,
    plan_id: int,
    version: int,
    agreed: bool,
    method: ConsentMethod,
    channel_id: str | None = None,
) -> dict:
    return modal(
        View.DONE,
        t("plans.done.title", locale),
        [
            header(code),
            *plan_done_blocks(locale, code, plan_id=plan_id, version=version, agreed=agreed, method=method),
        ],
        private_metadata=channel_ref(channel_id),
    )
