"""Every modal the app accepts submissions for, opened through the app itself.

A scenario sets up what the modal needs (a case at the right stage, a conference, a pending closure)
through the core services, then opens the modal the way a person would — `/case …`, a button, the
message shortcut — and takes the view the app sent to Slack. The properties then submit variations of
exactly that view, so field errors can be checked against the block ids the modal really has.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import strategies as st

from bot.ids import Action, Shortcut, View
from bot.views.assessment import assessment_modal, step_count
from models.assessment import Assessment
from models.case import Case
from models.enums import (
    CaseIntensity,
    ClosureReason,
    ConferenceType,
    GoalAttainment,
    NeedDomain,
    Profile,
    ReferralStatus,
    StatutoryBasis,
)
from models.schemas import (
    AssessmentInput,
    ClosureInput,
    ConferenceCaseInput,
    ConferenceInput,
    GuardianInput,
    ReferralInput,
)
from models.services import assessments, cases, conferences, plans, referrals
from models.services import closure as closures
from models.services.lifecycle import snapshot
from models.staff import StaffMember, Team
from sandbox.slack.requests import block_actions, message_shortcut, slash_command
from tests.factories import NOW, assessment_input, intake, plan_input
from tests.property.conftest import SIGNING_SECRET, Bot
from tests.property.strategies import KOREAN_WORDS

MANAGER, SUPERVISOR = "UMANAGER", "USUPER"


@dataclass
class Opened:
    """A modal as the app opened it, and who submits it."""

    views: list[dict]  # one, or one per step of a multi-step modal (any of them may be submitted)
    user: str
    codes: list[str] = field(default_factory=list)
    text: dict = field(default_factory=dict)  # block-id pattern → plausible typed text
    # Block-id patterns of inputs optional to Slack that the modal's rules require (see Plausible).
    needed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    name: str
    view: View
    open: Callable[[Bot], Opened]
    # What a successful submission writes besides bookkeeping: table → exact change in rows, or None
    # where the number depends on what was submitted (consents ticked, rows filled, co-workers removed).
    writes: dict[str, int | None] = field(default_factory=dict)
    keyed: bool = True  # the work is remembered per view id (submit_once): a repeat changes nothing
    closes: bool = False  # success closes the modal (an empty ack) instead of updating it
    # Besides audit_log, what a refused submission may still write. Only the assessment: it is saved
    # as you go, so a refused completion keeps the last step's text in the draft (and its timeline entry).
    keeps_draft: bool = False


# ------------------------------------------------------------------------------------ the world


def _ctx(bot: Bot, user: str = MANAGER, now=NOW):  # type: ignore[no-untyped-def]
    world = bot.world
    staff = {m.slack_user_id: m for m in (world.manager, world.supervisor, world.coworker, world.admin)}
    return world.ctx(staff[user], now=now)


def new_case(bot: Bot, stage: str) -> str:
    """A case of the manager's at `stage`: open, assessed (and classified), monitoring, pending, aftercare."""
    ctx = _ctx(bot)
    with bot.uow() as db:
        referral_only = stage == "referral"
        case = cases.open_case(db, ctx, intake(intake_held=not referral_only, with_consent=not referral_only))
        code = case.code
        if stage == "on_hold":
            cases.hold(db, ctx, code, reason="입원", until=ctx.today + timedelta(days=14))
        if stage in ("assessed", "monitoring", "pending", "aftercare"):
            assessments.assess(db, ctx, code, assessment_input())
            cases.classify(db, ctx, code, CaseIntensity.GENERAL)
        if stage in ("monitoring", "pending", "aftercare"):
            plans.create_plan(db, ctx, code, plan_input(start=ctx.today, resource_id=bot.world.resource.id))
    if stage in ("pending", "aftercare"):
        with bot.uow() as db:
            case = db.query(Case).filter_by(code=code).one()
            goals = snapshot(db, case).plan_in_force.goals
            request = ClosureInput(
                reason=ClosureReason.GOAL_ACHIEVED,
                attainments={g.id: GoalAttainment.MET for g in goals},
                worker_evaluation="목표 달성",
                client_informed=True,
                aftercare_plan="3개월 후 전화",
            )
            closure_id = closures.request_closure(db, ctx, code, request).id
    if stage == "aftercare":
        with bot.uow() as db:
            closures.decide_closure(db, _ctx(bot, SUPERVISOR), closure_id, approve=True)
    return code


