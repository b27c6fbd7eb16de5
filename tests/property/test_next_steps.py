"""No dead ends (issue 14): for a case at a next step, the Home offers a button, the dialogue it opens
can be submitted, and a successful submission moves the case off that step.

Covered steps (STEPS below): RECORD_INTAKE, RECORD_CONSENT, CLASSIFY, RESUME. Hypothesis draws the
step and a history before it (how many other cases the person has, at which steps, and whether the
case was put on hold and resumed on the way), so the button is found among others on the Home.
Steps whose dialogues are covered elsewhere but not yet here: COMPLETE_ASSESSMENT,
COMPLETE_REASSESSMENT, WRITE_PLAN, AGREE_PLAN, LINK_SERVICES, LOG_CONTACT (a contact keeps the case at
that step by design: it moves the due date), AFTERCARE_CHECK; APPROVE_CLOSURE is the supervisor's
approval on the Home's approvals list, not a case button.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.views.home import NEXT_STEP_ACTIONS
from models.case import Case
from models.enums import CaseIntensity, NextStep, StaffRole, Surface
from models.schemas import StaffInput
from models.services import assessments, cases
from models.services import staff as staff_service
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, event, new_view_id, view_submission
from tests.e2e.helpers import choice, choices, day, state, text
from tests.factories import NOW, TODAY, assessment_input, intake
from tests.property.conftest import SIGNING_SECRET, Bot

_people = itertools.count(1)


def _person(bot: Bot) -> tuple[str, Ctx]:
    user = f"UNEXT{next(_people):04d}"
    with bot.uow() as db:
        member = staff_service.add_staff(
            db,
            StaffInput(
                slack_user_id=user, display_name=user, role=StaffRole.CASE_MANAGER, team=bot.world.team.name
            ),
        )
        db.flush()
        db.expunge(member)
    return user, Ctx(actor=member, surface=Surface.CLI, now=NOW)


def _at(bot: Bot, ctx: Ctx, step: NextStep, detour: bool) -> str:
    """A case of the person's whose next step is `step` (on the way: put on hold and resumed, maybe)."""
    with bot.uow() as db:
        actor = db.merge(ctx.actor)
        ctx = Ctx(actor=actor, surface=Surface.CLI, now=NOW)
        case = cases.open_case(
            db,
            ctx,
            intake(
                intake_held=step != NextStep.RECORD_INTAKE,
                with_consent=step not in (NextStep.RECORD_INTAKE, NextStep.RECORD_CONSENT),
            ),
        )
        code = case.code
        if detour:
            cases.hold(db, ctx, code, reason="연락 두절", until=TODAY + timedelta(days=7))
            if step != NextStep.RESUME:
                cases.resume(db, ctx, code)
        if step == NextStep.CLASSIFY:
            assessments.assess(db, ctx, code, assessment_input())
        if step == NextStep.RESUME and not detour:
            cases.hold(db, ctx, code, reason="입원", until=TODAY + timedelta(days=7))
        assert cases.current_state(db, ctx, case).next_step == step
        return code


def _consent_values(view: dict) -> dict:
    return state(
        scope=choice("COLLECT_USE"),
        purposes=choices("case_management", kind="multi_static_select"),
        items=choices("name", "contact", kind="multi_static_select"),
        retention=choice("closure_5y"),
        signer_name=text("가나다테스트"),
        signer_relationship=choice("SELF"),
        method=choice("WRITTEN"),
        given_on=day(TODAY.isoformat()),
        expires_on=day(None),
        refusal_notice_given=choices("yes"),
    )


@dataclass(frozen=True)
class Step:
    values: Callable[[dict], dict]


STEPS: dict[NextStep, Step] = {
    NextStep.RECORD_INTAKE: Step(
        lambda view: state(intake_summary=text("방문 상담"), confidentiality_notice_given=choices("yes"))
    ),
    NextStep.RECORD_CONSENT: Step(_consent_values),
    NextStep.CLASSIFY: Step(
        lambda view: state(intensity=choice(CaseIntensity.GENERAL.value), conference_on=day(None))
    ),
    NextStep.RESUME: Step(lambda view: state(confirm=choices("yes"))),
}


def _home(bot: Bot, user: str) -> dict:
    mark = bot.mark()
    request = event(
        SIGNING_SECRET, event={"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home"}
    )
    assert bot.post(request).status == 200
    [home] = [v for v in bot.sent_views(mark) if v.get("type") == "home"][-1:]
    return home


def _case_buttons(home: dict, code: str) -> list[dict]:
    return [
        e
        for b in home["blocks"]
        if b["type"] == "actions" and b.get("block_id") == f"home.case.{code}"
        for e in b["elements"]
    ]


def _derived(db, case: Case) -> NextStep:  # type: ignore[no-untyped-def]
    from models.services.lifecycle import derive, snapshot

    return derive(snapshot(db, case), TODAY).next_step


def test_every_step_a_dialogue_exists_for_has_a_home_button() -> None:
    assert set(STEPS) <= set(NEXT_STEP_ACTIONS)
    assert set(NextStep) - set(NEXT_STEP_ACTIONS) == {NextStep.APPROVE_CLOSURE, NextStep.NONE}


def test_from_the_home_every_covered_step_can_be_taken(bot: Bot) -> None:
    @given(
        step=st.sampled_from(sorted(STEPS, key=lambda s: s.value)),
        others=st.lists(st.sampled_from(sorted(STEPS, key=lambda s: s.value)), max_size=3),
        detour=st.booleans(),
    )
    def taking(step: NextStep, others: list[NextStep], detour: bool) -> None:
        user, ctx = _person(bot)
        for other in others:
            _at(bot, ctx, other, detour=False)
        code = _at(bot, ctx, step, detour)

        home = _home(bot, user)
        action, _ = NEXT_STEP_ACTIONS[step]
        offered = [b for b in _case_buttons(home, code) if b["action_id"] == action]
        assert offered, f"no {action} button for {code} at {step} on the Home"
        assert offered[0].get("style") == "primary"

        mark = bot.mark()
        click = block_actions(
            SIGNING_SECRET,
            user_id=user,
            actions=[{"action_id": action, "value": offered[0]["value"]}],
            view={"id": new_view_id(), "type": "home"},
        )
        assert bot.post(click).status == 200
        opened = [v for v in bot.sent_views(mark) if v.get("type") == "modal"]
        assert opened, f"{action} opened nothing: {bot.errors.take()}"
        view = opened[-1]

        submitted = view_submission(
            SIGNING_SECRET,
            user_id=user,
            callback_id=view["callback_id"],
            state_values=STEPS[step].values(view),
            private_metadata=view.get("private_metadata", ""),
            view_id=new_view_id(),
        )
        reply = bot.post(submitted)
        assert reply.status == 200 and reply.json().get("response_action") == "update", reply.json()
        assert _derived_step(bot, code) != step
        assert not bot.errors.take()

    taking()


def _derived_step(bot: Bot, code: str) -> NextStep:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return _derived(db, case)
