"""`/case close` → the supervisor's DM → approve or return; `/case aftercare`, through the running bot."""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseRef, ClosureRef
from models import Case, MessageRef, StaffMember
from models.closure import AfterCareCheck, Closure
from models.enums import CaseStatus, ClosureStatus, StaffRole
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answer_to, choice, choices, command, state, submit, text
from tests.e2e.test_notes import assert_no_private_text, case_in_monitoring
from tests.factories import CLIENT_NAME

EVALUATION = "대상자가 주거급여를 받게 되어 체납이 해소됨"
COMMENT = "목표 달성 근거를 보완해 주세요"


def open_close_modal(bot: RunningBot, code: str, user: str = "UCM1") -> dict:
    status, _ = command(bot, f"close {code}", user)
    assert status == 200
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == View.CLOSE
    return view


def closure_values(view: dict, **overrides: dict) -> dict:
    goals = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("goal_")]
    values = {
        "reason": choice("GOAL_ACHIEVED"),
        **{goal: {"type": "radio_buttons", "selected_option": {"value": "MET"}} for goal in goals},
        "client_evaluation": text("만족함"),
        "worker_evaluation": text(EVALUATION),
        "client_informed": choices("yes"),
    }
    values.update(overrides)
    return state(**values)


def closures_of(bot: RunningBot, code: str) -> list[Closure]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(db.scalars(select(Closure).where(Closure.case_id == case.id)))


def case_status(bot: RunningBot, code: str) -> CaseStatus:
    with bot.uow() as db:
        return db.scalar(select(Case.status).where(Case.code == code))


def request_closure(bot: RunningBot, code: str, view_id: str = "VCLOSE1") -> tuple[Closure, dict]:
    view = open_close_modal(bot, code)
    status, body = submit(
        bot,
        "UCM1",
        View.CLOSE,
        closure_values(view),
        view_id=view_id,
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "update", body
    [closure] = closures_of(bot, code)
    return closure, view


def supervisor_dm(bot: RunningBot, user: str = "USUP"):
    calls = [c for c in bot.slack.wait_for("chat.postMessage") if c.params["channel"] == user]
    assert len(calls) == 1
    return calls[0]


def click(bot: RunningBot, user: str, action_id: str, closure_id: int, ts: str = "1790000000.000100") -> None:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user,
        actions=[{"action_id": action_id, "value": ClosureRef(closure_id=closure_id).dump()}],
        channel_id=f"D{user}",
        message={"ts": ts, "text": "closure"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200


def test_close_requests_approval_from_every_supervisor_of_the_team_once(bot):
    code = case_in_monitoring(bot)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR)
    add_staff(bot, "UOTHERSUP", StaffRole.SUPERVISOR, team="2팀")
    view = open_close_modal(bot, code)
    goal_blocks = [b for b in view["blocks"] if b.get("block_id", "").startswith("goal_")]
    assert len(goal_blocks) == 1 and goal_blocks[0]["element"]["type"] == "radio_buttons"
    assert "주거비 체납 해소" not in str(view)  # the goal's free-text description stays in the record

    values = closure_values(view)
    metadata = view["private_metadata"]
    status, body = submit(bot, "UCM1", View.CLOSE, values, view_id="VCLOSE1", private_metadata=metadata)
    assert status == 200 and body["response_action"] == "update" and code in str(body["view"])
    [closure] = closures_of(bot, code)
    assert closure.status == ClosureStatus.PENDING and closure.client_informed

    dms = bot.slack.wait_for("chat.postMessage", count=2)
    assert {c.params["channel"] for c in dms} == {"USUP", "USUP2"}
    for call in dms:
        blocks = call.params["blocks"]
        assert code in call.params["text"] and code in str(blocks)
        assert "승인 대기" in call.params["text"]
        buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
        # one button: the review modal, where the closure is read and decided (no blind sign-off)
        assert {(b["action_id"], b["value"]) for b in buttons} == {
            (Action.REVIEW_CLOSURE, ClosureRef(closure_id=closure.id).dump()),
        }

    # the same view again: the same answer, no second closure, no second round of DMs
    _, again = submit(bot, "UCM1", View.CLOSE, values, view_id="VCLOSE1", private_metadata=metadata)
    assert again["response_action"] == "update"
    assert len(closures_of(bot, code)) == 1
    assert len(bot.slack.calls("chat.postMessage")) == 2
    assert_no_private_text(bot, CLIENT_NAME, EVALUATION)

    # a second request while one is pending is answered before any form is filled in
    command(bot, f"close {code}", "UCM1")
    answer = answer_to(bot, "UCM1")
    assert code in answer["text"] and len(bot.slack.calls("views.open")) == 1


def test_once_one_supervisor_decides_every_approval_dm_names_the_decision_without_buttons(bot):
    code = case_in_monitoring(bot)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR)
    closure, _ = request_closure(bot, code)
    bot.slack.wait_for("chat.postMessage", count=2)
    dms = approval_dms(bot, closure.id, count=2)
    assert set(dms) == {"USUP", "USUP2"}

    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id, ts=dms["USUP"][1])
    updates = {(c.params["channel"], c.params["ts"]): c.params for c in bot.slack.wait_for("chat.update", 2)}
    assert set(updates) == set(dms.values())  # each DM once, the clicked one too
    other = updates[dms["USUP2"]]
    assert code in other["text"] and "승인됨" in other["text"] and "<@USUP>" in other["text"]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", other["text"])  # when
    assert "actions" not in json.dumps(other["blocks"])  # no live buttons left in the other DM
    assert case_status(bot, code) == CaseStatus.AFTERCARE


