"""사정·재사정 and 대상자 구분: open at once, save every step into the server-side draft, complete once.

The multi-step modal advances with `response_action="update"` (never a push), so the view stack stays
at one. Each step's values go into the DRAFT assessment before the next step is shown, so closing the
modal loses nothing; `/case assess CODE` resumes at the saved step with the saved values.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.errors import loggable
from bot.forms import read_state, slack_errors
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn, user_locale
from bot.metadata import AssessmentStep, CaseRef
from bot.notify import dm
from bot.views.assessment import (
    BASIS_FIELDS,
    CLASSIFY_BLOCKS,
    CRISIS_SCREEN,
    GOTO,
    SCREEN_FIELDS,
    TEXT_FIELDS,
    YES,
    assessment_done_modal,
    assessment_modal,
    classify_done_modal,
    classify_modal,
    crisis_message,
    domain_pages,
    rating_block,
    step_block_ids,
    step_count,
)
from handlers.common import Invocation, submit_once
from models.assessment import Assessment
from models.db import UnitOfWork
from models.enums import (
    AssessmentKind,
    AssessmentStatus,
    CaseIntensity,
    NeedDomain,
    NextStep,
    Profile,
    Surface,
)
from models.errors import DomainError, InvalidInput, Message, RuleViolation, invalid_input_from
from models.schemas import AssessmentInput, Form, RatingInput
from models.services import assessments, cases
from models.services.audit import record_event
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")


def register(on: Listeners) -> None:
    on.view(View.ASSESS, ack=submit_step, lazy=[notify_crisis])
    on.view(View.CLASSIFY, ack=submit_classify)
    on.action(Action.OPEN_ASSESS, lazy=[open_assess_button])
    on.action(Action.OPEN_CLASSIFY, lazy=[open_classify_button])
    on.subcommand("assess")(open_assess)
    on.subcommand("reassess")(open_reassess)
    on.subcommand("classify")(open_classify)


def _both(key: str, **values: object) -> Message:
    return Message(key, **values)


# ----------------------------------------------------------------------------------------- opening


def saved_input(assessment: Assessment) -> AssessmentInput:
    """The draft as the views' initial values (stored values were validated on the way in)."""
    return AssessmentInput.model_construct(
        ratings=[
            RatingInput.model_construct(
                domain=r.domain,
                severity=r.severity,
                urgent=r.urgent,
                client_priority=r.client_priority,
                narrative=r.narrative,
                evidence_source=r.evidence_source,
            )
            for r in assessment.ratings
        ],
        **{f: getattr(assessment, f) for f in (*SCREEN_FIELDS, *TEXT_FIELDS, *BASIS_FIELDS)},
    )


def _step_view(
    locale: str, profile: Profile, code: str, assessment: Assessment, step: int | None = None
) -> dict:
    return assessment_modal(
        locale,
        profile,
        assessment_id=assessment.id,
        code=code,
        kind=assessment.kind,
        step=assessment.draft_step if step is None else step,
        saved=saved_input(assessment),
    )


def _resume_view(uow: UnitOfWork, ctx: Ctx, code: str, kind: AssessmentKind | None, locale: str) -> dict:
    """Access and R2 through the core; the open draft (or a new one) at its saved step."""
    with uow() as db:
        assessment = assessments.start(db, ctx, code, kind)
        case = assessments.case_of(db, assessment)
        return _step_view(locale, case.profile, case.code, assessment)


def _open_assessment(call: Invocation, sub: str, kind: AssessmentKind | None) -> None:
    code = call.code(sub)
    if code is None:
        return
    call.open_modal(_resume_view(call.uow, call.ctx(), code, kind, call.locale))


def open_assess(call: Invocation) -> None:
    _open_assessment(call, "assess", None)


def open_reassess(call: Invocation) -> None:
    _open_assessment(call, "reassess", AssessmentKind.REASSESSMENT)


