"""Closure (평가·종결), the supervisor's sign-off and after-care (사후관리): views and DM blocks.

Modals are private to the person who opened them; the DMs stay in Slack's history, so they carry the
case code, the decision and the deciding supervisor's Slack mention only (domain.md R1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import AftercareRef, ClosureDraft, ClosureRef, ClosureReturn, MessageRef
from bot.views.blocks import (
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    header,
    modal,
    radio,
    section,
    select,
    text_input,
)
from models.enums import (
    SCHOOL_ONLY_CLOSURE_REASONS,
    AfterCareAction,
    AfterCareStatus,
    ClosureReason,
    ContactType,
    GoalAttainment,
    Profile,
)


@dataclass(frozen=True)
class GoalRow:
    """What the closure modal shows of a goal: no free-text description (it is tagged sensitive)."""

    id: int
    domain_label: str
    indicator: str
    target: str


def goal_block_id(goal_id: int) -> str:
    return f"goal_{goal_id}"


def closure_reasons(profile: Profile) -> list[ClosureReason]:
    return [r for r in ClosureReason if profile == Profile.SCHOOL or r not in SCHOOL_ONLY_CLOSURE_REASONS]


def closure_blocks(goal_ids: list[int]) -> list[str]:
    return [
        "reason",
        *(goal_block_id(g) for g in goal_ids),
        "client_evaluation",
        "worker_evaluation",
        "client_informed",
        "aftercare_plan",
        "handover_target",
    ]


def close_modal(locale: str, profile: Profile, code: str, goals: list[GoalRow]) -> dict:
    k = "closure.modal."

    def label(key: str) -> str:
        return t(k + key, locale)

    attainment = [(a.label(locale), a.value) for a in GoalAttainment]
    blocks: list[Block] = [
        header(code),
        section(label("intro")),
        select("reason", label("reason"), [(r.label(locale), r.value) for r in closure_reasons(profile)]),
    ]
    for number, goal in enumerate(goals[:80], start=1):
        blocks.append(
            radio(
                goal_block_id(goal.id),
                t(
                    "closure.modal.goal",
                    locale,
                    n=number,
                    domain=goal.domain_label,
                    indicator=goal.indicator,
                    target=goal.target,
                ),
                attainment,
            )
        )
    if not goals:
        blocks.append(context(label("no_goals")))
    blocks += [
        text_input("client_evaluation", label("client_evaluation"), optional=True, multiline=True),
        text_input("worker_evaluation", label("worker_evaluation"), multiline=True),
        checkboxes("client_informed", label("client_informed"), [(label("client_informed_option"), YES)]),
        text_input("aftercare_plan", label("aftercare_plan"), optional=True, multiline=True, max_length=2000),
        text_input("handover_target", label("handover_target"), optional=True, max_length=200),
    ]
    return modal(
        View.CLOSE,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=ClosureDraft(code=code, goals=[g.id for g in goals]).dump(),
    )


def close_done_modal(locale: str, code: str, *, dropout_links: list[str] | None = None) -> dict:
    """`dropout_links`: closing for dropping out prompts a referral to a 학교밖청소년지원센터 (꿈드림),
    naming the directory's youth resources (None: no prompt)."""
    blocks = [header(code), section(t("closure.done.text", locale, code=code))]
    if dropout_links is not None:
        where = ", ".join(dropout_links) if dropout_links else t("profiles.dropout.no_resource", locale)
        blocks.append(section(t("profiles.dropout.prompt", locale, code=code, resources=where)))
    return modal(View.DONE, t("closure.done.title", locale), blocks)


def approval_request_blocks(locale: str, code: str, closure_id: int) -> list[Block]:
    """The supervisor's DM: the code, "awaiting approval", and the button that opens the review modal
    (the closure in full, approve or return there: nobody signs off what they have not read)."""
    value = ClosureRef(closure_id=closure_id).dump()
    return [
        section(t("closure.dm.pending", locale, code=code)),
        actions(
            button(t("closure.review.open", locale), Action.REVIEW_CLOSURE, value, style="primary"),
            block_id="closure_decision",
        ),
        context(t("closure.dm.hint", locale, code=code)),
    ]


def decided_blocks(
    locale: str, code: str, approved: bool, supervisor_slack_id: str, at: str | None = None
) -> list[Block]:
    """Every supervisor's approval DM once decided: who decided and when, no buttons left."""
    return [section(decided_text(locale, code, approved, supervisor_slack_id, at))]


def decided_text(
    locale: str, code: str, approved: bool, supervisor_slack_id: str, at: str | None = None
) -> str:
    by = f"<@{supervisor_slack_id}>"
    if at:
        key = "closure.decided.approved" if approved else "closure.decided.returned"
        return t(key, locale, code=code, by=by, at=at)
    key = "closure.dm.approved" if approved else "closure.dm.returned"
    return t(key, locale, code=code, by=by)


def manager_notice_text(
    locale: str, code: str, approved: bool, supervisor_slack_id: str, comment: str | None = None
) -> str:
    """The case manager's DM; a return carries the supervisor's comment (written not to identify anyone)."""
    if approved:
        return t("closure.dm.manager_approved", locale, code=code, by=f"<@{supervisor_slack_id}>")
    return t(
        "closure.dm.manager_returned",
        locale,
        code=code,
        by=f"<@{supervisor_slack_id}>",
        comment=comment or "-",
    )


def return_modal(locale: str, closure_id: int, *, channel: str | None, ts: str | None) -> dict:
    return modal(
        View.CLOSURE_RETURN,
        t("closure.return.title", locale),
        [
            section(t("closure.return.intro", locale)),
            text_input("comment", t("closure.return.comment", locale), multiline=True, max_length=2000),
        ],
        submit=t("closure.return.submit", locale),
        close=t("closure.return.close", locale),
        private_metadata=ClosureReturn(closure_id=closure_id, message=MessageRef.of(channel, ts)).dump(),
    )


AFTERCARE_BLOCKS = ["method", "status", "action", "note"]


def aftercare_modal(locale: str, code: str, check_id: int, due_on: date) -> dict:
    k = "aftercare.modal."

    def label(key: str) -> str:
        return t(k + key, locale)

    blocks: list[Block] = [
        header(code),
        section(t("aftercare.modal.due", locale, date=due_on.isoformat())),
        select("method", label("method"), [(c.label(locale), c.value) for c in ContactType]),
        radio("status", label("status"), [(s.label(locale), s.value) for s in AfterCareStatus]),
        radio(
            "action",
            label("action"),
            [(a.label(locale), a.value) for a in AfterCareAction],
            initial=AfterCareAction.NONE.value,
            hint=label("action_hint"),
        ),
        text_input("note", label("note"), optional=True, multiline=True, max_length=3000),
    ]
    return modal(
        View.AFTERCARE,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=AftercareRef(code=code, check_id=check_id).dump(),
    )


def aftercare_done_modal(locale: str, code: str, reopened: bool) -> dict:
    key = "aftercare.done.reopened" if reopened else "aftercare.done.text"
    return modal(
        View.DONE,
        t("aftercare.done.title", locale),
        [header(code), section(t(key, locale, code=code))],
    )