def test_every_goal_must_be_rated_on_its_own_radio(bot):
    code = case_in_monitoring(bot)
    view = open_close_modal(bot, code)
    [goal] = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("goal_")]
    values = closure_values(view, **{goal: {"type": "radio_buttons", "selected_option": None}})
    _, body = submit(
        bot, "UCM1", View.CLOSE, values, view_id="VCLOSE2", private_metadata=view["private_metadata"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {goal}
    _, body = submit(
        bot,
        "UCM1",
        View.CLOSE,
        closure_values(view, reason=choice("GRADUATED")),  # a school-only reason
        view_id="VCLOSE3",
        private_metadata=view["private_metadata"],
    )
    assert set(body["errors"]) == {"reason"}
    assert closures_of(bot, code) == []


def approval_dms(bot: RunningBot, closure_id: int, count: int = 1) -> dict[str, tuple[str, str]]:
    """Where each supervisor's approval DM is, as the bot kept it (after posting them all), once
    there are `count`: {slack id: (channel, ts)}."""
    deadline = time.monotonic() + 5
    while True:
        with bot.uow() as db:
            rows = db.execute(
                select(StaffMember.slack_user_id, MessageRef.channel, MessageRef.ts)
                .join(StaffMember, StaffMember.id == MessageRef.recipient_id)
                .where(MessageRef.closure_id == closure_id)
            ).all()
        if len(rows) >= count or time.monotonic() > deadline:
            return {user: (channel, ts) for user, channel, ts in rows}
        time.sleep(0.05)


def test_approval_by_button_closes_into_aftercare_and_tells_everyone(bot):
    code = case_in_monitoring(bot)
    closure, _ = request_closure(bot, code)
    supervisor_dm(bot)
    [(channel, ts)] = approval_dms(bot, closure.id).values()

    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id, ts=ts)
    update = bot.slack.wait_for("chat.update")[0].params
    assert update["channel"] == channel == "DUSUP" and update["ts"] == ts
    assert code in update["text"] and "승인됨" in update["text"] and "<@USUP>" in update["text"]
    assert "actions" not in json.dumps(update["blocks"])  # no buttons left
    told = [c for c in bot.slack.wait_for("chat.postMessage", count=2) if c.params["channel"] == "UCM1"]
    assert len(told) == 1 and code in told[0].params["text"] and "승인" in told[0].params["text"]
    assert case_status(bot, code) == CaseStatus.AFTERCARE
    [decided] = closures_of(bot, code)
    assert decided.status == ClosureStatus.APPROVED

    # a second click changes nothing and gets a private answer
    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id, ts=ts)
    answer = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert answer["user"] == "USUP" and "이미 처리된" in answer["text"]
    [again] = closures_of(bot, code)
    assert again.decided_at == decided.decided_at
    assert len(bot.slack.calls("chat.update")) == 1
    assert len(bot.slack.calls("chat.postMessage")) == 2
    assert_no_private_text(bot, CLIENT_NAME, EVALUATION)


