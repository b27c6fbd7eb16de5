"""A team's practice profile through the running bot: one deployment, a public team (희망복지지원단) and a
welfare-centre team side by side, each classifying from its own list; a school team's assessment waits
for the student's AND a guardian's student-support consent (학생맞춤통합지원법 §11③)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import ReferralMove
from models import Case
from models.assessment import Assessment
from models.enums import (
    CaseIntensity,
    ClosureReason,
    ConsentScope,
    GoalAttainment,
    NeedDomain,
    Profile,
    ReferralStatus,
    ResourceCategory,
    ResourceSector,
    SignerRelationship,
    StaffRole,
    Surface,
    WeeLevel,
)
from models.handover import AfterCareHandover
from models.resource import Resource
from models.schemas import ClosureInput, ReferralInput
from models.services import assessments, cases, closure, consents, plans, referrals, staff
from models.services.context import Ctx
from models.services.lifecycle import snapshot
from models.staff import StaffMember
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, answer_to, choice, command, day, state, submit, text
from tests.factories import assessment_input, consent, intake, plan_input, student_support_consents

SEOUL = ZoneInfo("Asia/Seoul")
PUBLIC_TEAM, WELFARE_TEAM, SCHOOL_TEAM = "희망복지1팀", "사례관리1팀", "교육복지실"


def ctx_of(db, slack_user_id: str) -> Ctx:
    actor = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_user_id))
    return Ctx(actor=actor, surface=Surface.CLI, now=datetime.now(UTC))


def assessed_case(bot, user: str) -> str:
    with bot.uow() as db:
        ctx = ctx_of(db, user)
        code = cases.open_case(db, ctx, intake()).code
        assessments.assess(db, ctx, code, assessment_input())
        return code


def offered(view: dict) -> list[str]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == "intensity"]
    return [option["value"] for option in block["element"]["options"]]


def classify_view(bot, user: str, code: str, count: int) -> dict:
    command(bot, f"구분 {code}", user)
    view = bot.slack.wait_for("views.open", count)[count - 1].params["view"]
    assert view["callback_id"] == View.CLASSIFY
    return view


def send(bot, user: str, view: dict, intensity: str, view_id: str) -> dict:
    values = state(intensity=choice(intensity), conference_on=day(None))
    status, body = submit(
        bot, user, view["callback_id"], values, view_id=view_id, private_metadata=view["private_metadata"]
    )
    assert status == 200
    return body


def intensity_of(bot, code: str) -> CaseIntensity | None:
    with bot.uow() as db:
        return db.scalar(select(Case.intensity).where(Case.code == code))


def test_each_team_classifies_from_its_own_profiles_list(bot):
    add_staff(bot, "UPUB", team=PUBLIC_TEAM)
    add_staff(bot, "UWEL", team=WELFARE_TEAM)
    with bot.uow() as db:
        staff.set_team_profile(db, PUBLIC_TEAM, Profile.PUBLIC)  # the welfare team follows PROFILE
    public_code, welfare_code = assessed_case(bot, "UPUB"), assessed_case(bot, "UWEL")

    public_view = classify_view(bot, "UPUB", public_code, 1)
    assert offered(public_view) == ["CRISIS", "HIGH_COMPLEXITY", "GENERAL", "LINKAGE_ONLY"]
    welfare_view = classify_view(bot, "UWEL", welfare_code, 2)
    assert offered(welfare_view) == ["INTENSIVE", "GENERAL", "SIMPLE_LINKAGE"]

    # A value of the other team's list is refused under the field, naming the team's own list.
    body = send(bot, "UWEL", welfare_view, "HIGH_COMPLEXITY", "VWEL1")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"intensity"}
    assert "집중" in body["errors"]["intensity"] and "단순연계" in body["errors"]["intensity"]
    assert intensity_of(bot, welfare_code) is None
    body = send(bot, "UPUB", public_view, "INTENSIVE", "VPUB1")
    assert set(body["errors"]) == {"intensity"} and "고난도" in body["errors"]["intensity"]
    assert intensity_of(bot, public_code) is None

    assert send(bot, "UPUB", public_view, "HIGH_COMPLEXITY", "VPUB2")["response_action"] == "update"
    assert intensity_of(bot, public_code) == CaseIntensity.HIGH_COMPLEXITY
    assert send(bot, "UWEL", welfare_view, "SIMPLE_LINKAGE", "VWEL2")["response_action"] == "update"
    assert intensity_of(bot, welfare_code) == CaseIntensity.SIMPLE_LINKAGE


def test_a_school_assessment_with_only_the_students_consent_is_refused(bot):
    add_staff(bot, "USCH", team=SCHOOL_TEAM)
    today = datetime.now(UTC).date()
    student_only = consent(ConsentScope.STUDENT_SUPPORT).model_copy(
        update={"signer_relationship": SignerRelationship.SELF}
    )
    with bot.uow() as db:
        staff.set_team_profile(db, SCHOOL_TEAM, Profile.SCHOOL)
        staff.approve(  # the head of the school's approval (학생맞춤통합지원법 §17⑦)
            db,
            "USCH",
            approved_by="교장 김가상",
            approved_on=today - timedelta(days=3),
            reference="교무-7",
            valid_until=None,
            entered_by="cli:test",
            today=today,
            now=datetime.now(UTC),
        )
        code = cases.open_case(db, ctx_of(db, "USCH"), intake(consents=[consent(), student_only])).code
        assert db.scalar(select(Case.profile).where(Case.code == code)) == Profile.SCHOOL

    command(bot, f"assess {code}", "USCH", channel_id="C0001")
    refusal = answer_to(bot, "USCH")["text"]
    assert "[R7]" in refusal and "제11조제3항" in refusal and "보호자" in refusal
    assert bot.slack.calls("views.open") == []
    with bot.uow() as db:
        assert list(db.scalars(select(Assessment))) == []

    guardian = student_only.model_copy(update={"signer_relationship": SignerRelationship.PARENT})
    with bot.uow() as db:
        consents.record_consent(db, ctx_of(db, "USCH"), code, guardian)
    command(bot, f"assess {code}", "USCH", channel_id="C0001")
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.ASSESS


def closed_case(bot, user: str, supervisor: str) -> str:
    """A case taken to an approved closure by services (its after-care under way)."""
    with bot.uow() as db:
        ctx = ctx_of(db, user)
        code = cases.open_case(db, ctx, intake()).code
        assessments.assess(db, ctx, code, assessment_input())
        cases.classify(db, ctx, code, CaseIntensity.GENERAL)
        plans.create_plan(db, ctx, code, plan_input(start=ctx.today))
        case = db.scalar(select(Case).where(Case.code == code))
        goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
        data = ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments=goals,
            worker_evaluation="목표 달성",
            client_informed=True,
        )
        request = closure.request_closure(db, ctx, code, data)
        closure.decide_closure(db, ctx_of(db, supervisor), request.id, approve=True)
        return code


def test_a_public_team_records_the_after_care_hand_over_and_a_welfare_team_is_told_it_does_not_apply(bot):
    add_staff(bot, "UPUB", team=PUBLIC_TEAM)
    add_staff(bot, "USVP", StaffRole.SUPERVISOR, team=PUBLIC_TEAM)
    with bot.uow() as db:
        staff.set_team_profile(db, PUBLIC_TEAM, Profile.PUBLIC)
    code = closed_case(bot, "UPUB", "USVP")

    command(bot, f"인계 {code}", "UPUB")
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.HANDOVER
    today = datetime.now(SEOUL).date().isoformat()
    values = state(
        handed_to=text("가상동 행정복지센터 맞춤형복지팀"), handed_over_on=day(today), note=text(None)
    )
    status, body = submit(
        bot, "UPUB", View.HANDOVER, values, view_id="VHO1", private_metadata=view["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update" and code in json.dumps(body["view"])
    with bot.uow() as db:
        [record] = db.scalars(select(AfterCareHandover))
        assert (record.handed_to, record.handed_over_on.isoformat(), record.note) == (
            "가상동 행정복지센터 맞춤형복지팀",
            today,
            None,
        )

    add_staff(bot, "UWEL", team=WELFARE_TEAM)
    add_staff(bot, "USVW", StaffRole.SUPERVISOR, team=WELFARE_TEAM)
    welfare = closed_case(bot, "UWEL", "USVW")
    command(bot, f"handover {welfare}", "UWEL")
    assert "[HANDOVER_PUBLIC]" in answer_to(bot, "UWEL")["text"]
    assert len(bot.slack.calls("views.open")) == 1


def test_a_wee_referral_that_ends_tells_the_school_case_manager_the_next_step_up(bot):
    add_staff(bot, "USCH", team=SCHOOL_TEAM)
    today = datetime.now(SEOUL).date()
    with bot.uow() as db:
        staff.set_team_profile(db, SCHOOL_TEAM, Profile.SCHOOL)
        approve(db, "USCH", today)
        wee_class = Resource(
            name="가상중 Wee 클래스",
            category=ResourceCategory.SCHOOL,
            sector=ResourceSector.PUBLIC,
            wee_level=WeeLevel.WEE_CLASS,
        )
        wee_center = Resource(
            name="가상교육지원청 Wee 센터",
            category=ResourceCategory.SCHOOL,
            sector=ResourceSector.PUBLIC,
            wee_level=WeeLevel.WEE_CENTER,
        )
        db.add_all([wee_class, wee_center])
        db.flush()
        ctx = ctx_of(db, "USCH")
        sharing = consent(ConsentScope.THIRD_PARTY, given_on=today, recipients=[wee_class.id])
        code = cases.open_case(
            db, ctx, intake(consents=[consent(given_on=today), sharing, *student_support_consents(today)])
        ).code
        data = ReferralInput(
            resource_id=wee_class.id, domain=NeedDomain.PSYCH_EMOTIONAL, reason="또래관계 상담"
        )
        referral = referrals.create(db, ctx, code, data)
        for to in (ReferralStatus.SENT, ReferralStatus.IN_SERVICE):
            referrals.move(db, ctx, referral.id, to)
        referral_id = referral.id

    completed = {
        "action_id": f"{Action.REFERRAL_STATUS}:COMPLETED",
        "value": ReferralMove(referral_id=referral_id, to=ReferralStatus.COMPLETED).dump(),
    }
    message = {"ts": "1700000000.000100", "text": "", "blocks": []}
    request = block_actions(
        SIGNING_SECRET, user_id="USCH", actions=[completed], channel_id="DUSCH", message=message
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    # An ending move opens the outcome dialogue; once it is recorded, the done view names the next step.
    opened = bot.slack.wait_for("views.open")[-1].params["view"]
    assert opened["callback_id"] == View.REFERRAL_STATUS
    values = state(outcome_on=day(today.isoformat()), outcome_note=text("상담 종료"))
    status, body = submit(
        bot,
        "USCH",
        View.REFERRAL_STATUS,
        values,
        view_id="VWEE1",
        private_metadata=opened["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "update", body
    assert bot.slack.wait_for("chat.update")[0].params["ts"] == message["ts"]  # the DM shows the status
    hint = body["view"]["blocks"][-1]["text"]["text"]  # the last section: the step up
    assert code in hint
    assert "Wee 센터" in hint and "가상교육지원청 Wee 센터" in hint and "가상중" not in hint


def approve(db, user: str, today) -> None:
    """The head of the school's approval (학생맞춤통합지원법 §17⑦)."""
    staff.approve(
        db,
        user,
        approved_by="교장 김가상",
        approved_on=today - timedelta(days=3),
        reference="교무-7",
        valid_until=None,
        entered_by="cli:test",
        today=today,
        now=datetime.now(UTC),
    )
