"""One case from intake to its first after-care check, driven only through Slack's wire format.

Every step is a signed request to the real `casebot run` process (slash commands, view submissions,
button clicks, an Events API event), answered through the Slack stand-in. The database is used only to
set up staff and a resource and to assert rows; nothing advances the case through the core services.

Modal state is built from the views the bot actually sent (views.open, views.update or the
`response_action: update` body), the way Slack sends it: every input block of the view, with its
initial value unless the test "types" something else. Submissions carry the id of the view Slack
would have given the modal, its private_metadata, hash and blocks.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.ids import Action, View
from models import Case, Consent, Referral, Resource, ServicePlan
from models.assessment import Assessment
from models.audit import AuditLog, CaseEvent
from models.client import Client
from models.closure import AfterCareCheck, Closure
from models.contact import ContactNote
from models.enums import (
    AfterCareStatus,
    AssessmentKind,
    AssessmentStatus,
    AuditAction,
    CaseIntensity,
    CaseStatus,
    ClosureStatus,
    ConsentScope,
    MonitoringResult,
    NextStep,
    PlanStatus,
    ReferralStatus,
    ResourceCategory,
    ResourceSector,
    StaffRole,
    Stage,
)
from models.services.lifecycle import derive, snapshot
from sandbox.slack.requests import block_actions, event, post
from sandbox.slack.server import Call
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, command, submit
from tests.e2e.test_closure import approval_dms

SEOUL = ZoneInfo("Asia/Seoul")
MANAGER, SUPERVISOR = "UCM1", "USUP"
CHANNEL = "C0001"

CLIENT_NAME = "홍길동가상"
CONTACT = "010-2468-1357"
BIRTH_DATE = "1968-03-15"
# The forms a birth date or phone number could take in a message; none may ever leave the modals.
PRIVATE = (CLIENT_NAME, CONTACT, CONTACT.replace("-", ""), BIRTH_DATE, BIRTH_DATE.replace("-", ""))
RESOURCE = "행복주거지원센터"

_UNSET: Any = object()


# ------------------------------------------------------------------------------- Slack's side


def element_state(element: dict, given: Any = _UNSET) -> dict:
    """One input element as Slack reports it in `view.state.values`: what was typed, else its initial value."""
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        value = element.get("initial_value") if given is _UNSET else given
        return {"type": kind, "value": value}
    options = [
        *element.get("options", []),
        *(o for group in element.get("option_groups", []) for o in group["options"]),
    ]

    def pick(value: str) -> dict:
        found = [o for o in options if o["value"] == value]
        assert found, f"{value!r} is not offered by the {kind} {element['action_id']}"
        return found[0]

    if kind in ("static_select", "radio_buttons"):
        chosen = element.get("initial_option") if given is _UNSET else (pick(given) if given else None)
        return {"type": kind, "selected_option": chosen}
    if kind in ("multi_static_select", "checkboxes"):
        chosen = element.get("initial_options", []) if given is _UNSET else [pick(v) for v in given]
        return {"type": kind, "selected_options": chosen}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date") if given is _UNSET else given}
    if kind == "timepicker":
        chosen = element.get("initial_time") if given is _UNSET else given
        return {"type": kind, "selected_time": chosen, "timezone": element.get("timezone")}
    raise AssertionError(f"no state builder for a {kind}")


def fill(view: dict, typed: dict[str, Any]) -> dict:
    """`view.state.values` for a view: every input block, keyed by its real block and action ids."""
    values: dict[str, dict] = {}
    remaining = dict(typed)
    for block in view["blocks"]:
        if block["type"] == "actions":  # selects and date pickers outside inputs have state too, by action id
            picks = [e for e in block["elements"] if e["type"] not in ("button", "overflow")]
            if picks:
                values[block["block_id"]] = {
                    e["action_id"]: element_state(e, remaining.pop(e["action_id"], _UNSET)) for e in picks
                }
            continue
        if block["type"] != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {
            element["action_id"]: element_state(element, remaining.pop(block["block_id"], _UNSET))
        }
    assert not remaining, f"no such input blocks in {view['callback_id']}: {sorted(remaining)}"
    return values


def send(bot: RunningBot, user: str, view_id: str, view: dict, typed: dict[str, Any]) -> dict:
    """Submit `view` (which Slack knows as `view_id`) with what the user typed; the bot's JSON answer."""
    status, body = submit(
        bot,
        user,
        view["callback_id"],
        fill(view, typed),
        view_id=view_id,
        private_metadata=view.get("private_metadata", ""),
        blocks=view["blocks"],
        title=view["title"],
    )
    assert status == 200
    return body