def test_return_with_a_comment(bot):
    code = case_in_monitoring(bot)
    closure, _ = request_closure(bot, code)
    supervisor_dm(bot)
    [(_, ts)] = approval_dms(bot, closure.id).values()
    click(bot, "USUP", Action.RETURN_CLOSURE, closure.id, ts=ts)
    opened = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    assert opened["callback_id"] == View.CLOSURE_RETURN
    metadata = opened["private_metadata"]

    _, body = submit(
        bot,
        "USUP",
        View.CLOSURE_RETURN,
        state(comment=text(None)),
        view_id="VRET0",
        private_metadata=metadata,
    )
    assert set(body["errors"]) == {"comment"}
    assert closures_of(bot, code)[0].status == ClosureStatus.PENDING

    status, body = submit(
        bot,
        "USUP",
        View.CLOSURE_RETURN,
        state(comment=text(COMMENT)),
        view_id="VRET1",
        private_metadata=metadata,
    )
    assert status == 200 and body.get("response_action") in (None, "clear")
    [returned] = closures_of(bot, code)
    assert returned.status == ClosureStatus.RETURNED and returned.supervisor_comment == COMMENT
    assert case_status(bot, code) != CaseStatus.AFTERCARE
    update = bot.slack.wait_for("chat.update")[0].params
    assert update["channel"] == "DUSUP" and update["ts"] == ts and "반려" in update["text"]
    told = [c for c in bot.slack.wait_for("chat.postMessage", count=2) if c.params["channel"] == "UCM1"]
    assert len(told) == 1 and code in told[0].params["text"] and "반려" in told[0].params["text"]
    assert COMMENT in told[0].params["text"] and "/case history" in told[0].params["text"]

    # the same submission again changes nothing and tells nobody twice
    submit(
        bot,
        "USUP",
        View.CLOSURE_RETURN,
        state(comment=text(COMMENT)),
        view_id="VRET1",
        private_metadata=metadata,
    )
    assert len(bot.slack.calls("chat.update")) == 1 and len(bot.slack.calls("chat.postMessage")) == 2
    assert_no_private_text(bot, CLIENT_NAME, EVALUATION)


def test_only_a_supervisor_of_the_team_can_decide(bot):
    code = case_in_monitoring(bot)
    add_staff(bot, "UOTHERSUP", StaffRole.SUPERVISOR, team="2팀")
    closure, _ = request_closure(bot, code)

    click(bot, "UCM1", Action.APPROVE_CLOSURE, closure.id)
    answer = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert answer["user"] == "UCM1" and "슈퍼바이저" in answer["text"]
    click(bot, "UOTHERSUP", Action.APPROVE_CLOSURE, closure.id)
    answer = bot.slack.wait_for("chat.postEphemeral", count=2)[1].params
    assert answer["user"] == "UOTHERSUP" and "권한" in answer["text"]

    [still] = closures_of(bot, code)
    assert still.status == ClosureStatus.PENDING and still.decided_by_id is None
    assert case_status(bot, code) != CaseStatus.AFTERCARE
    assert bot.slack.calls("chat.update") == []

    # returning through the modal is refused the same way, inside the modal
    click(bot, "UCM1", Action.RETURN_CLOSURE, closure.id)
    opened = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    _, body = submit(
        bot,
        "UCM1",
        View.CLOSURE_RETURN,
        state(comment=text(COMMENT)),
        view_id="VRET2",
        private_metadata=opened["private_metadata"],
    )
    assert body["response_action"] == "errors" and "슈퍼바이저" in body["errors"]["comment"]
    assert closures_of(bot, code)[0].status == ClosureStatus.PENDING