def pending_closure_id(bot: Bot, code: str) -> int:
    with bot.uow() as db:
        case = db.query(Case).filter_by(code=code).one()
        return snapshot(db, case).pending_closure.id


def new_conference(bot: Bot, code: str, *, held: bool) -> int:
    """A conference the manager organises, with `code` on the agenda: in two days, or two days ago."""
    when = (NOW + timedelta(days=2 if not held else -2)).replace(hour=5, minute=0)  # 14:00 in Seoul
    booked_at = when - timedelta(days=1)  # scheduling needs a time in the future of when it is booked
    with bot.uow() as db:
        data = ConferenceInput(
            conference_type=ConferenceType.INTERNAL,
            scheduled_at=when,
            cases=[ConferenceCaseInput(code=code)],
        )
        [conference] = conferences.schedule(db, _ctx(bot, now=booked_at), data)
        return conference.id


# ------------------------------------------------------------------------------------ opening


def _opened_by(bot: Bot, request, callback_id: str) -> dict:  # type: ignore[no-untyped-def]
    mark = bot.mark()
    reply = bot.post(request)
    assert reply.status == 200, reply
    views = [v for v in bot.sent_views(mark) if v.get("callback_id") == callback_id]
    assert views, f"{callback_id} was not opened: {bot.sent_views(mark)} {bot.errors.take()}"
    assert not bot.errors.take()
    return views[-1]


def command(bot: Bot, text: str, callback_id: str, user: str = MANAGER) -> dict:
    return _opened_by(
        bot, slash_command(SIGNING_SECRET, text=text, user_id=user, channel_id="C0001"), callback_id
    )


def button(bot: Bot, action_id: str, value: dict, callback_id: str, user: str = MANAGER) -> dict:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user,
        actions=[{"action_id": action_id, "value": json.dumps(value)}],
        channel_id="D0001",
        message={"text": "", "ts": "1700000000.000100"},
    )
    return _opened_by(bot, request, callback_id)


def _add_rows(bot: Bot, view: dict, view_id: str, action: str) -> dict:
    """An "add" button inside the open intake modal: the view it is updated to in place."""
    block = "household.add" if action == Action.INTAKE_ADD_MEMBER else "guardians.add"
    request = block_actions(
        SIGNING_SECRET,
        user_id=MANAGER,
        actions=[{"action_id": action, "block_id": block}],
        view={
            "id": view_id,
            "callback_id": View.INTAKE,
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view["blocks"],
        },
    )
    return _opened_by(bot, request, View.INTAKE)


def _intake(bot: Bot) -> Opened:
    """The intake as it opens, and as it is after two household members and a second guardian were
    added with its buttons: every input of the dialogue is submitted, the rows' included."""
    opened_ids: list[str] = []

    def note_id(call, body) -> None:  # type: ignore[no-untyped-def]
        if call.method == "views.open" and isinstance(body.get("view"), dict):
            opened_ids.append(str(body["view"]["id"]))

    bot.slack.subscribe(note_id)
    first = command(bot, "new", View.INTAKE)
    view_id = opened_ids[-1]
    rows = first
    for action in (Action.INTAKE_ADD_MEMBER, Action.INTAKE_ADD_MEMBER, Action.INTAKE_ADD_GUARDIAN):
        rows = _add_rows(bot, rows, view_id, action)
    ids = {b.get("block_id") for b in rows["blocks"]}
    assert {"household.1.name", "guardians.1.contact"} <= ids, sorted(i for i in ids if i)
    return Opened([first, rows], MANAGER)


def _note(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"note {code}", View.NOTE)], MANAGER, [code])