def opened(bot: RunningBot, count: int) -> tuple[str, dict]:
    """The `count`-th modal opened through views.open, and the id the stand-in gave it."""
    view = bot.slack.wait_for("views.open", count)[count - 1].params["view"]
    # The stand-in numbers views V000001, V000002 … in the order they are opened or published.
    stored, number = [], 1
    while True:
        try:
            stored.append(bot.slack.view(f"V{number:06d}"))
        except KeyError:
            break
        number += 1
    matches = [
        v
        for v in stored
        if v["type"] == "modal"
        and v["callback_id"] == view["callback_id"]
        and v["private_metadata"] == view["private_metadata"]
        and v["blocks"] == view["blocks"]
    ]
    assert matches, f"the stand-in holds no modal like the {view['callback_id']} it opened"
    match = matches[-1]
    return match["id"], view


def loaded(bot: RunningBot, count: int) -> tuple[str, dict]:
    """The `count`-th form put into an already-open modal with views.update (plan, referral)."""
    params = bot.slack.wait_for("views.update", count)[count - 1].params
    return params["view_id"], params["view"]


def click(bot: RunningBot, user: str, button: dict, **where: Any) -> None:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user,
        actions=[{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
        **where,
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200


def buttons_in(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


def slash(bot: RunningBot, text_: str, user: str = MANAGER) -> None:
    status, _ = command(bot, text_, user, channel_id=CHANNEL)
    assert status == 200


def posted_to(bot: RunningBot, channel: str, count: int) -> list[Call]:
    """Wait for `count` chat.postMessage calls to `channel` and return them."""
    deadline = time.monotonic() + 8
    while True:
        found = [c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == channel]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} chat.postMessage to {channel}, expected {count}"
            return found
        time.sleep(0.05)


# ------------------------------------------------------------------------------- the record


def state_of(bot: RunningBot, code: str) -> tuple[CaseStatus, Stage, NextStep]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        derived = derive(snapshot(db, case), datetime.now(SEOUL).date())
        return case.status, derived.stage, derived.next_step


def rows(bot: RunningBot, model: Any, code: str, *where: Any) -> list[Any]:
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        found = list(db.scalars(select(model).where(model.case_id == case_id, *where).order_by(model.id)))
        for row in found:  # load what the assertions read before the session closes
            if isinstance(row, Assessment):
                _ = row.ratings
            if isinstance(row, ServicePlan):
                _ = row.goals, row.tasks
        return found


def timeline(bot: RunningBot, code: str) -> list[str]:
    return [e.event for e in rows(bot, CaseEvent, code)]


def walk_assessment(bot: RunningBot, open_count: int, severity: str, kind: AssessmentKind, code: str) -> None:
    """Every step of the assessment modal, each from the view the bot answered the previous one with."""
    view_id, view = opened(bot, open_count)
    assert view["callback_id"] == View.ASSESS
    meta = json.loads(view["private_metadata"])
    assert meta["code"] == code and meta["step"] == 0
    for expected_step in range(10):
        assert json.loads(view["private_metadata"]) == {**meta, "step": expected_step}
        ratings = [
            b["block_id"].removesuffix(".severity")
            for b in view["blocks"]
            if b.get("block_id", "").startswith("rating.") and b["block_id"].endswith(".severity")
        ]
        if ratings:
            typed: dict[str, Any] = {}
            for number, prefix in enumerate(ratings, start=1):
                typed[f"{prefix}.severity"] = severity
                typed[f"{prefix}.client_priority"] = str(number)
                typed[f"{prefix}.narrative"] = f"{prefix} 근거"
        else:  # the final step: crisis screen and strengths
            typed = {
                "crisis_screen": [],
                "strengths_personal": "근로 의지가 높음",
                "informal_supports": "이웃이 자주 들름",
                "client_goals": "다시 일하고 싶다",
            }
        body = send(bot, MANAGER, view_id, view, typed)
        assert body["response_action"] == "update", body
        view = body["view"]
        if view["callback_id"] == View.DONE:
            assert ratings == [] and code in json.dumps(view)
            break
        assert view["callback_id"] == View.ASSESS
    else:
        raise AssertionError("the assessment never finished")
    done = [a for a in rows(bot, Assessment, code) if a.kind == kind]
    assert [a.status for a in done] == [AssessmentStatus.COMPLETED]
    assert len(done[0].ratings) == 10 and {r.severity for r in done[0].ratings} == {int(severity)}
    assert done[0].strengths_personal == "근로 의지가 높음"


# ------------------------------------------------------------------------------- the scenario


def test_a_case_goes_from_intake_to_aftercare_through_slack_alone(bot: RunningBot, tmp_path: Path) -> None:
    started = time.monotonic()
    add_staff(bot, MANAGER)
    add_staff(bot, SUPERVISOR, StaffRole.SUPERVISOR)
    with bot.uow() as db:
        resource = Resource(name=RESOURCE, category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC)
        db.add(resource)
        db.flush()
        resource_id = resource.id

    # 1. /case new → the intake modal → a case --------------------------------------------------------
    slash(bot, "new")
    view_id, view = opened(bot, 1)
    assert view["callback_id"] == View.INTAKE and json.loads(view["private_metadata"]) == {"channel": CHANNEL}
    body = send(
        bot,
        MANAGER,
        view_id,
        view,
        {
            "referral_source": "public_office",
            "client.name": CLIENT_NAME,
            "client.birth_date": BIRTH_DATE,
            "client.contact": CONTACT,
            "presenting_needs": ["ECONOMIC", "LIVING_ENV"],
            "intake_summary": "실직 후 월세 체납",
            "confidentiality_notice_given": ["yes"],
            "consent_scopes": ["COLLECT_USE", "SENSITIVE"],  # the health narrative needs §23 consent (R4)
            "refusal_notice": ["yes"],
        },
    )
    assert body["response_action"] == "update" and body["view"]["callback_id"] == View.DONE, body
    with bot.uow() as db:
        [case] = db.scalars(select(Case))
        code = case.code
        client = db.get_one(Client, case.client_id)
        assert (client.name, client.contact, client.birth_date.isoformat()) == (
            CLIENT_NAME,
            CONTACT,
            BIRTH_DATE,
        )
    assert code in json.dumps(body["view"])
    ephemeral = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert ephemeral["channel"] == CHANNEL and ephemeral["user"] == MANAGER and code in ephemeral["text"]
    assert [c.scope for c in rows(bot, Consent, code)] == [ConsentScope.COLLECT_USE, ConsentScope.SENSITIVE]
    assert state_of(bot, code) == (CaseStatus.OPEN, Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT)

    # 2. /case assess → every step → COMPLETED ------------------------------------------------------
    slash(bot, f"assess {code}")
    walk_assessment(bot, 2, "2", AssessmentKind.INITIAL, code)
    assert state_of(bot, code) == (CaseStatus.OPEN, Stage.CONFERENCE, NextStep.CLASSIFY)

    # 3. /case classify → GENERAL --------------------------------------------------------------------
    slash(bot, f"classify {code}")
    view_id, view = opened(bot, 3)
    assert view["callback_id"] == View.CLASSIFY
    body = send(bot, MANAGER, view_id, view, {"intensity": "GENERAL"})
    assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
    with bot.uow() as db:
        assert db.scalar(select(Case.intensity).where(Case.code == code)) == CaseIntensity.GENERAL
    assert state_of(bot, code) == (CaseStatus.OPEN, Stage.PLAN, NextStep.WRITE_PLAN)

    # 4. /case plan → one goal, one task, agreed -------------------------------------------------------
    slash(bot, f"plan {code}")
    view_id, view = loaded(bot, 1)
    assert view["callback_id"] == View.PLAN and bot.slack.wait_for("views.open", 4)
    today = datetime.now(SEOUL).date()
    body = send(
        bot,
        MANAGER,
        view_id,
        view,
        {
            "goals.0.domain": "LIVING_ENV",
            "goals.0.description": "월세 체납 해소",
            "goals.0.indicator": "체납 개월 수",
            "goals.0.baseline": "3개월",
            "goals.0.target": "0개월",
            "goals.0.target_date": (today + timedelta(days=90)).isoformat(),
            "tasks.0.action": "주거급여 신청 동행",
            "tasks.0.resource_id": str(resource_id),
            "tasks.0.due_date": (today + timedelta(days=14)).isoformat(),
            "agreed": ["yes"],
        },
    )
    assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
    [plan] = rows(bot, ServicePlan, code)
    assert plan.status == PlanStatus.AGREED and plan.agreement_method.value == "WRITTEN"
    assert [g.description for g in plan.goals] == ["월세 체납 해소"]
    assert [(t.action, t.resource_id, t.goal_id) for t in plan.tasks] == [
        ("주거급여 신청 동행", resource_id, plan.goals[0].id)
    ]
    assert state_of(bot, code) == (CaseStatus.ACTIVE, Stage.DELIVERY, NextStep.LINK_SERVICES)

    # 5. /case refer → consent obtained now → SENT; the DM's button → IN_SERVICE -----------------------
    slash(bot, f"refer {code}")
    view_id, view = loaded(bot, 2)
    assert view["callback_id"] == View.REFER and bot.slack.wait_for("views.open", 5)
    body = send(
        bot,
        MANAGER,
        view_id,
        view,
        {
            "resource_id": str(resource_id),
            "domain": "LIVING_ENV",
            "reason": "월세 3개월 체납으로 퇴거 위기",
            "consent_now": ["yes"],
            "consent.signer_name": CLIENT_NAME,
            "consent.refusal_notice_given": ["yes"],
        },
    )
    assert body["response_action"] == "update" and RESOURCE in json.dumps(body["view"], ensure_ascii=False)
    [referral] = rows(bot, Referral, code)
    [third_party] = rows(bot, Consent, code, Consent.scope == ConsentScope.THIRD_PARTY)
    assert referral.status == ReferralStatus.SENT and referral.consent_id == third_party.id
    assert third_party.recipient_resource_ids == [resource_id]
    [referral_dm] = posted_to(bot, MANAGER, 1)
    assert code in referral_dm.params["text"]
    [in_service] = [
        b for b in buttons_in(referral_dm.params["blocks"]) if json.loads(b["value"])["to"] == "IN_SERVICE"
    ]
    dm_message = {
        "ts": "1790000000.000100",
        "text": referral_dm.params["text"],
        "blocks": referral_dm.params["blocks"],
    }
    # the button opens the outcome dialogue; its submission moves the referral and edits the DM
    modals = len(bot.slack.calls("views.open"))
    click(bot, MANAGER, in_service, channel_id=f"D{MANAGER}", message=dm_message)
    view_id, view = opened(bot, modals + 1)
    assert view["callback_id"] == View.REFERRAL_STATUS
    body = send(bot, MANAGER, view_id, view, {"outcome_note": "주 1회 방문 서비스 시작"})
    assert body["response_action"] == "update", body
    edited = bot.slack.wait_for("chat.update")[0].params
    assert edited["channel"] == f"D{MANAGER}" and edited["ts"] == dm_message["ts"] and code in edited["text"]
    [referral] = rows(bot, Referral, code)
    assert referral.status == ReferralStatus.IN_SERVICE
    assert state_of(bot, code) == (CaseStatus.ACTIVE, Stage.DELIVERY, NextStep.LOG_CONTACT)

    # 6. /case note → result REASSESS; /case reassess → COMPLETED --------------------------------------
    slash(bot, f"note {code}")
    view_id, view = opened(bot, 7)
    assert view["callback_id"] == View.NOTE and json.loads(view["private_metadata"]) == {"code": code}
    # The contact is logged to the minute; the next whole minute (within the core's 5-minute tolerance
    # for clocks) keeps it from falling before the plan's agreement a few seconds ago.
    now = datetime.now(UTC)
    contact = datetime.fromtimestamp(math.ceil(now.timestamp() / 60) * 60, UTC).astimezone(SEOUL)
    body = send(
        bot,
        MANAGER,
        view_id,
        view,
        {
            "contact_on": contact.date().isoformat(),
            "contact_at": contact.strftime("%H:%M"),
            "contact_type": "PHONE",
            "result": "REASSESS",
            "plan_adherence": "3",
            "satisfaction": "4",
            "summary": "건강 악화로 재사정 필요",
            "next_contact_on": (today + timedelta(days=14)).isoformat(),
        },
    )
    assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
    [note] = rows(bot, ContactNote, code)
    assert note.result == MonitoringResult.REASSESS and note.contact_type.value == "PHONE"
    assert state_of(bot, code) == (CaseStatus.ACTIVE, Stage.REASSESSMENT, NextStep.COMPLETE_REASSESSMENT)

    slash(bot, f"reassess {code}")
    walk_assessment(bot, 8, "1", AssessmentKind.REASSESSMENT, code)
    assert [a.kind for a in rows(bot, Assessment, code)] == [
        AssessmentKind.INITIAL,
        AssessmentKind.REASSESSMENT,
    ]
    assert state_of(bot, code) == (CaseStatus.ACTIVE, Stage.MONITORING, NextStep.LOG_CONTACT)

    # 7. The case manager opens the App Home ---------------------------------------------------------
    request = event(
        SIGNING_SECRET, event={"type": "app_home_opened", "user": MANAGER, "channel": "D0001", "tab": "home"}
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    home = bot.slack.wait_for("views.publish")[0].params
    assert home["user_id"] == MANAGER and home["view"]["type"] == "home"
    assert code in json.dumps(home["view"]) and CLIENT_NAME not in json.dumps(home, ensure_ascii=False)

    # 8. /case close → PENDING; the supervisor's DM (rate-limited once, retried) → approve → AFTERCARE ---
    slash(bot, f"close {code}")
    view_id, view = opened(bot, 9)
    assert view["callback_id"] == View.CLOSE
    goals = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("goal_")]
    assert goals == [f"goal_{plan.goals[0].id}"]
    bot.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    body = send(
        bot,
        MANAGER,
        view_id,
        view,
        {
            "reason": "GOAL_ACHIEVED",
            goals[0]: "MET",
            "client_evaluation": "만족함",
            "worker_evaluation": "주거급여 수급으로 체납이 해소됨",
            "client_informed": ["yes"],
        },
    )
    assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
    [closure] = rows(bot, Closure, code)
    assert closure.status == ClosureStatus.PENDING and closure.client_informed
    assert state_of(bot, code) == (CaseStatus.ACTIVE, Stage.CLOSURE, NextStep.APPROVE_CLOSURE)

    refused, delivered = posted_to(bot, SUPERVISOR, 2)
    assert delivered.at - refused.at >= 0.9  # slack_sdk waited out Retry-After: 1 before trying again
    assert delivered.params == refused.params and code in delivered.params["text"]
    time.sleep(0.3)
    assert len(posted_to(bot, SUPERVISOR, 2)) == 2  # one retry, then delivered: no third attempt
    review = next(
        b for b in buttons_in(delivered.params["blocks"]) if b["action_id"] == Action.REVIEW_CLOSURE
    )
    assert json.loads(review["value"]) == {"closure_id": closure.id}
    [(_, dm_ts)] = approval_dms(bot, closure.id).values()  # where the bot keeps the DM, to update it
    supervisor_dm = {
        "ts": dm_ts,
        "text": delivered.params["text"],
        "blocks": delivered.params["blocks"],
    }
    # the DM opens the review: the closure in full, and the decision in the same modal
    click(bot, SUPERVISOR, review, channel_id=f"D{SUPERVISOR}", message=supervisor_dm)
    view_id, view = opened(bot, 10)
    assert view["callback_id"] == View.CLOSURE_REVIEW
    body = send(bot, SUPERVISOR, view_id, view, {"decision": "approve"})
    assert body.get("response_action") in (None, "clear"), body
    decided = bot.slack.wait_for("chat.update", 2)[1].params
    assert decided["channel"] == f"D{SUPERVISOR}" and decided["ts"] == supervisor_dm["ts"]
    assert code in decided["text"] and buttons_in(decided["blocks"]) == []
    told = posted_to(bot, MANAGER, 2)[1]  # after the referral DM: the decision
    assert code in told.params["text"]
    [closure] = rows(bot, Closure, code)
    assert closure.status == ClosureStatus.APPROVED
    checks = rows(bot, AfterCareCheck, code)
    assert checks and all(c.done_at is None for c in checks)
    assert state_of(bot, code) == (CaseStatus.AFTERCARE, Stage.AFTERCARE, NextStep.AFTERCARE_CHECK)

    # 9. /case aftercare → the first check recorded -------------------------------------------------
    slash(bot, f"aftercare {code}")
    view_id, view = opened(bot, 11)
    assert view["callback_id"] == View.AFTERCARE
    first_due = min(checks, key=lambda c: c.due_on)
    assert json.loads(view["private_metadata"]) == {"code": code, "check_id": first_due.id}
    body = send(
        bot, MANAGER, view_id, view, {"method": "PHONE", "status": "STABLE", "note": "안정적으로 생활 중"}
    )
    assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
    done = [c for c in rows(bot, AfterCareCheck, code) if c.done_at is not None]
    assert [(c.id, c.status) for c in done] == [(first_due.id, AfterCareStatus.STABLE)]
    assert len(rows(bot, AfterCareCheck, code)) == len(checks)
    expected_after = NextStep.AFTERCARE_CHECK if len(checks) > 1 else NextStep.NONE
    assert state_of(bot, code)[1:] == (Stage.AFTERCARE, expected_after)

    # Every row once ---------------------------------------------------------------------------------
    with bot.uow() as db:
        assert db.scalar(select(func.count()).select_from(Case)) == 1
        assert db.scalar(select(func.count()).select_from(Client)) == 1
    assert len(rows(bot, Consent, code)) == 3  # collection, sensitive (intake), third party (referral)
    assert len(rows(bot, Assessment, code)) == 2
    assert len(rows(bot, ServicePlan, code)) == 1
    assert len(rows(bot, Referral, code)) == 1
    assert len(rows(bot, ContactNote, code)) == 1
    assert len(rows(bot, Closure, code)) == 1

    # Nothing that stays in Slack's history names the client ---------------------------------------------
    chat = [c for c in bot.slack.calls() if c.method.startswith("chat.")]
    assert {c.method for c in chat} >= {"chat.postMessage", "chat.postEphemeral", "chat.update"}
    for call in chat:
        shown = json.dumps(call.params, ensure_ascii=False)
        for private in PRIVATE:
            assert private not in shown, f"{call.method} carries {private!r}"
    log = bot.log_text()
    assert "approval request DM" not in log and "Traceback" not in log

    # The case timeline, in order (draft saves of the multi-step modal left out) ----------------------
    assert [e for e in timeline(bot, code) if e != "assessment_draft_saved"] == [
        "consent_recorded",
        "consent_recorded",
        "case_opened",
        "assessment_started",
        "assessment_completed",
        "classified",
        "plan_drafted",
        "plan_agreed",
        "consent_recorded",
        "referral_created",
        "referral_moved",
        "referral_moved",
        "contact_logged",
        "assessment_started",
        "assessment_completed",
        "closure_requested",
        "closure_approved",
        "aftercare_checked",
    ]
    moves = [e.data for e in rows(bot, CaseEvent, code) if e.event == "referral_moved"]
    assert [(m["previous"], m["to"]) for m in moves] == [("DRAFT", "SENT"), ("SENT", "IN_SERVICE")]
    # every step's values are saved to the draft (the final step's too, before completing): 3 steps, twice
    assert timeline(bot, code).count("assessment_draft_saved") == 6

    # The access log (R9): every change has its row with the same actor, and every modal opened on
    # this case was a read with its own row (whoever opened it, from the surface they used).
    events = rows(bot, CaseEvent, code)
    audit = rows(bot, AuditLog, code)
    changes = [(a.record, a.actor_id) for a in audit if a.action in (AuditAction.CREATE, AuditAction.UPDATE)]
    assert sorted(changes) == sorted((e.event, e.actor_id) for e in events)
    reads = [a for a in audit if a.action == AuditAction.READ]
    modals_on_case = [
        c for c in bot.slack.calls("views.open") if code in json.dumps(c.params["view"], ensure_ascii=False)
    ]
    assert len(reads) >= len(modals_on_case) > 0
    assert {a.actor_id for a in reads} >= {e.actor_id for e in events}
    assert all(a.surface is not None and a.at is not None for a in reads)
    print(f"\nlifecycle through Slack: {time.monotonic() - started:.2f}s")