def open_review(bot: RunningBot, user: str, closure_id: int, ts: str = "1790000000.000200") -> dict:
    before = len(bot.slack.calls("views.open"))
    click(bot, user, Action.REVIEW_CLOSURE, closure_id, ts=ts)
    view = bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    assert view["callback_id"] == View.CLOSURE_REVIEW
    return view


def decide(bot: RunningBot, user: str, view: dict, decision: str, comment: str | None, view_id: str) -> dict:
    values = state(
        decision={"type": "radio_buttons", "selected_option": {"value": decision}}, comment=text(comment)
    )
    status, body = submit(
        bot, user, View.CLOSURE_REVIEW, values, view_id=view_id, private_metadata=view["private_metadata"]
    )
    assert status == 200
    return body


def test_the_review_modal_shows_the_whole_closure_and_approves_in_it(bot):
    code = case_in_monitoring(bot)
    closure, _ = request_closure(bot, code)
    supervisor_dm(bot)
    view = open_review(bot, "USUP", closure.id)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    for expected in (
        "목표달성",
        "주거비 체납 해소",
        "체납 개월 수",
        "0개월",
        "달성",
        EVALUATION,
        "만족함",
        "대상자 안내: 예",
    ):
        assert expected in shown, expected
    assert {b.get("block_id") for b in view["blocks"]} >= {"decision", "comment"}

    body = decide(bot, "USUP", view, "approve", None, "VREV1")
    assert body.get("response_action") in (None, "clear"), body
    assert case_status(bot, code) == CaseStatus.AFTERCARE
    # every supervisor's approval DM (the one clicked among them) now says what was decided
    deadline = time.monotonic() + 5
    while "1790000000.000200" not in {c.params["ts"] for c in bot.slack.calls("chat.update")}:
        assert time.monotonic() < deadline, "the clicked approval DM was not updated"
        time.sleep(0.02)
    assert all("승인됨" in c.params["text"] for c in bot.slack.calls("chat.update"))
    told = [c for c in bot.slack.wait_for("chat.postMessage", count=2) if c.params["channel"] == "UCM1"]
    assert len(told) == 1 and "승인" in told[0].params["text"]
    assert_no_private_text(bot, CLIENT_NAME, EVALUATION, "만족함", "주거비 체납 해소")

    # decided: the modal shows it, with nothing left to decide
    again = open_review(bot, "USUP", closure.id)
    assert "decision" not in {b.get("block_id") for b in again["blocks"]} and "submit" not in again


def test_a_return_in_the_review_needs_a_comment_that_reaches_the_manager_and_the_history(bot):
    code = case_in_monitoring(bot)
    closure, _ = request_closure(bot, code)
    view = open_review(bot, "USUP", closure.id)
    body = decide(bot, "USUP", view, "return", None, "VREV2")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"comment"}
    body = decide(bot, "USUP", view, "return", COMMENT, "VREV3")
    assert body.get("response_action") in (None, "clear"), body
    [returned] = closures_of(bot, code)
    assert returned.status == ClosureStatus.RETURNED and returned.supervisor_comment == COMMENT
    told = [c for c in bot.slack.wait_for("chat.postMessage", count=2) if c.params["channel"] == "UCM1"]
    assert len(told) == 1 and COMMENT in told[0].params["text"]

    before = len(bot.slack.calls("views.open"))
    command(bot, f"history {code}", "UCM1")
    history = bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    value = json.dumps({"code": code, "section": "closure"})
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": f"{Action.HISTORY_PAGE}.closure", "value": value}],
        view={**history, "id": "VHISTC"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    page = bot.slack.wait_for("views.update")[-1].params["view"]
    assert COMMENT in json.dumps(page["blocks"], ensure_ascii=False)


def test_a_supervisor_cannot_approve_the_closure_they_requested(bot):
    code = case_in_monitoring(bot)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR)
    view = open_close_modal(bot, code, user="USUP")
    status, body = submit(
        bot,
        "USUP",
        View.CLOSE,
        closure_values(view),
        view_id="VCLOSE9",
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "update", body
    [closure] = closures_of(bot, code)
    # only the other supervisor is asked
    asked = bot.slack.wait_for("chat.postMessage")
    assert [c.params["channel"] for c in asked] == ["USUP2"]

    review = open_review(bot, "USUP", closure.id)
    body = decide(bot, "USUP", review, "approve", None, "VREV4")
    assert body["response_action"] == "errors"
    assert "본인이 요청한 종결은 다른 슈퍼바이저가 승인합니다" in json.dumps(
        body["errors"], ensure_ascii=False
    )
    assert closures_of(bot, code)[0].status == ClosureStatus.PENDING
    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id)  # the old DM button: refused the same way
    answer = bot.slack.wait_for("chat.postEphemeral")[-1].params
    assert "본인이 요청한" in answer["text"]

    review = open_review(bot, "USUP2", closure.id)
    body = decide(bot, "USUP2", review, "approve", None, "VREV5")
    assert body.get("response_action") in (None, "clear"), body
    assert case_status(bot, code) == CaseStatus.AFTERCARE


