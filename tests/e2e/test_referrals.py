"""`/case refer CODE` → the referral modal → SENT (R5), the case manager's DM and its status buttons."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseInChannel, CaseRef, ReferralMove
from models import Case, Consent, Referral, Resource
from models.enums import ConsentScope, ReferralStatus, ResourceCategory, ResourceSector, Surface
from models.services import cases, consents, staff
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, choice, choices, command, day, state, submit, text
from tests.factories import NOW, consent, intake

NAME = "홍가상"
REASON = "월세 3개월 체납으로 퇴거 위기"
SIGNER = "홍서명"


def case_for(bot, user: str = "UCM1") -> str:
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, user), surface=Surface.CLI, now=NOW)
        return cases.open_case(db, ctx, intake(name=NAME)).code


def add_resource(bot, name: str, category: ResourceCategory = ResourceCategory.HOUSING) -> int:
    with bot.uow() as db:
        resource = Resource(name=name, category=category, sector=ResourceSector.PUBLIC)
        db.add(resource)
        db.flush()
        return resource.id


def refer_values(resource_id: int, **overrides: dict) -> dict:
    values = {
        "resource_id": choice(str(resource_id)),
        "domain": choice("LIVING_ENV"),
        "reason": text(REASON),
        "consent_now": choices(),
        "consent.signer_name": text(None),
        "consent.signer_relationship": choice("SELF"),
        "consent.refusal_notice_given": choices(),
        "consent.guardian_verified": choices(),
        "statutory_basis": choice(None),
        "statutory_note": text(None),
    }
    values.update(overrides)
    return state(**values)


WITH_CONSENT = {
    "consent_now": choices("yes"),
    "consent.signer_name": text(SIGNER),
    "consent.refusal_notice_given": choices("yes"),
}


def referrals_of(bot, code: str) -> list[Referral]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(db.scalars(select(Referral).where(Referral.case_id == case.id)))


def third_party_consents(bot, code: str) -> list[Consent]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(
            db.scalars(
                select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.THIRD_PARTY)
            )
        )


def meta(code: str) -> str:
    return CaseInChannel(code=code, channel="C0001").dump()


def click(bot, user_id: str, action: dict, **kwargs) -> int:
    request = block_actions(SIGNING_SECRET, user_id=user_id, actions=[action], **kwargs)
    return post(bot.events_url, request.body, request.headers)[0]


def status_buttons(blocks: list[dict]) -> dict[str, dict]:
    return {
        json.loads(e["value"])["to"]: e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(Action.REFERRAL_STATUS)
    }


def test_case_refer_opens_at_once_grouped_and_tells_which_agency_has_consent(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    housing = add_resource(bot, "행복주거지원센터")
    mental = add_resource(bot, "마음건강센터", ResourceCategory.MENTAL_HEALTH)
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=NOW)
        consents.record_consent(db, ctx, code, consent(ConsentScope.THIRD_PARTY, recipients=[housing]))

    assert command(bot, f"연계 {code}", "UCM1", channel_id="C0001")[0] == 200
    assert bot.slack.wait_for("views.open")[0].params["trigger_id"]
    update = bot.slack.wait_for("views.update")[0].params
    view = update["view"]
    assert view["callback_id"] == View.REFER
    picker = next(b for b in view["blocks"] if b.get("block_id") == "resource_id")
    groups = {
        g["label"]["text"]: [o["value"] for o in g["options"]] for g in picker["element"]["option_groups"]
    }
    assert groups == {"주거": [str(housing)], "정신건강": [str(mental)]}
    assert picker["dispatch_action"] is True
    status_text = json.dumps(view, ensure_ascii=False)
    assert "유효한 제3자 제공 동의가 있는 기관: 행복주거지원센터" in status_text
    assert NAME not in status_text

    # picking an agency re-renders the consent line for that agency, in the same modal
    opened_view = {
        "id": update["view_id"],
        "callback_id": View.REFER,
        "private_metadata": view["private_metadata"],
    }
    for resource, expected in ((housing, "유효한 제3자 제공 동의가 있습니다"), (mental, "동의가 없습니다")):
        action = {
            "action_id": "resource_id",
            "block_id": "resource_id",
            "type": "static_select",
            "selected_option": {"value": str(resource)},
        }
        assert click(bot, "UCM1", action, view=opened_view) == 200
        count = 2 if resource == housing else 3
        again = bot.slack.wait_for("views.update", count=count)[count - 1].params
        assert again["view_id"] == update["view_id"] and again["view"]["callback_id"] == View.REFER
        assert expected in json.dumps(again["view"], ensure_ascii=False)

    assert click(bot, "UCM1", {"action_id": Action.OPEN_REFER, "value": CaseRef(code=code).dump()}) == 200
    assert bot.slack.wait_for("views.update", count=4)[3].params["view"]["callback_id"] == View.REFER


def test_without_consent_or_basis_the_referral_is_refused_on_the_consent_block(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    _, body = submit(
        bot, "UCM1", View.REFER, refer_values(resource), view_id="VR1", private_metadata=meta(code)
    )
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"consent_now"} and "[R5]" in body["errors"]["consent_now"]
    assert referrals_of(bot, code) == []  # not even a draft: the unit of work was rolled back
    assert bot.slack.calls("chat.postMessage") == []


def test_consent_obtained_now_is_recorded_and_the_referral_sent_once_with_a_dm(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    values = refer_values(resource, **WITH_CONSENT)
    _, body = submit(bot, "UCM1", View.REFER, values, view_id="VR2", private_metadata=meta(code))
    assert body["response_action"] == "update", body
    assert "행복주거지원센터" in json.dumps(body["view"], ensure_ascii=False)
    [consent_record] = third_party_consents(bot, code)
    assert consent_record.recipient_resource_ids == [resource] and consent_record.signer_name == SIGNER
    assert consent_record.refusal_notice_given
    [referral] = referrals_of(bot, code)
    assert referral.status == ReferralStatus.SENT and referral.consent_id == consent_record.id
    assert referral.sent_at is not None and referral.reason == REASON

    dm = bot.slack.wait_for("chat.postMessage")[0].params
    assert dm["channel"] == "UCM1"
    shown = json.dumps(dm, ensure_ascii=False)
    assert code in shown and "행복주거지원센터" in shown and "의뢰" in shown
    assert NAME not in shown and REASON not in shown and SIGNER not in shown
    buttons = status_buttons(dm["blocks"])
    assert set(buttons) == {
        "ACKNOWLEDGED",
        "WAITLISTED",
        "IN_SERVICE",
        "DECLINED",
        "CLIENT_DECLINED",
        "CANCELLED",
    }

    # the same view again: same answer, no second referral, consent or DM
    _, again = submit(bot, "UCM1", View.REFER, values, view_id="VR2", private_metadata=meta(code))
    assert again["response_action"] == "update"
    assert len(referrals_of(bot, code)) == 1 and len(third_party_consents(bot, code)) == 1
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_consent_checkbox_without_signer_or_notice_comes_back_on_the_consent_inputs(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    _, body = submit(
        bot,
        "UCM1",
        View.REFER,
        refer_values(resource, consent_now=choices("yes")),
        view_id="VR3",
        private_metadata=meta(code),
    )
    assert set(body["errors"]) == {"consent.signer_name"}
    partial = {**WITH_CONSENT, "consent.refusal_notice_given": choices()}
    _, body = submit(
        bot, "UCM1", View.REFER, refer_values(resource, **partial), view_id="VR4", private_metadata=meta(code)
    )
    assert set(body["errors"]) == {"consent.refusal_notice_given"}
    assert referrals_of(bot, code) == [] and third_party_consents(bot, code) == []


def test_a_statutory_basis_sends_without_consent(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "아동보호전문기관", ResourceCategory.CHILD_PROTECTION)
    basis = {"statutory_basis": choice("MANDATORY_ABUSE_REPORT")}
    _, body = submit(
        bot, "UCM1", View.REFER, refer_values(resource, **basis), view_id="VR5", private_metadata=meta(code)
    )
    assert set(body["errors"]) == {"statutory_note"}
    basis["statutory_note"] = text("아동학대처벌법 §10② 신고의무")
    _, body = submit(
        bot, "UCM1", View.REFER, refer_values(resource, **basis), view_id="VR6", private_metadata=meta(code)
    )
    assert body["response_action"] == "update", body
    [referral] = referrals_of(bot, code)
    assert (
        referral.status == ReferralStatus.SENT and referral.statutory_basis.value == "MANDATORY_ABUSE_REPORT"
    )
    assert third_party_consents(bot, code) == []


def test_a_status_button_opens_the_outcome_dialogue_whose_submission_moves_it_and_edits_the_dm_once(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    values = refer_values(resource, **WITH_CONSENT)
    submit(bot, "UCM1", View.REFER, values, view_id="VR7", private_metadata=meta(code))
    dm = bot.slack.wait_for("chat.postMessage")[0]
    dm_channel, dm_ts = "DUCM1", "1700000000.000100"
    acknowledged = status_buttons(dm.params["blocks"])["ACKNOWLEDGED"]
    message = {"ts": dm_ts, "text": dm.params["text"], "blocks": dm.params["blocks"]}

    def press(button: dict) -> int:
        action = {"action_id": button["action_id"], "value": button["value"], "block_id": "referral"}
        return click(bot, "UCM1", action, channel_id=dm_channel, message=message)

    # the click moves nothing yet: it opens the outcome dialogue
    assert press(acknowledged) == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.REFERRAL_STATUS
    assert referrals_of(bot, code)[0].status == ReferralStatus.SENT
    outcome = state(outcome_on=day(None), outcome_note=text("담당자 배정됨"))
    _, body = submit(
        bot, "UCM1", View.REFERRAL_STATUS, outcome, view_id="VO1", private_metadata=opened["private_metadata"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"outcome_on"}
    today = next(b for b in opened["blocks"] if b.get("block_id") == "outcome_on")["element"]["initial_date"]
    outcome = state(outcome_on=day(today), outcome_note=text("담당자 배정됨"))
    _, body = submit(
        bot, "UCM1", View.REFERRAL_STATUS, outcome, view_id="VO2", private_metadata=opened["private_metadata"]
    )
    assert body["response_action"] == "update", body
    update = bot.slack.wait_for("chat.update")[0].params
    assert update["channel"] == dm_channel and update["ts"] == dm_ts
    shown = json.dumps(update, ensure_ascii=False)
    assert "접수확인" in shown and code in shown and NAME not in shown and REASON not in shown
    assert "담당자 배정됨" not in shown
    assert "ACKNOWLEDGED" not in status_buttons(update["blocks"])
    assert "IN_SERVICE" in status_buttons(update["blocks"])
    [referral] = referrals_of(bot, code)
    assert referral.status == ReferralStatus.ACKNOWLEDGED and referral.outcome == "담당자 배정됨"

    # the same view again (a double submit): the same answer, nothing twice
    _, again = submit(
        bot, "UCM1", View.REFERRAL_STATUS, outcome, view_id="VO2", private_metadata=opened["private_metadata"]
    )
    assert again["response_action"] == "update"
    time.sleep(0.3)
    assert len(bot.slack.calls("chat.update")) == 1

    # the same button again (the old message): refused privately, no dialogue, nothing changes
    assert press(acknowledged) == 200
    answer = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert (
        answer["channel"] == dm_channel and answer["user"] == "UCM1" and "바꿀 수 없습니다" in answer["text"]
    )
    assert len(bot.slack.calls("views.open")) == 1

    # a transition the referral does not allow: refused privately, nothing changes
    completed = {
        "action_id": f"{Action.REFERRAL_STATUS}:COMPLETED",
        "value": ReferralMove(referral_id=referral.id, to=ReferralStatus.COMPLETED).dump(),
    }
    assert press(completed) == 200
    refusal = bot.slack.wait_for("chat.postEphemeral", count=2)[1].params
    assert "바꿀 수 없습니다" in refusal["text"]
    assert len(bot.slack.calls("views.open")) == 1
    assert referrals_of(bot, code)[0].status == ReferralStatus.ACKNOWLEDGED

    # somebody from another team cannot open it
    add_staff(bot, "UOTHER", team="2팀")
    in_service = status_buttons(update["blocks"])["IN_SERVICE"]
    action = {"action_id": in_service["action_id"], "value": in_service["value"]}
    assert click(bot, "UOTHER", action, channel_id="DUOTHER", message=message) == 200
    assert "권한이 없습니다" in bot.slack.wait_for("chat.postEphemeral", count=3)[2].params["text"]
    assert referrals_of(bot, code)[0].status == ReferralStatus.ACKNOWLEDGED
    assert len(bot.slack.calls("views.open")) == 1

    # cancelling has no outcome dialogue: the click moves it
    cancelled = status_buttons(update["blocks"])["CANCELLED"]
    assert press(cancelled) == 200
    assert ReferralStatus.CANCELLED.label("ko") in json.dumps(
        bot.slack.wait_for("chat.update", count=2)[1].params, ensure_ascii=False
    )
    assert referrals_of(bot, code)[0].status == ReferralStatus.CANCELLED
