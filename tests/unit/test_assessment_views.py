"""The assessment and classification views: valid for Slack in both languages and every profile."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block

from bot.i18n import catalog
from bot.views import blocks as b
from bot.views.assessment import (
    BASIS_FIELDS,
    CRISIS_SCREEN,
    GOTO,
    SCREEN_FIELDS,
    TEXT_FIELDS,
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
from bot.views.intake import intake_modal
from handlers.assessment import parse_classify, parse_step
from models.enums import (
    AssessmentKind,
    CaseIntensity,
    NeedDomain,
    NextStep,
    Profile,
    domains_for,
)
from models.errors import InvalidInput
from models.profiles import DEFAULT_CLASSIFICATIONS
from models.schemas import AssessmentInput, RatingInput
from tests.unit.test_views import validate_with_slack_sdk

LOCALES = ["ko", "en"]
CODE = "C-2026-0007"
LONG = "가" * 3000


def full_draft(profile: Profile) -> AssessmentInput:
    """A draft at the limits: every domain rated with the longest narrative, every text field full."""
    return AssessmentInput(
        ratings=[
            RatingInput(domain=d, severity=4, urgent=True, client_priority=20, narrative=LONG)
            for d in domains_for(profile)
        ],
        **{f: True for f in SCREEN_FIELDS},
        **{f: LONG for f in TEXT_FIELDS},
    )


def every_step(locale: str, profile: Profile, saved: AssessmentInput | None = None) -> list[dict]:
    return [
        assessment_modal(
            locale,
            profile,
            assessment_id=123456,
            code=CODE,
            kind=kind,
            step=step,
            saved=saved,
        )
        for step in range(step_count(profile))
        for kind in AssessmentKind
    ]


def inputs(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


def check(view: dict) -> None:
    validate_with_slack_sdk(view)
    b.check_view(view)
    assert len(view["blocks"]) < 100
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= 24, (key, view[key]["text"])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("with_draft", [False, True])
def test_every_step_is_valid(locale, profile, with_draft):
    saved = full_draft(profile) if with_draft else None
    for view in every_step(locale, profile, saved):
        check(view)
        assert len(view["private_metadata"]) <= 3000
        assert set(json.loads(view["private_metadata"])) == {"assessment_id", "step", "code"}


@pytest.mark.parametrize("profile", list(Profile))
def test_the_steps_cover_every_domain_of_the_profile_in_pages_of_about_five(profile):
    pages = domain_pages(profile)
    assert [d for page in pages for d in page] == list(domains_for(profile))
    assert all(3 <= len(page) <= 5 for page in pages)
    for step, page in enumerate(pages):
        view = assessment_modal(
            "ko", profile, assessment_id=1, code=CODE, kind=AssessmentKind.INITIAL, step=step
        )
        assert inputs(view) == step_block_ids(profile, step)
        assert rating_block(page[0], "severity") in inputs(view)
        assert json.loads(view["private_metadata"])["step"] == step
    final = assessment_modal(
        "ko", profile, assessment_id=1, code=CODE, kind=AssessmentKind.INITIAL, step=len(pages)
    )
    assert inputs(final) == [CRISIS_SCREEN, *TEXT_FIELDS, *BASIS_FIELDS, GOTO]
    if profile == Profile.SCHOOL:
        assert step_count(profile) == 5


def test_saved_values_come_back_as_initial_values():
    saved = AssessmentInput(
        ratings=[
            RatingInput(domain=NeedDomain.SAFETY, severity=3, urgent=True, client_priority=2, narrative="n")
        ],
        screen_abuse=True,
        strengths_personal="근로 의지",
    )
    page = assessment_modal(
        "ko",
        Profile.WELFARE_CENTRE,
        assessment_id=1,
        code=CODE,
        kind=AssessmentKind.INITIAL,
        step=0,
        saved=saved,
    )
    by_id = {block.get("block_id"): block for block in page["blocks"]}
    assert by_id["rating.SAFETY.severity"]["element"]["initial_option"]["value"] == "3"
    assert by_id["rating.SAFETY.client_priority"]["element"]["initial_value"] == "2"
    assert by_id["rating.SAFETY.urgent"]["element"]["initial_options"][0]["value"] == "yes"
    assert by_id["rating.SAFETY.narrative"]["element"]["initial_value"] == "n"
    assert "initial_option" not in by_id["rating.HEALTH.severity"]["element"]
    final = assessment_modal(
        "ko",
        Profile.WELFARE_CENTRE,
        assessment_id=1,
        code=CODE,
        kind=AssessmentKind.INITIAL,
        step=2,
        saved=saved,
    )
    by_id = {block.get("block_id"): block for block in final["blocks"]}
    assert [o["value"] for o in by_id[CRISIS_SCREEN]["element"]["initial_options"]] == ["screen_abuse"]
    assert by_id["strengths_personal"]["element"]["initial_value"] == "근로 의지"


def test_severity_options_carry_the_labels_of_both_languages():
    for locale, label in (("ko", "4 위기"), ("en", "4 Crisis")):
        view = assessment_modal(
            locale, Profile.PUBLIC, assessment_id=1, code=CODE, kind=AssessmentKind.INITIAL, step=0
        )
        severity = next(bl for bl in view["blocks"] if bl.get("block_id") == "rating.SAFETY.severity")
        assert [o["text"]["text"] for o in severity["element"]["options"]][-1] == label


@pytest.mark.parametrize("locale", LOCALES)
def test_done_classify_and_crisis_message_are_valid(locale):
    for crisis, notified in ((False, 0), (True, 2), (True, 0)):
        check(
            assessment_done_modal(
                locale, CODE, AssessmentKind.INITIAL, NextStep.CLASSIFY, crisis=crisis, notified=notified
            )
        )
    public = DEFAULT_CLASSIFICATIONS[Profile.PUBLIC]
    for current in (None, CaseIntensity.CRISIS):
        view = classify_modal(locale, CODE, public, current=current, conference_on=date(2026, 3, 2))
        check(view)
        assert inputs(view) == ["intensity", "conference_on"]
    check(classify_done_modal(locale, CODE, CaseIntensity.GENERAL, NextStep.WRITE_PLAN))
    text, blocks = crisis_message(locale, CODE)
    assert CODE in text and len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()
    button = blocks[1]["elements"][0]
    assert json.loads(button["value"]) == {"code": CODE}


def test_catalog_texts_fit():
    for locale in LOCALES:
        texts = catalog(locale)
        for key in (
            "assessment.modal.submit_next",
            "assessment.modal.submit_finish",
            "assessment.modal.close",
            "assessment.done.title",
            "assessment.classify.title",
            "assessment.classify.submit",
            "assessment.classify.close",
            "assessment.classify.done_title",
        ):
            assert len(texts[key]) <= 24, (locale, key)


def test_intake_still_builds():  # the shared builders were not changed
    check(intake_modal("ko", Profile.SCHOOL))


def test_parse_step_keys_errors_to_the_blocks_of_the_step():
    page = domain_pages(Profile.WELFARE_CENTRE)[0]
    form = {
        rating_block(page[0], "severity"): "2",
        rating_block(page[1], "narrative"): "메모만 적음",
        rating_block(page[2], "severity"): "1",
        rating_block(page[2], "narrative"): "900101-1234567",
    }
    with pytest.raises(InvalidInput) as caught:
        parse_step(form, Profile.WELFARE_CENTRE, 0)
    assert set(caught.value.errors) == {rating_block(page[1], "severity"), rating_block(page[2], "narrative")}

    data = parse_step({rating_block(page[0], "severity"): "4"}, Profile.WELFARE_CENTRE, 0)
    assert [(r.domain, r.severity) for r in data.ratings] == [(page[0], 4)]

    final = parse_step(
        {CRISIS_SCREEN: ["screen_abuse"], "client_goals": "일하고 싶다"}, Profile.WELFARE_CENTRE, 2
    )
    assert final.screen_abuse is True and final.screen_self_harm is False
    assert final.client_goals == "일하고 싶다"


def test_parse_classify():
    assert parse_classify({"intensity": "GENERAL"}, date(2026, 3, 2)).intensity == CaseIntensity.GENERAL
    with pytest.raises(InvalidInput) as caught:
        parse_classify({"intensity": "GENERAL", "conference_on": "2026-03-03"}, date(2026, 3, 2))
    assert set(caught.value.errors) == {"conference_on"}


OPTIONAL_MARKERS = ("(선택)", "(optional)")


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_optional_inputs_are_marked_once_by_slack_itself(locale):
    # Slack writes "(선택)" / "(optional)" after the label of every optional input: a label that says
    # it too reads "(선택) (선택)".
    views = every_step(locale, Profile.WELFARE_CENTRE) + every_step(locale, Profile.SCHOOL)
    views.append(classify_modal(locale, CODE, DEFAULT_CLASSIFICATIONS[Profile.WELFARE_CENTRE]))
    labels = [
        block["label"]["text"]
        for view in views
        for block in view["blocks"]
        if block["type"] == "input" and block.get("optional")
    ]
    assert labels and not [label for label in labels if any(m in label for m in OPTIONAL_MARKERS)]
    # No catalog text carries the marker: Slack adds it where it belongs, to optional inputs only.
    assert not [key for key, text in catalog(locale).items() if any(m in text for m in OPTIONAL_MARKERS)]


@pytest.mark.parametrize("profile", list(Profile))
def test_classify_modal_offers_only_the_profiles_list(profile):
    offered = DEFAULT_CLASSIFICATIONS[profile]
    # A current value from another list (a team whose profile changed) is not preselected.
    stray = next(i for i in CaseIntensity if i not in offered)
    view = classify_modal("ko", CODE, offered, current=stray)
    [select_block] = [b for b in view["blocks"] if b.get("block_id") == "intensity"]
    values = [o["value"] for o in select_block["element"]["options"]]
    assert values == [i.value for i in offered]
    assert "initial_option" not in select_block["element"]
    chosen = classify_modal("ko", CODE, offered, current=offered[-1])
    [select_block] = [b for b in chosen["blocks"] if b.get("block_id") == "intensity"]
    assert select_block["element"]["initial_option"]["value"] == offered[-1].value