def aftercare_checks(bot: RunningBot, code: str) -> list[AfterCareCheck]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(
            db.scalars(
                select(AfterCareCheck)
                .where(AfterCareCheck.case_id == case.id)
                .order_by(AfterCareCheck.due_on)
            )
        )


def test_aftercare_check_is_recorded_once(bot):
    code = case_in_monitoring(bot)

    command(bot, f"aftercare {code}", "UCM1")  # not closed yet: nothing to check
    answer = answer_to(bot, "UCM1")
    assert code in answer["text"] and bot.slack.calls("views.open") == []

    closure, _ = request_closure(bot, code)
    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id)
    bot.slack.wait_for("chat.update")
    checks = aftercare_checks(bot, code)
    assert len(checks) >= 2 and all(c.done_at is None for c in checks)

    command(bot, f"사후관리 {code}", "UCM1")
    opened = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    assert opened["callback_id"] == View.AFTERCARE
    assert json.loads(opened["private_metadata"])["check_id"] == checks[0].id
    values = state(
        method=choice("PHONE"),
        status={"type": "radio_buttons", "selected_option": {"value": "STABLE"}},
        action={"type": "radio_buttons", "selected_option": {"value": "NONE"}},
        note=text("안정적으로 생활 중"),
    )
    status, body = submit(
        bot, "UCM1", View.AFTERCARE, values, view_id="VAC1", private_metadata=opened["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update" and code in str(body["view"])
    done = [c for c in aftercare_checks(bot, code) if c.done_at is not None]
    assert [c.id for c in done] == [checks[0].id] and done[0].status.value == "STABLE"

    _, again = submit(
        bot, "UCM1", View.AFTERCARE, values, view_id="VAC1", private_metadata=opened["private_metadata"]
    )
    assert again["response_action"] == "update"
    assert len([c for c in aftercare_checks(bot, code) if c.done_at is not None]) == 1
    assert case_status(bot, code) == CaseStatus.AFTERCARE

    # the button opens the next open check
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.OPEN_AFTERCARE, "value": CaseRef(code=code).dump()}],
        channel_id="DUCM1",
    )
    post(bot.events_url, request.body, request.headers)
    reopened = bot.slack.wait_for("views.open", count=3)[-1].params["view"]
    assert json.loads(reopened["private_metadata"])["check_id"] == checks[1].id


def test_one_failing_dm_does_not_stop_the_others(bot):
    code = case_in_monitoring(bot)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR)
    bot.slack.fail("chat.postMessage", error="user_not_found", status=200, retry_after=None, times=1)
    request_closure(bot, code)
    calls = bot.slack.wait_for("chat.postMessage", count=2)
    assert [c.params["channel"] for c in calls] == ["USUP", "USUP2"]
    assert closures_of(bot, code)[0].status == ClosureStatus.PENDING