def open_classify(call: Invocation) -> None:
    code = call.code("classify")
    if code is None:
        return
    call.open_modal(_classify_view(call.uow, call.ctx(), code, call.locale))


def _classify_view(uow: UnitOfWork, ctx: Ctx, code: str, locale: str) -> dict:
    with uow() as db:
        case = cases.show(db, ctx, code).case  # the access check (and its audit entry)
        return classify_modal(locale, case.code, cases.classifications(ctx, case), current=case.intensity)


def _button_code(action: dict) -> str:
    clicked = CaseRef.read(action.get("value"))
    return clicked.code if clicked else ""  # no case has code "": the core's "not found", told privately


def _open_from_button(turn: Turn, build: Callable[[UnitOfWork, Ctx, str, str], dict]) -> None:
    """Lazy: the modal for the clicked case, or a private answer saying why not."""
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    try:
        view = build(turn.uow, turn.ctx(Surface.BUTTON), _button_code(turn.action), locale)
    except DomainError as error:
        return turn.tell(error.text(locale))
    if turn.view.get("type") == "modal":
        turn.client.views_push(trigger_id=turn.trigger_id, view=view)  # a button inside another modal
    else:
        turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def open_assess_button(turn: Turn) -> None:
    _open_from_button(turn, lambda uow, ctx, code, loc: _resume_view(uow, ctx, code, None, loc))


def open_classify_button(turn: Turn) -> None:
    _open_from_button(turn, _classify_view)


# ------------------------------------------------------------------------------------ the steps


def parse_step(form: dict, profile: Profile, step: int) -> AssessmentInput:
    """One step's values as the core's input; InvalidInput keyed by this step's block ids."""
    pages = domain_pages(profile)
    errors: dict[str, Message] = {}
    if step < len(pages):
        ratings = []
        for domain in pages[step]:
            severity = form.get(rating_block(domain, "severity"))
            urgent = YES in (form.get(rating_block(domain, "urgent")) or [])
            priority = form.get(rating_block(domain, "client_priority"))
            narrative = form.get(rating_block(domain, "narrative"))
            if severity is None:  # not rated yet: fine until completion, unless something else was typed
                if urgent or priority or narrative:
                    errors[rating_block(domain, "severity")] = _both("assessment.error.severity_needed")
                continue
            try:
                ratings.append(
                    RatingInput(
                        domain=domain,
                        severity=severity,
                        urgent=urgent,
                        client_priority=priority,
                        narrative=narrative,
                    )
                )
            except ValidationError as error:
                for field, message in invalid_input_from(error).errors.items():
                    name = field.split(".")[0]
                    block = rating_block(
                        domain, name if name in ("client_priority", "narrative") else "severity"
                    )
                    errors.setdefault(block, message)
        if errors:
            raise InvalidInput(errors)
        return AssessmentInput(ratings=ratings)
    screen = set(form.get(CRISIS_SCREEN) or [])
    values: dict[str, object] = {f: f in screen for f in SCREEN_FIELDS}
    values.update({f: form.get(f) for f in (*TEXT_FIELDS, *BASIS_FIELDS)})
    try:
        return AssessmentInput.model_validate(values)
    except ValidationError as error:
        raise invalid_input_from(error) from None


def _goto(form: dict, steps: int) -> int | None:
    value = form.get(GOTO)
    if value is None or not str(value).isdigit():
        return None
    return min(int(value), steps - 1)


def _profile_of(uow: UnitOfWork, assessment_id: int) -> Profile | None:
    with uow() as db:
        return assessments.profile_of(db, assessment_id)