def _note_from_message(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    request = message_shortcut(
        SIGNING_SECRET,
        user_id=MANAGER,
        callback_id=Shortcut.ADD_AS_NOTE,
        message={"text": "어머니와 통화함 📞", "user": "U0OTHER"},
        channel_id="C0001",
    )
    return Opened([_opened_by(bot, request, View.NOTE)], MANAGER, [code])


def _assess(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    first = command(bot, f"assess {code}", View.ASSESS)
    meta = json.loads(first["private_metadata"])
    with bot.uow() as db:
        assessment = db.get_one(Assessment, int(meta["assessment_id"]))
        kind = assessment.kind
    # Later steps, built by the same builder the app uses when it moves the modal on.
    empty = AssessmentInput.model_construct(ratings=[])
    steps = [first] + [
        assessment_modal(
            "ko",
            Profile.WELFARE_CENTRE,
            assessment_id=assessment.id,
            code=code,
            kind=kind,
            step=s,
            saved=empty,
        )
        for s in range(1, step_count(Profile.WELFARE_CENTRE))
    ]
    return Opened(steps, MANAGER, [code])


def _reassess(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    view = command(bot, f"reassess {code}", View.ASSESS)
    return Opened([view], MANAGER, [code])


def _classify(bot: Bot) -> Opened:
    code = new_case(bot, "assessed")
    return Opened([command(bot, f"classify {code}", View.CLASSIFY)], MANAGER, [code])


def _plan(bot: Bot) -> Opened:
    code = new_case(bot, "assessed")
    return Opened([command(bot, f"plan {code}", View.PLAN)], MANAGER, [code])


def _refer(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    return Opened([command(bot, f"refer {code}", View.REFER)], MANAGER, [code])


def _referral_outcome(bot: Bot) -> Opened:
    """The outcome dialogue of a decline (every input it has), from the referral DM's button."""
    code = new_case(bot, "monitoring")
    ctx = _ctx(bot)
    with bot.uow() as db:
        data = ReferralInput(
            resource_id=bot.world.resource.id,
            domain=NeedDomain.LIVING_ENV,
            reason="주거 지원",
            statutory_basis=StatutoryBasis.STATUTE,
            statutory_note="법령 근거",
        )
        referral = referrals.create(db, ctx, code, data)
        referral_id = referrals.move(db, ctx, referral.id, ReferralStatus.SENT).id
    value = {"referral_id": referral_id, "to": ReferralStatus.DECLINED.value}
    view = button(bot, f"{Action.REFERRAL_STATUS}:DECLINED", value, View.REFERRAL_STATUS)
    return Opened([view], MANAGER, [code])


def _referrer_reply(bot: Bot) -> Opened:
    """The reply to a referral-in's referrer, from its nudge's button."""
    ctx = _ctx(bot)
    with bot.uow() as db:
        data = intake().model_copy(
            update={"referrer": "가상동 행정복지센터", "referred_on": ctx.today - timedelta(days=3)}
        )
        code = cases.open_case(db, ctx, data).code
        assessments.assess(db, ctx, code, assessment_input())
        cases.classify(db, ctx, code, CaseIntensity.GENERAL)
    view = button(bot, Action.OPEN_REFERRER_REPLY, {"code": code}, View.REFERRER_REPLY)
    return Opened([view], MANAGER, [code])


def _close(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    # Unless the client died or cannot be reached, a closure is asked for once they were told of it.
    view = command(bot, f"close {code}", View.CLOSE)
    return Opened([view], MANAGER, [code], needed=[r"^client_informed$"])


def _closure_return(bot: Bot) -> Opened:
    code = new_case(bot, "pending")
    closure_id = pending_closure_id(bot, code)
    view = button(bot, Action.RETURN_CLOSURE, {"closure_id": closure_id}, View.CLOSURE_RETURN, SUPERVISOR)
    return Opened([view], SUPERVISOR, [code])


def _closure_review(bot: Bot) -> Opened:
    code = new_case(bot, "pending")
    closure_id = pending_closure_id(bot, code)
    view = button(bot, Action.REVIEW_CLOSURE, {"closure_id": closure_id}, View.CLOSURE_REVIEW, SUPERVISOR)
    return Opened([view], SUPERVISOR, [code])


def _aftercare(bot: Bot) -> Opened:
    code = new_case(bot, "aftercare")
    return Opened([command(bot, f"aftercare {code}", View.AFTERCARE)], MANAGER, [code])


def _handover(bot: Bot) -> Opened:
    """사후관리 인계 is a public team's: the manager's team works under the public profile from here on
    (the other scenarios' classification, GENERAL, is on its list too)."""
    with bot.uow() as db:
        db.get_one(Team, bot.world.team.id).profile = Profile.PUBLIC
    code = new_case(bot, "aftercare")
    return Opened([command(bot, f"handover {code}", View.HANDOVER)], MANAGER, [code])


def _tasks(bot: Bot) -> Opened:
    """The status of each task of the plan in force (the plan the monitoring stage has, with its tasks)."""
    code = new_case(bot, "monitoring")
    return Opened([command(bot, f"tasks {code}", View.TASKS)], MANAGER, [code])


def _plan_review(bot: Bot) -> Opened:
    """The review of the plan in force, from the PLAN_REVIEW nudge's button."""
    code = new_case(bot, "monitoring")
    view = button(bot, Action.OPEN_PLAN_REVIEW, {"code": code}, View.PLAN_REVIEW)
    return Opened([view], MANAGER, [code])


def _household(bot: Bot) -> Opened:
    """A case's household: linking another case (the manager's, or the case itself), a person, needs."""
    code, other = new_case(bot, "open"), new_case(bot, "open")
    view = command(bot, f"household {code}", View.HOUSEHOLD)
    return Opened([view], MANAGER, [code, other], {r"^link_code$": st.sampled_from([other, code])})


def _agencies(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"agencies {code}", View.AGENCIES)], MANAGER, [code])


def _schedule(bot: Bot) -> Opened:
    codes = [new_case(bot, "open") for _ in range(3)]
    externals = st.lists(
        st.tuples(KOREAN_WORDS, KOREAN_WORDS).map(lambda p: f"{p[0]} / {p[1]}"), max_size=2
    ).map("\n".join)
    return Opened([command(bot, "conference", View.CONFERENCE)], MANAGER, codes, {r"^externals$": externals})


def _conference_button(action: Action, callback_id: View, *, held: bool) -> Callable[[Bot], Opened]:
    def open_(bot: Bot) -> Opened:
        conference_id = new_conference(bot, new_case(bot, "open"), held=held)
        view = button(bot, action, {"conference_id": conference_id}, callback_id)
        # Cases not on the agenda yet, for the rows of the agenda modal.
        return Opened([view], MANAGER, [new_case(bot, "open"), new_case(bot, "open")])

    return open_


def _access(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"access {code}", View.ACCESS)], MANAGER, [code])


def _consent(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"consent {code}", View.CONSENT)], MANAGER, [code])


