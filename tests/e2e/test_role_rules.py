"""Role rules (R9) through the running bot: a co-worker who tries a steering decision is told which rule
refuses it, in their language, and nothing is saved."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import View
from bot.metadata import CaseInChannel, CaseRef
from models import Case, Closure, Consent, Referral, ServicePlan
from models.enums import CaseIntensity, PlanStatus
from models.services import cases
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, choice, choices, day, state, submit
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_closure import closure_values, open_close_modal
from tests.e2e.test_notes import case_in_monitoring
from tests.e2e.test_plans import case_for, plan_values
from tests.e2e.test_referrals import WITH_CONSENT, add_resource, refer_values


def with_coworker(bot: RunningBot, code: str, user: str = "UCW1") -> str:
    add_staff(bot, user)
    with bot.uow() as db:
        cases.add_coworker(db, ctx_of(db, "UCM1"), code, ctx_of(db, user).actor.id)
    return user


def the_case(bot: RunningBot, code: str) -> Case:
    with bot.uow() as db:
        return db.scalar(select(Case).where(Case.code == code))


def rows(bot: RunningBot, model, code: str) -> list:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(db.scalars(select(model).where(model.case_id == case.id)))


def assert_refused_for_the_rule(errors: dict, block: str) -> None:
    assert set(errors) == {block}
    assert "R9" in errors[block] and "담당 사례관리자나 팀 슈퍼바이저" in errors[block]


def test_a_coworker_cannot_classify_and_nothing_changes(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)  # assessed
    coworker = with_coworker(bot, code)
    meta = CaseRef(code=code).dump()
    values = state(intensity=choice("INTENSIVE"), conference_on=day(None))
    _, body = submit(bot, coworker, View.CLASSIFY, values, view_id="VRC1", private_metadata=meta)
    assert body["response_action"] == "errors", body
    assert_refused_for_the_rule(body["errors"], "intensity")
    assert the_case(bot, code).intensity is None

    # In English for an English-speaking co-worker.
    with bot.uow() as db:
        ctx_of(db, coworker).actor.locale = "en"
    _, body = submit(bot, coworker, View.CLASSIFY, values, view_id="VRC2", private_metadata=meta)
    assert "R9" in body["errors"]["intensity"] and "case's manager" in body["errors"]["intensity"]


def test_a_coworker_cannot_agree_a_plan(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    with bot.uow() as db:
        cases.classify(db, ctx_of(db, "UCM1"), code, CaseIntensity.GENERAL)
    coworker = with_coworker(bot, code)
    metadata = CaseInChannel(code=code, channel="C0001").dump()
    _, body = submit(bot, coworker, View.PLAN, plan_values(), view_id="VRP1", private_metadata=metadata)
    assert body["response_action"] == "errors", body
    [block] = body["errors"]
    assert "R9" in body["errors"][block]
    assert rows(bot, ServicePlan, code) == []  # not even the draft: the unit of work was rolled back

    # drafting is theirs to do; agreeing is not
    values = plan_values(agreed=choices(), agreement_method=choice(None))
    _, body = submit(bot, coworker, View.PLAN, values, view_id="VRP2", private_metadata=metadata)
    assert body["response_action"] == "update", body
    [plan] = rows(bot, ServicePlan, code)
    assert plan.status == PlanStatus.DRAFT


def test_a_coworker_cannot_send_a_referral(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    coworker = with_coworker(bot, code)
    resource = add_resource(bot, "행복주거지원센터")
    meta = CaseInChannel(code=code, channel="C0001").dump()
    _, body = submit(
        bot,
        coworker,
        View.REFER,
        refer_values(resource, **WITH_CONSENT),
        view_id="VRR1",
        private_metadata=meta,
    )
    assert body["response_action"] == "errors", body
    [block] = body["errors"]
    assert "R9" in body["errors"][block]
    assert rows(bot, Referral, code) == []
    assert [c.scope.value for c in rows(bot, Consent, code)] == ["COLLECT_USE"]  # the intake's only
    assert bot.slack.calls("chat.postMessage") == []


def test_a_coworker_cannot_request_closure(bot: RunningBot):
    code = case_in_monitoring(bot)
    coworker = with_coworker(bot, code)
    view = open_close_modal(bot, code, user="UCM1")
    _, body = submit(
        bot,
        coworker,
        View.CLOSE,
        closure_values(view),
        view_id="VRX1",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "errors", body
    [block] = body["errors"]
    assert "R9" in body["errors"][block]
    assert rows(bot, Closure, code) == []