def submit_step(turn: Turn) -> None:
    """The ack: save the step into the draft and show the next one (or complete at the last step);
    field errors keep the modal with what was typed."""
    locale, view, ack = turn.locale, turn.view, turn.ack
    meta = AssessmentStep.read(view.get("private_metadata"))
    # A stale or forged metadata finds no assessment (id 0): the core's "not found" under the first field.
    assessment_id = meta.assessment_id if meta else 0
    profile = _profile_of(turn.uow, assessment_id) or turn.policy.profile
    step = meta.step if meta and meta.step < step_count(profile) else 0
    blocks = step_block_ids(profile, step)
    if turn.actor is None:
        return ack(response_action="errors", errors={blocks[0]: t("common.not_staff", locale)})
    form = read_state(view)
    try:
        data = parse_step(form, profile, step)
    except InvalidInput as error:
        return ack(response_action="errors", errors=slack_errors(error, locale, blocks))
    steps = step_count(profile)
    goto = _goto(form, steps)
    ctx = turn.ctx(Surface.MODAL)
    if step == steps - 1 and goto is None:
        return _finish(turn, assessment_id, profile, step, data, blocks)
    target = step + 1 if goto is None else goto
    try:
        with turn.uow() as db:
            assessment = assessments.save_draft(db, ctx, assessment_id, data, step=target)
            code = assessments.case_of(db, assessment).code  # the case's own, not what the payload says
            next_view = _step_view(locale, profile, code, assessment, target)
    except InvalidInput as error:
        return ack(response_action="errors", errors=slack_errors(error, locale, blocks))
    except DomainError as error:
        return ack(response_action="errors", errors={blocks[0]: error.text(locale)[:2000]})
    except Exception as error:  # keep the modal and what was typed
        return _failed(turn, blocks, error)
    ack(response_action="update", view=next_view)


def _failed(turn: Turn, blocks: list[str], error: Exception) -> None:
    reference = uuid.uuid4().hex[:8]
    log.error(
        "submission of %s failed, reference %s\n%s", turn.view.get("callback_id"), reference, loggable(error)
    )
    turn.ack(
        response_action="errors", errors={blocks[0]: t("common.save_failed", turn.locale, ref=reference)}
    )


def _regroup(error: InvalidInput, profile: Profile, step: int) -> InvalidInput:
    """The core's `rating_<DOMAIN>` errors: on the domain's block if it is on this step, else named
    (with its step) in the error of this step's first block."""
    pages = domain_pages(profile)
    page_of = {d: i for i, page in enumerate(pages) for d in page}
    here = set(pages[step]) if step < len(pages) else set()
    errors: dict[str, Message] = {}
    elsewhere: list[NeedDomain] = []
    for field, message in error.errors.items():
        if field.startswith("rating_"):
            domain = NeedDomain(field.removeprefix("rating_"))
            if domain in here:
                errors[rating_block(domain, "severity")] = message
            else:
                elsewhere.append(domain)
        else:
            errors[field] = message
    if elsewhere:
        first = step_block_ids(profile, step)[0]
        names = [
            Message("assessment.error.domain_ref", domain=d, step=page_of.get(d, 0) + 1) for d in elsewhere
        ]
        missing = Message("assessment.error.missing_elsewhere", domains=names)
        errors = {first: missing, **{k: v for k, v in errors.items() if k != first}}
    return InvalidInput(errors)


def _save_final(uow: UnitOfWork, ctx: Ctx, assessment_id: int, data: AssessmentInput, step: int) -> None:
    """Keep the last step's text even if completion is refused (a repeat after completion skips this)."""
    with uow() as db:
        if assessments.status_of(db, assessment_id) == AssessmentStatus.DRAFT:
            assessments.save_draft(db, ctx, assessment_id, data, step=step)


def _complete(db: Session, ctx: Ctx, assessment_id: int, profile: Profile, step: int) -> dict[str, object]:
    try:
        result = assessments.complete(db, ctx, assessment_id)
    except InvalidInput as error:
        raise _regroup(error, profile, step) from None
    case = assessments.case_of(db, result.assessment)
    notify = (
        [list(pair) for pair in assessments.crisis_recipients(db, case, today=ctx.today)]
        if result.crisis
        else []
    )
    return {
        "code": case.code,
        "kind": result.assessment.kind.value,
        "crisis": result.crisis,
        "next_step": cases.current_state(db, ctx, case).next_step.value,
        "notify": notify,
    }


