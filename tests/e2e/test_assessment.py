"""`/case assess|reassess|classify` through the running bot: the multi-step modal, drafts, crisis DMs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseRef
from bot.views.assessment import domain_pages
from models import Case
from models.assessment import Assessment
from models.enums import (
    AssessmentKind,
    AssessmentStatus,
    CaseIntensity,
    ConsentScope,
    Profile,
    StaffRole,
    StatutoryBasis,
    Surface,
)
from models.services import assessments, cases, consents
from models.services.context import Ctx
from models.staff import StaffMember
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, answer_to, choice, choices, command, day, state, submit, text
from tests.factories import CLIENT_NAME, assessment_input, consent, intake

PAGES = domain_pages(Profile.WELFARE_CENTRE)
FINAL = len(PAGES)


def ctx_of(db, slack_user_id: str) -> Ctx:
    actor = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_user_id))
    return Ctx(actor=actor, surface=Surface.CLI, now=datetime.now(UTC))


def open_case(bot, manager: str = "UCM1", *, with_consent: bool = True, sensitive: bool = True) -> str:
    """A case with a collection-and-use consent and (the pages below type a health narrative, R4) a
    sensitive-data consent."""
    given = [consent(), consent(ConsentScope.SENSITIVE)] if sensitive else [consent()]
    with bot.uow() as db:
        return cases.open_case(db, ctx_of(db, manager), intake(consents=given if with_consent else [])).code


def number(value: str | None) -> dict:
    return {"type": "number_input", "value": value}


def page_values(
    page, *, severity: int = 2, skip=(), overrides: dict | None = None, goto: str | None = None, quiet=()
):
    values: dict = {}
    for index, domain in enumerate(page):
        if domain in skip:
            continue
        prefix = f"rating.{domain.value}."
        values[prefix + "severity"] = choice(str((overrides or {}).get(domain, severity)))
        values[prefix + "client_priority"] = number(str(index + 1))
        values[prefix + "urgent"] = choices()
        values[prefix + "narrative"] = text(None if domain in quiet else f"{domain.value} 근거")
    values["goto_step"] = choice(goto)
    return state(**values)


def final_values(
    *,
    strengths: str | None = "근로 의지가 높음",
    screen=(),
    goto: str | None = None,
    basis: str | None = None,
    law: str | None = None,
):
    return state(
        sensitive_basis=choice(basis),
        sensitive_basis_note=text(law),
        crisis_screen=choices(*screen),
        strengths_personal=text(strengths),
        strengths_family=text(None),
        strengths_social=text(None),
        strengths_community=text(None),
        informal_supports=text("이웃 한 분이 자주 들름"),
        client_goals=text("다시 일하고 싶다"),
        goto_step=choice(goto),
    )


def opened_view(bot, count: int = 1) -> dict:
    return bot.slack.wait_for("views.open", count)[count - 1].params["view"]


def step_of(view: dict) -> int:
    return json.loads(view["private_metadata"])["step"]


def send(bot, view: dict, values: dict, view_id: str, user: str = "UCM1") -> dict:
    status, body = submit(
        bot, user, view["callback_id"], values, view_id=view_id, private_metadata=view["private_metadata"]
    )
    assert status == 200
    return body


def assessments_of(bot, code: str) -> list[Assessment]:
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        found = list(db.scalars(select(Assessment).where(Assessment.case_id == case_id)))
        for assessment in found:
            _ = assessment.ratings
        return found


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def no_client_data_left_slack(bot) -> None:
    for call in bot.slack.calls():
        if call.method.startswith(("chat.", "views.")):
            assert CLIENT_NAME not in json.dumps(call.params, ensure_ascii=False)


def test_the_full_flow_ends_in_a_completed_assessment_with_every_rating_once(bot):
    add_staff(bot, "UCM1")
    code = open_case(bot)
    status, _ = command(bot, f"사정 {code}", "UCM1")
    assert status == 200
    view = opened_view(bot)
    assert view["callback_id"] == View.ASSESS and step_of(view) == 0
    assert bot.slack.last("views.open").params["trigger_id"]
    meta = json.loads(view["private_metadata"])
    assert set(meta) == {"assessment_id", "step", "code"} and meta["code"] == code

    for index, page in enumerate(PAGES):
        body = send(bot, view, page_values(page, severity=index + 1), "VFULL")
        assert body["response_action"] == "update"
        view = body["view"]
        assert step_of(view) == index + 1
    final = final_values()
    body = send(bot, view, final, "VFULL")
    assert body["response_action"] == "update" and code in json.dumps(body["view"])
    assert body["view"]["callback_id"] == View.DONE

    # the same final submission again (a double click or Slack's retry): completed once
    again = send(bot, view, final, "VFULL")
    assert again["response_action"] == "update" and code in json.dumps(again["view"])

    [done] = assessments_of(bot, code)
    assert done.status == AssessmentStatus.COMPLETED and done.kind == AssessmentKind.INITIAL
    ratings = {r.domain: r for r in done.ratings}
    assert set(ratings) == {d for page in PAGES for d in page}
    assert all(ratings[d].severity == i + 1 for i, page in enumerate(PAGES) for d in page)
    assert ratings[PAGES[0][1]].client_priority == 2 and ratings[PAGES[0][1]].narrative.endswith("근거")
    assert done.strengths_personal == "근로 의지가 높음" and done.client_goals == "다시 일하고 싶다"
    assert not done.crisis_screen_positive
    assert bot.slack.calls("views.push") == [] and bot.slack.calls("chat.postMessage") == []
    no_client_data_left_slack(bot)


def test_what_was_typed_survives_closing_the_modal(bot):
    add_staff(bot, "UCM1")
    code = open_case(bot)
    command(bot, f"assess {code}", "UCM1")
    first = opened_view(bot)
    body = send(bot, first, page_values(PAGES[0], overrides={PAGES[0][0]: 3}), "VCLOSE1")
    assert step_of(body["view"]) == 1  # … and the user closes the modal here

    command(bot, f"assess {code}", "UCM1")
    resumed = opened_view(bot, 2)
    assert step_of(resumed) == 1
    assert (
        json.loads(resumed["private_metadata"])["assessment_id"]
        == json.loads(first["private_metadata"])["assessment_id"]
    )
    # back to the first step: the saved values are the initial values
    body = send(bot, resumed, page_values(PAGES[1], goto="0"), "VCLOSE2")
    back = body["view"]
    assert step_of(back) == 0
    severity = block(back, f"rating.{PAGES[0][0].value}.severity")["element"]["initial_option"]["value"]
    assert severity == "3"
    narrative = block(back, f"rating.{PAGES[0][1].value}.narrative")["element"]["initial_value"]
    assert narrative == f"{PAGES[0][1].value} 근거"

    [draft] = assessments_of(bot, code)
    assert draft.status == AssessmentStatus.DRAFT and draft.draft_step == 0 and len(draft.ratings) == 10


def test_missing_domains_and_strengths_come_back_as_field_errors(bot):
    add_staff(bot, "UCM1")
    code = open_case(bot)
    command(bot, f"assess {code}", "UCM1")
    view = opened_view(bot)
    skipped = PAGES[0][3]  # 가족관계, on the first page
    view = send(bot, view, page_values(PAGES[0], skip=(skipped,)), "VMISS")["view"]
    view = send(bot, view, page_values(PAGES[1]), "VMISS")["view"]
    assert step_of(view) == FINAL

    body = send(bot, view, final_values(strengths="가족의 지지"), "VMISS")
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"crisis_screen"}  # the first block of this step names the domain
    assert skipped.ko in body["errors"]["crisis_screen"] and "1단계" in body["errors"]["crisis_screen"]
    [draft] = assessments_of(bot, code)
    assert draft.status == AssessmentStatus.DRAFT
    assert draft.strengths_personal == "가족의 지지"  # the refused step was saved all the same

    # the final step's text survives closing too: re-running the command shows it
    command(bot, f"assess {code}", "UCM1")
    resumed = opened_view(bot, 2)
    assert step_of(resumed) == FINAL
    assert block(resumed, "strengths_personal")["element"]["initial_value"] == "가족의 지지"

    # back to step 1 (saving the final step again on the way)
    back = send(bot, resumed, final_values(strengths="가족의 지지", goto="0"), "VMISS3")["view"]
    assert step_of(back) == 0

    # a domain typed without a severity is refused on its own block
    values = page_values(PAGES[0], skip=(skipped,))
    values.update(state(**{f"rating.{skipped.value}.narrative": text("메모만")}))
    body = send(bot, back, values, "VMISS3")
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {f"rating.{skipped.value}.severity"}

    # rate it, then complete
    view = send(bot, back, page_values(PAGES[0]), "VMISS3")["view"]
    view = send(bot, view, page_values(PAGES[1]), "VMISS3")["view"]
    body = send(bot, view, final_values(strengths="가족의 지지"), "VMISS3")
    assert body["response_action"] == "update"
    [done] = assessments_of(bot, code)
    assert done.status == AssessmentStatus.COMPLETED and len(done.ratings) == 10


def test_no_strength_is_an_error_on_the_strengths_block(bot):
    add_staff(bot, "UEN1")
    bot.slack.set_user("UEN1", locale="en-US")
    code = open_case(bot, "UEN1")
    command(bot, f"assess {code}", "UEN1")
    view = opened_view(bot)
    for page in PAGES:
        view = send(bot, view, page_values(page), "VSTR", user="UEN1")["view"]
    body = send(bot, view, final_values(strengths=None), "VSTR", user="UEN1")
    assert body == {
        "response_action": "errors",
        "errors": {"strengths_personal": body["errors"]["strengths_personal"]},
    }
    assert "strength" in body["errors"]["strengths_personal"]
    assert assessments_of(bot, code)[0].status == AssessmentStatus.DRAFT


def test_no_consent_is_refused_privately_and_opens_nothing(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    code = open_case(bot, with_consent=False)
    command(bot, f"assess {code}", "UCM1", channel_id="C0001")
    assert "[R2]" in answer_to(bot, "UCM1")["text"]  # through the command's response_url
    assert assessments_of(bot, code) == []

    consented = open_case(bot)
    command(bot, f"reassess {consented}", "UCM1")
    assert "REASSESS" in answer_to(bot, "UCM1", 2)["text"]  # a re-assessment needs an initial one first

    command(bot, f"assess {consented}", "UOTHER")  # another team's case manager: no access
    assert "권한" in answer_to(bot, "UOTHER")["text"]
    assert bot.slack.calls("views.open") == []
    assert assessments_of(bot, consented) == []


def test_a_crisis_is_sent_at_once_to_the_teams_supervisors_by_case_code_only(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR, team="2팀")
    code = open_case(bot)
    command(bot, f"assess {code}", "UCM1")
    view = opened_view(bot)
    view = send(bot, view, page_values(PAGES[0], overrides={PAGES[0][0]: 4}), "VCRISIS")["view"]
    view = send(bot, view, page_values(PAGES[1]), "VCRISIS")["view"]
    final = final_values()
    body = send(bot, view, final, "VCRISIS")
    assert body["response_action"] == "update"
    assert "슈퍼바이저 1명" in json.dumps(body["view"], ensure_ascii=False)

    [message] = bot.slack.wait_for("chat.postMessage")
    assert message.params["channel"] == "USUP1"
    assert code in message.params["text"] and "위기" in message.params["text"]
    dm_blocks = json.dumps(message.params["blocks"], ensure_ascii=False)
    assert code in dm_blocks and Action.OPEN_CLASSIFY in dm_blocks

    send(bot, view, final, "VCRISIS")  # a repeat: no second completion, no second DM
    time.sleep(0.5)
    assert len(bot.slack.calls("chat.postMessage")) == 1
    [done] = assessments_of(bot, code)
    assert done.status == AssessmentStatus.COMPLETED and done.max_severity == 4
    with bot.uow() as db:
        assert db.scalar(select(Case.crisis).where(Case.code == code)) is True
    no_client_data_left_slack(bot)

    # the supervisor's button opens the classification at once
    request = block_actions(
        SIGNING_SECRET,
        user_id="USUP1",
        actions=[{"action_id": Action.OPEN_CLASSIFY, "value": CaseRef(code=code).dump()}],
        channel_id="DUSUP1",
    )
    status, _, _ = post(bot.events_url, request.body, request.headers)
    assert status == 200
    assert bot.slack.wait_for("views.open", 2)[1].params["view"]["callback_id"] == View.CLASSIFY


def test_a_positive_crisis_screen_is_a_crisis_too(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    code = open_case(bot)
    command(bot, f"assess {code}", "UCM1")
    view = opened_view(bot)
    for page in PAGES:
        view = send(bot, view, page_values(page), "VSCREEN")["view"]
    send(bot, view, final_values(screen=("screen_abuse",)), "VSCREEN")
    [message] = bot.slack.wait_for("chat.postMessage")
    assert message.params["channel"] == "USUP1" and code in message.params["text"]


def test_health_data_without_a_sensitive_consent_is_refused_naming_section_23(bot):
    """R4 through the running bot: the final step comes back with a field error under the basis, the
    draft stays a draft; a basis with its law then completes it."""
    add_staff(bot, "UCM1")
    code = open_case(bot, sensitive=False)
    command(bot, f"assess {code}", "UCM1")
    view = opened_view(bot)
    for page in PAGES:  # every page types a narrative, the health domain's included
        view = send(bot, view, page_values(page), "VR4")["view"]
    assert block(view, "sensitive_basis") and block(view, "sensitive_basis_note")
    body = send(bot, view, final_values(), "VR4")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"sensitive_basis"}, body
    assert "§23" in body["errors"]["sensitive_basis"] and "민감정보" in body["errors"]["sensitive_basis"]
    [draft] = assessments_of(bot, code)
    assert draft.status == AssessmentStatus.DRAFT and draft.client_goals == "다시 일하고 싶다"

    body = send(bot, view, final_values(basis=StatutoryBasis.STATUTE.value), "VR4")
    assert set(body["errors"]) == {"sensitive_basis_note"}, body  # the basis names its law
    law = "사회보장급여법 §42-2"
    body = send(bot, view, final_values(basis=StatutoryBasis.STATUTE.value, law=law), "VR4")
    assert body["response_action"] == "update" and body["view"]["callback_id"] == View.DONE, body
    [done] = assessments_of(bot, code)
    assert done.status == AssessmentStatus.COMPLETED
    assert (done.sensitive_basis, done.sensitive_basis_note) == (StatutoryBasis.STATUTE, law)


def test_the_self_harm_screen_needs_a_sensitive_consent_too(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    code = open_case(bot, sensitive=False)
    command(bot, f"assess {code}", "UCM1")
    view = opened_view(bot)
    health = [d for page in PAGES for d in page if d.value == "HEALTH"]
    for page in PAGES:
        view = send(bot, view, page_values(page, quiet=health), "VSH")["view"]
    body = send(bot, view, final_values(screen=("screen_self_harm",)), "VSH")
    assert set(body["errors"]) == {"sensitive_basis"} and "§23" in body["errors"]["sensitive_basis"]
    assert bot.slack.calls("chat.postMessage") == []  # nothing completed, nobody told yet
    with bot.uow() as db:
        consents.record_consent(db, ctx_of(db, "UCM1"), code, consent(ConsentScope.SENSITIVE))
    body = send(bot, view, final_values(screen=("screen_self_harm",)), "VSH")
    assert body["view"]["callback_id"] == View.DONE, body
    [message] = bot.slack.wait_for("chat.postMessage")
    assert message.params["channel"] == "USUP1"


def test_the_assess_button_opens_the_same_modal(bot):
    add_staff(bot, "UCM1")
    code = open_case(bot)
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.OPEN_ASSESS, "value": CaseRef(code=code).dump()}],
        channel_id="C0001",
    )
    status, _, _ = post(bot.events_url, request.body, request.headers)
    assert status == 200
    view = opened_view(bot)
    assert view["callback_id"] == View.ASSESS and json.loads(view["private_metadata"])["code"] == code

    no_consent = open_case(bot, with_consent=False)
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.OPEN_ASSESS, "value": CaseRef(code=no_consent).dump()}],
        channel_id="C0001",
    )
    post(bot.events_url, request.body, request.headers)
    refusal = bot.slack.wait_for("chat.postEphemeral")[0]
    assert "[R2]" in refusal.params["text"] and refusal.params["user"] == "UCM1"
    assert len(bot.slack.calls("views.open")) == 1


def test_classify_sets_the_intensity_and_refuses_before_the_assessment(bot):
    add_staff(bot, "UCM1")
    code = open_case(bot)
    command(bot, f"구분 {code}", "UCM1")
    view = opened_view(bot)
    assert view["callback_id"] == View.CLASSIFY

    values = state(intensity=choice("GENERAL"), conference_on=day(None))
    body = send(bot, view, values, "VCLS1")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"intensity"}
    assert "CLASSIFY_NEEDS_ASSESSMENT" in body["errors"]["intensity"]

    with bot.uow() as db:
        assessments.assess(db, ctx_of(db, "UCM1"), code, assessment_input())
    body = send(bot, view, state(intensity=choice(None), conference_on=day(None)), "VCLS2")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"intensity"}
    body = send(bot, view, state(intensity=choice("GENERAL"), conference_on=day("2999-01-01")), "VCLS3")
    assert set(body["errors"]) == {"conference_on"}

    today = datetime.now(UTC).date().isoformat()
    body = send(bot, view, state(intensity=choice("GENERAL"), conference_on=day(today)), "VCLS4")
    assert body["response_action"] == "update" and code in json.dumps(body["view"])
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        assert case.intensity == CaseIntensity.GENERAL and case.classified_at is not None
