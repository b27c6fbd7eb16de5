"""The service-plan modal (개입계획): goal and task rows whose block ids are the core's field names.

`goals.0.description` is the block of goal row 1's description, so the core's field error
`goals.0.description` lands on that input. Rows 2 and 3 are optional.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseInChannel, PlanAgreement, channel_ref, conversation_id
from bot.views.blocks import (
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    section,
    select,
    text_input,
)
from bot.views.referrals import ResourceChoice, input_block, resource_element
from models.enums import ConsentMethod, NeedDomain, Profile, ResponsibleParty, domains_for

GOAL_ROWS = 3
TASK_ROWS = 3


def goal_blocks(row: int, locale: str, domains: Sequence[NeedDomain]) -> list[Block]:
    k = "plans.modal."
    first = row == 0
    p = f"goals.{row}."
    return [
        header(t(k + "goal_header", locale, number=row + 1)),
        select(
            p + "domain",
            t(k + "goal_domain", locale),
            [(d.label(locale), d.value) for d in domains],
            optional=not first,
        ),
        text_input(
            p + "description",
            t(k + "goal_description", locale),
            optional=not first,
            multiline=True,
            max_length=1000,
            hint=None if first else t(k + "optional_row_hint", locale),
        ),
        text_input(
            p + "indicator",
            t(k + "goal_indicator", locale),
            optional=not first,
            max_length=300,
            placeholder=t(k + "goal_indicator_placeholder", locale),
        ),
        text_input(p + "baseline", t(k + "goal_baseline", locale), optional=True, max_length=200),
        text_input(p + "target", t(k + "goal_target", locale), optional=not first, max_length=200),
        date_input(p + "target_date", t(k + "goal_target_date", locale), optional=not first),
    ]


def task_blocks(row: int, locale: str, resources: Sequence[ResourceChoice]) -> list[Block]:
    k = "plans.modal."
    p = f"tasks.{row}."
    blocks = [
        header(t(k + "task_header", locale, number=row + 1)),
        text_input(
            p + "action",
            t(k + "task_action", locale),
            optional=True,
            max_length=1000,
            hint=t(k + "optional_row_hint_task", locale),
        ),
        select(
            p + "responsible_party",
            t(k + "task_responsible", locale),
            [(r.label(locale), r.value) for r in ResponsibleParty],
            optional=True,
            initial=ResponsibleParty.WORKER.value,
        ),
    ]
    if resources:
        blocks.append(
            input_block(
                p + "resource_id",
                t(k + "task_resource", locale),
                resource_element(resources, locale),
                optional=True,
            )
        )
    blocks += [
        date_input(p + "due_date", t(k + "task_due", locale), optional=True),
        select(
            p + "goal_index",
            t(k + "task_goal", locale),
            [(t(k + "goal_number", locale, number=n + 1), str(n + 1)) for n in range(GOAL_ROWS)],
            optional=True,
            initial="1",
        ),
    ]
    return blocks


def plan_modal(
    locale: str,
    profile: Profile,
    code: str,
    today: date,
    resources: Sequence[ResourceChoice] = (),
    *,
    channel_id: str | None = None,
    draft: tuple[int, int] | None = None,
) -> dict:
    """The plan form; `draft` (plan id, version) offers to record agreement to a plan already drafted."""
    k = "plans.modal."
    domains = [*domains_for(profile), NeedDomain.OTHER]
    blocks: list[Block] = []
    if draft is not None:
        plan_id, version = draft
        blocks.append(section(t(k + "draft_waiting", locale, version=version)))
        # One button per method, each in its own block (action ids are unique within a block).
        blocks += [
            actions(agree_button(locale, plan_id, code, method), block_id=f"plan.{plan_id}.{method.value}")
            for method in ConsentMethod
        ]
    blocks += [
        section(t(k + "intro", locale, code=code)),
        date_input("period_start", t(k + "period_start", locale), initial=today),
        date_input(
            "period_end", t(k + "period_end", locale), optional=True, hint=t(k + "period_end_hint", locale)
        ),
    ]
    for row in range(GOAL_ROWS):
        blocks += goal_blocks(row, locale, domains)
    for row in range(TASK_ROWS):
        blocks += task_blocks(row, locale, resources)
    blocks += [
        header(t(k + "agreement_header", locale)),
        checkboxes(
            "agreed",
            t(k + "agreed", locale),
            [(t(k + "agreed_option", locale), YES)],
            hint=t(k + "agreed_hint", locale),
        ),
        select(
            "agreement_method",
            t(k + "agreement_method", locale),
            [(m.label(locale), m.value) for m in ConsentMethod],
            optional=True,
            initial=ConsentMethod.WRITTEN.value,
        ),
    ]
    return modal(
        View.PLAN,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseInChannel(code=code, channel=conversation_id(channel_id)).dump(),
    )


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