def _finish(
    turn: Turn,
    assessment_id: int,
    profile: Profile,
    step: int,
    data: AssessmentInput,
    blocks: list[str],
) -> None:
    locale, ack = turn.locale, turn.ack
    try:
        _save_final(turn.uow, turn.ctx(Surface.MODAL), assessment_id, data, step)
    except InvalidInput as error:
        return ack(response_action="errors", errors=slack_errors(error, locale, blocks))
    except RuleViolation as error:
        if error.rule != "ASSESSMENT_DONE":  # completed by a racing delivery of this view: answer as it did
            return ack(response_action="errors", errors={blocks[0]: error.text(locale)[:2000]})
    except DomainError as error:
        return ack(response_action="errors", errors={blocks[0]: error.text(locale)[:2000]})
    except Exception as error:
        return _failed(turn, blocks, error)
    outcome = submit_once(
        turn,
        blocks=blocks,
        parse=lambda form, ctx: data,
        work=lambda db, ctx, _data: _complete(db, ctx, assessment_id, profile, step),
    )
    if outcome is None:
        return
    result, first_time = outcome
    code = str(result["code"])
    notify = [[str(user), str(loc)] for user, loc in result["notify"]]  # type: ignore[attr-defined]
    ack(
        response_action="update",
        view=assessment_done_modal(
            locale,
            code,
            AssessmentKind(str(result["kind"])),
            NextStep(str(result["next_step"])),
            crisis=bool(result["crisis"]),
            notified=len(notify),
        ),
    )
    if first_time and result["crisis"]:
        turn.pass_on(code=code, notify=notify)


def notify_crisis(turn: Turn) -> None:
    """After the ack: a DM to each supervisor of a case found in crisis, at once, case code only (R1)."""
    outcome = turn.outcome
    if outcome is None:
        return
    code = str(outcome["code"])
    for user, stored_locale in outcome["notify"]:
        try:
            text, dm_blocks = crisis_message(stored_locale or user_locale(turn.client, user, "ko"), code)
            dm(turn.client, user, text, dm_blocks)
        except Exception as error:  # one supervisor's failed DM must not keep the others from theirs
            log.error("crisis DM for %s to a supervisor failed\n%s", code, loggable(error))


# ------------------------------------------------------------------------------------ classify


class ClassifyForm(Form):
    intensity: CaseIntensity
    conference_on: date | None = None


def parse_classify(form: dict, today: date) -> ClassifyForm:
    data = ClassifyForm.model_validate({k: form.get(k) for k in CLASSIFY_BLOCKS})
    if data.conference_on and data.conference_on > today:
        raise InvalidInput({"conference_on": _both("assessment.error.conference_future")})
    return data


def _classify(db: Session, ctx: Ctx, code: str, form: ClassifyForm) -> dict[str, object]:
    case = cases.classify(db, ctx, code, form.intensity)
    if form.conference_on:
        record_event(db, ctx, case, "classification_conference", held_on=form.conference_on.isoformat())
    return {
        "code": case.code,
        "intensity": form.intensity.value,
        "next_step": cases.current_state(db, ctx, case).next_step.value,
    }


def submit_classify(turn: Turn) -> None:
    locale = turn.locale
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field
    outcome = submit_once(
        turn,
        blocks=CLASSIFY_BLOCKS,
        parse=lambda form, ctx: parse_classify(form, ctx.today),
        work=lambda db, ctx, form: _classify(db, ctx, code, form),
    )
    if outcome is None:
        return
    result, _ = outcome
    turn.ack(
        response_action="update",
        view=classify_done_modal(
            locale,
            str(result["code"]),
            CaseIntensity(str(result["intensity"])),
            NextStep(str(result["next_step"])),
        ),
    )