def _consent_withdraw(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    dialogue = command(bot, f"consent {code}", View.CONSENT)
    [withdraw] = [
        e
        for b in dialogue["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.CONSENT_WITHDRAW
    ]
    view = button(bot, Action.CONSENT_WITHDRAW, json.loads(withdraw["value"]), View.CONSENT_WITHDRAW)
    return Opened([view], MANAGER, [code])


def _record_intake(bot: Bot) -> Opened:
    code = new_case(bot, "referral")
    return Opened([command(bot, f"intake {code}", View.RECORD_INTAKE)], MANAGER, [code])


def _hold(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    return Opened([command(bot, f"hold {code}", View.HOLD)], MANAGER, [code])


def _resume(bot: Bot) -> Opened:
    code = new_case(bot, "on_hold")
    return Opened([command(bot, f"resume {code}", View.RESUME)], MANAGER, [code])


def _transfer(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"transfer {code}", View.TRANSFER)], MANAGER, [code])


def _guardian(bot: Bot) -> Opened:
    data = intake().model_copy(
        update={
            "guardians": [
                GuardianInput(name="최보호가상", relationship_kind="부", is_legal_representative=True),
                GuardianInput(name="박보호가상", relationship_kind="모", is_alleged_abuser=True),
            ]
        }
    )
    with bot.uow() as db:
        code = cases.open_case(db, _ctx(bot), data).code
    return Opened([command(bot, f"guardian {code}", View.GUARDIANS)], MANAGER, [code])


def _report(bot: Bot) -> Opened:
    code = new_case(bot, "open")
    return Opened([command(bot, f"report {code}", View.REPORT)], MANAGER, [code])


ANY = None


def _serve(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    return Opened([command(bot, f"serve {code}", View.SERVE)], MANAGER, [code])


def _supervision(bot: Bot) -> Opened:
    code = new_case(bot, "monitoring")
    view = command(bot, f"supervision <@{MANAGER}>", View.SUPERVISION, user=SUPERVISOR)
    return Opened([view], SUPERVISOR, [code])


SCENARIOS = [
    Scenario(
        "intake",
        View.INTAKE,
        _intake,
        {
            "cases": 1,
            "clients": 1,
            "consents": ANY,
            "guardians": ANY,
            "household_members": ANY,
            "case_code_counters": ANY,
        },
    ),
    Scenario("note", View.NOTE, _note, {"contact_notes": 1}),
    Scenario("note_from_message", View.NOTE, _note_from_message, {"contact_notes": 1}),
    Scenario("assess", View.ASSESS, _assess, {"assessment_ratings": ANY}, keyed=False, keeps_draft=True),
    Scenario("reassess", View.ASSESS, _reassess, {"assessment_ratings": ANY}, keyed=False, keeps_draft=True),
    Scenario("classify", View.CLASSIFY, _classify),
    Scenario("plan", View.PLAN, _plan, {"service_plans": 1, "plan_goals": ANY, "plan_tasks": ANY}),
    Scenario("refer", View.REFER, _refer, {"referrals": 1, "consents": ANY}),
    Scenario("referral_outcome", View.REFERRAL_STATUS, _referral_outcome, {"unmet_needs": ANY}),
    Scenario("referrer_reply", View.REFERRER_REPLY, _referrer_reply),
    Scenario("close", View.CLOSE, _close, {"closures": 1, "goal_attainments": ANY, "message_refs": ANY}),
    Scenario("closure_return", View.CLOSURE_RETURN, _closure_return, closes=True),
    Scenario("closure_review", View.CLOSURE_REVIEW, _closure_review, {"aftercare_checks": ANY}, closes=True),
    Scenario("aftercare", View.AFTERCARE, _aftercare),  # the check is updated; a crisis reopens the case
    Scenario("handover", View.HANDOVER, _handover, {"aftercare_handovers": 1}),
    Scenario("tasks", View.TASKS, _tasks),  # the statuses of the plan's own tasks change
    Scenario("plan_review", View.PLAN_REVIEW, _plan_review, {"plan_reviews": 1}),
    Scenario(
        "household",
        View.HOUSEHOLD,
        _household,
        {
            "households": ANY,
            "household_cases": ANY,
            "household_persons": ANY,
            "household_needs": ANY,
            "case_code_counters": ANY,
        },
    ),
    Scenario("agencies", View.AGENCIES, _agencies, {"case_agencies": ANY}),
    Scenario(
        "conference",
        View.CONFERENCE,
        _schedule,
        {"case_conferences": ANY, "conference_cases": ANY, "conference_participants": ANY},
    ),
    Scenario(
        "conference_agenda",
        View.CONFERENCE_AGENDA,
        _conference_button(Action.CONFERENCE_AGENDA, View.CONFERENCE_AGENDA, held=False),
        {"conference_cases": ANY},
    ),
    Scenario(
        "conference_reschedule",
        View.CONFERENCE_RESCHEDULE,
        _conference_button(Action.CONFERENCE_RESCHEDULE, View.CONFERENCE_RESCHEDULE, held=False),
    ),
    Scenario(
        "conference_cancel",
        View.CONFERENCE_CANCEL,
        _conference_button(Action.CONFERENCE_CANCEL, View.CONFERENCE_CANCEL, held=False),
    ),
    Scenario(
        "conference_record",
        View.CONFERENCE_RECORD,
        _conference_button(Action.CONFERENCE_RECORD, View.CONFERENCE_RECORD, held=True),
        {"conference_action_items": ANY},
    ),
    Scenario("access", View.ACCESS, _access, {"case_workers": ANY, "case_access_grants": ANY}),
    Scenario("serve", View.SERVE, _serve, {"service_deliveries": 1}),
    Scenario(
        "supervision",
        View.SUPERVISION,
        _supervision,
        {
            "supervision_sessions": 1,
            "supervision_cases": ANY,
            "supervision_follow_ups": ANY,
            "reminders": ANY,
        },
    ),
    Scenario("consent", View.CONSENT, _consent, {"consents": 1}),
    Scenario("consent_withdraw", View.CONSENT_WITHDRAW, _consent_withdraw),
    Scenario(
        "record_intake",
        View.RECORD_INTAKE,
        _record_intake,
        # the intake's details: household members and guardians added, the client's details updated
        {"guardians": ANY, "household_members": ANY, "clients": ANY},
    ),
    Scenario("hold", View.HOLD, _hold),
    Scenario("resume", View.RESUME, _resume),
    Scenario("transfer", View.TRANSFER, _transfer, {"case_workers": ANY}),
    Scenario("report", View.REPORT, _report, {"mandatory_reports": 1}),
    Scenario("guardian", View.GUARDIANS, _guardian),  # flags on the case's own guardians change
]


def staff_user_ids(bot: Bot) -> list[str]:
    with bot.uow() as db:
        return [m.slack_user_id for m in db.query(StaffMember).all()]
