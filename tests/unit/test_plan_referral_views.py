"""The plan and referral views respect Slack's limits in both languages; forms map onto the core's fields."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import catalog
from bot.ids import Action
from bot.views import blocks as b
from bot.views.plans import plan_done_modal, plan_modal, rows_shown
from bot.views.referrals import (
    ResourceChoice,
    loading_modal,
    notice_modal,
    refer_done_modal,
    refer_modal,
    referral_message,
)
from handlers.plans import BLOCKS as PLAN_BLOCKS
from handlers.plans import Rows, parse_plan
from handlers.referrals import BLOCKS as REFER_BLOCKS
from handlers.referrals import parse_refer
from models.enums import ConsentMethod, Profile, ReferralStatus, ResourceCategory
from models.errors import InvalidInput
from models.services.referrals import TRANSITIONS

LOCALES = ["ko", "en"]
CODE = "C-2026-0007"
RESOURCES = [
    ResourceChoice(1, "행복주거지원센터", ResourceCategory.HOUSING),
    ResourceChoice(2, "마음건강센터", ResourceCategory.MENTAL_HEALTH),
    ResourceChoice(3, "푸드뱅크", ResourceCategory.IN_KIND),
]
# More than Slack's 100 options, in every category, with names at the option-text limit.
MANY = [
    ResourceChoice(i, f"{i:03d}" + "가" * 200, list(ResourceCategory)[i % len(ResourceCategory)])
    for i in range(1, 140)
]


def validate(view: dict) -> None:
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    b.check_view(view)


def input_ids(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("resources", [[], RESOURCES, MANY], ids=["none", "few", "many"])
def test_plan_modal_is_valid_and_its_inputs_are_the_core_fields(locale, profile, resources):
    view = plan_modal(locale, profile, CODE, date(2026, 3, 2), resources, channel_id="C0001")
    validate(view)
    ids = input_ids(view)
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(PLAN_BLOCKS)
    assert {"goals.0.description", "goals.2.target", "tasks.2.action", "period_end"} <= set(ids)
    picks = pick_ids(view)  # a row's selects and date pickers share one actions block
    assert {"goals.2.domain", "goals.2.target_date", "tasks.2.goal_index", "tasks.2.due_date"} <= set(picks)
    assert ("tasks.0.resource_id" in picks) == bool(resources)
    assert json.loads(view["private_metadata"]) == {"code": CODE, "channel": "C0001"}
    assert Action.AGREE_PLAN not in str(view)
    assert {Action.PLAN_ADD_GOAL, Action.PLAN_ADD_TASK} <= set(pick_ids(view, actions_only=False))


def pick_ids(view: dict, *, actions_only: bool = True) -> list[str]:
    return [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if not actions_only or element["type"] != "button"
    ]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("draft", [None, (4, 2)])
def test_a_plan_with_ten_goals_and_twenty_tasks_fits_and_keeps_what_was_typed(locale, draft):
    typed = {
        "goals.9.description": "열 번째 목표",
        "goals.9.domain": "HEALTH",
        "goals.9.target_date": "2027-01-31",
        "tasks.19.action": "스무 번째 과업",
        "tasks.19.goal_index": "10",
        "tasks.19.due_date": "2026-12-31",
        "tasks.0.resource_id": "2",
        "agreed": ["yes"],
        "period_start": "2026-03-05",
    }
    view = plan_modal(
        locale,
        Profile.WELFARE_CENTRE,
        CODE,
        date(2026, 3, 2),
        MANY,
        draft=draft,
        goal_rows=10,
        task_rows=20,
        values=typed,
    )
    validate(view)
    assert len(view["blocks"]) <= 100
    ids = input_ids(view)
    assert "goals.9.description" in ids and "tasks.19.action" in ids and "goals.10.description" not in ids
    assert Action.PLAN_ADD_GOAL not in str(view) and Action.PLAN_ADD_TASK not in str(view)  # no more rows
    shown = json.dumps(view, ensure_ascii=False)
    assert "열 번째 목표" in shown and "스무 번째 과업" in shown and "2027-01-31" in shown
    elements = {
        element["action_id"]: element
        for block in view["blocks"]
        for element in (block.get("elements") or [block.get("element") or {}])
        if "action_id" in element
    }
    assert elements["goals.9.domain"]["initial_option"]["value"] == "HEALTH"
    assert elements["tasks.19.goal_index"]["initial_option"]["value"] == "10"
    assert elements["tasks.0.resource_id"]["initial_option"]["value"] == "2"
    # a long directory: the later rows go without a resource select, so the view stays under 250 kB
    assert "tasks.19.resource_id" not in elements
    few = plan_modal(
        locale, Profile.WELFARE_CENTRE, CODE, date(2026, 3, 2), RESOURCES, goal_rows=10, task_rows=20
    )
    validate(few)
    assert "tasks.19.resource_id" in pick_ids(few)
    assert elements["period_start"]["initial_date"] == "2026-03-05"
    assert [o["value"] for o in elements["agreed"]["initial_options"]] == ["yes"]


def test_rows_shown_counts_the_rows_of_a_plan_view():
    view = plan_modal(
        "ko", Profile.WELFARE_CENTRE, CODE, date(2026, 3, 2), RESOURCES, goal_rows=4, task_rows=7
    )
    assert rows_shown(view) == (4, 7)


@pytest.mark.parametrize("locale", LOCALES)
def test_plan_modal_offers_agreement_to_a_waiting_draft(locale):
    view = plan_modal(locale, Profile.SCHOOL, CODE, date(2026, 3, 2), MANY, draft=(4, 2))
    validate(view)
    values = [
        json.loads(e["value"])
        for blk in view["blocks"]
        if blk["type"] == "actions"
        for e in blk["elements"]
        if e["action_id"] == Action.AGREE_PLAN
    ]
    assert {v["method"] for v in values} == {m.value for m in ConsentMethod}
    assert all(v["plan_id"] == 4 and v["code"] == CODE for v in values)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("agreed", [True, False])
def test_plan_done_modal_is_valid_and_offers_agreement_only_when_needed(locale, agreed):
    view = plan_done_modal(
        locale, CODE, plan_id=5, version=2, agreed=agreed, method=ConsentMethod.VERBAL, channel_id="C1"
    )
    validate(view)
    buttons = [e for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]
    if agreed:
        assert buttons == []
    else:
        [agree] = buttons
        assert agree["action_id"] == Action.AGREE_PLAN
        assert json.loads(agree["value"]) == {"plan_id": 5, "code": CODE, "method": "VERBAL"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("resources", [RESOURCES, MANY], ids=["few", "many"])
@pytest.mark.parametrize("selected", [None, 1, 2])
def test_refer_modal_is_valid_grouped_and_says_whether_consent_covers_the_agency(
    locale, profile, resources, selected
):
    view = refer_modal(locale, profile, CODE, resources, covered={1}, selected=selected, channel_id="C1")
    validate(view)
    assert set(input_ids(view)) <= set(REFER_BLOCKS)
    [picker] = [blk for blk in view["blocks"] if blk.get("block_id") == "resource_id"]
    assert picker["dispatch_action"] is True
    groups = picker["element"]["option_groups"]
    assert sum(len(g["options"]) for g in groups) <= 100
    assert len({g["label"]["text"] for g in groups}) == len(groups)
    status = next(blk for blk in view["blocks"] if blk.get("block_id") == "consent_status")["text"]["text"]
    if selected == 1 and resources is RESOURCES:
        assert "행복주거지원센터" in status and status.count("*") >= 4
    if selected == 2 and resources is RESOURCES:
        assert "마음건강센터" in status


@pytest.mark.parametrize("locale", LOCALES)
def test_refer_modal_without_a_directory_and_the_small_modals_are_valid(locale):
    empty = refer_modal(locale, Profile.WELFARE_CENTRE, CODE, [])
    validate(empty)
    assert input_ids(empty) == [] and "submit" not in empty
    validate(refer_done_modal(locale, CODE, "행복주거지원센터", ReferralStatus.SENT))
    validate(
        loading_modal(catalog(locale)["referrals.modal.title"], catalog(locale)["referrals.modal.loading"])
    )
    validate(
        notice_modal(catalog(locale)["plans.modal.title"], "x" * 5000, catalog(locale)["plans.modal.close"])
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", list(ReferralStatus))
def test_referral_message_has_a_button_per_allowed_status_and_no_client_data(locale, status):
    text, blocks = referral_message(
        locale,
        referral_id=9,
        code=CODE,
        resource="행복주거지원센터",
        status=status,
        next_statuses=TRANSITIONS[status],
        response_due=date(2026, 3, 9),
    )
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()
    assert CODE in text and CODE in str(blocks)
    buttons = [e for blk in blocks if blk["type"] == "actions" for e in blk["elements"]]
    assert {json.loads(e["value"])["to"] for e in buttons} == {s.value for s in TRANSITIONS[status]}
    assert all(json.loads(e["value"])["referral_id"] == 9 for e in buttons)
    assert all(e["action_id"].startswith(Action.REFERRAL_STATUS) for e in buttons)
    assert len({e["action_id"] for e in buttons}) == len(buttons)


def test_titles_and_buttons_fit():
    for locale in LOCALES:
        texts = catalog(locale)
        for key in (
            "plans.modal.title",
            "plans.modal.submit",
            "plans.modal.close",
            "plans.done.title",
            "referrals.modal.title",
            "referrals.modal.submit",
            "referrals.modal.close",
            "referrals.done.title",
        ):
            assert len(texts[key]) <= 24, (locale, key)


def plan_form(**overrides) -> dict:
    form = {
        "period_start": "2026-03-02",
        "goals.0.domain": "ECONOMIC",
        "goals.0.description": "주거비 체납 해소",
        "goals.0.indicator": "체납 개월 수",
        "goals.0.target": "0개월",
        "goals.0.target_date": "2026-07-01",
        "agreed": ["yes"],
        "agreement_method": "WRITTEN",
    }
    form.update(overrides)
    return form


def test_parse_plan_skips_empty_rows_and_maps_errors_back_to_their_row():
    rows = Rows()
    data = parse_plan(
        plan_form(
            **{
                "goals.2.domain": "HEALTH",
                "goals.2.description": "병원 정기 진료",
                "goals.2.indicator": "월 진료 횟수",
                "goals.2.target": "월 1회",
                "goals.2.target_date": "2026-06-01",
                "tasks.1.action": "진료 동행",
                "tasks.1.responsible_party": "WORKER",
                "tasks.1.due_date": "2026-03-20",
                "tasks.1.goal_index": "3",
                "tasks.2.responsible_party": "WORKER",  # no action: the row does not count
            }
        ),
        rows,
    )
    assert len(data.goals) == 2 and len(data.tasks) == 1
    assert data.tasks[0].goal_index == 1  # goal row 3 is the second goal

    with pytest.raises(InvalidInput) as caught:
        parse_plan(plan_form(**{"goals.2.description": "두 번째 목표"}), Rows())
    # The domain and target date are picked in the row's actions block: said on its first input.
    assert {"goals.2.indicator", "goals.2.target", "goals.2.description"} == set(caught.value.errors)
    assert caught.value.errors["goals.2.description"].key == "plans.errors.choose_domain"

    with pytest.raises(InvalidInput) as caught:
        parse_plan(
            plan_form(
                **{
                    "tasks.0.action": "x",
                    "tasks.0.responsible_party": "CLIENT",
                    "tasks.0.due_date": "2026-04-01",
                    "tasks.0.goal_index": "2",
                }
            ),
            Rows(),
        )
    assert set(caught.value.errors) == {"tasks.0.action"}  # the goal select is in the row's actions block
    assert caught.value.errors["tasks.0.action"].key == "plans.errors.goal_row_empty"

    with pytest.raises(InvalidInput) as caught:
        parse_plan(plan_form(period_end="2026-03-01"), Rows())
    assert set(caught.value.errors) == {"period_end"}


def test_parse_refer_puts_each_problem_on_its_block():
    base = {"resource_id": "1", "domain": "HOUSING", "reason": "주거 지원"}
    with pytest.raises(InvalidInput) as caught:
        parse_refer({**base, "domain": "LIVING_ENV", "consent_now": ["yes"]}, "ko", date(2026, 3, 2))
    assert set(caught.value.errors) == {"consent.signer_name"}
    with pytest.raises(InvalidInput) as caught:
        parse_refer(
            {**base, "domain": "LIVING_ENV", "consent_now": ["yes"], "consent.signer_name": "서명자"},
            "ko",
            date(2026, 3, 2),
        )
    assert set(caught.value.errors) == {"consent.refusal_notice_given"}
    with pytest.raises(InvalidInput) as caught:
        parse_refer({"statutory_basis": "IMMINENT_DANGER"}, "ko", date(2026, 3, 2))
    assert set(caught.value.errors) == {"resource_id", "domain", "reason", "statutory_note"}
    form = parse_refer(
        {
            **base,
            "domain": "LIVING_ENV",
            "consent_now": ["yes"],
            "consent.signer_name": "서명자",
            "consent.refusal_notice_given": ["yes"],
        },
        "en",
        date(2026, 3, 2),
    )
    assert form.consent is not None and form.consent.recipient_resource_ids == [1]
    assert form.referral.resource_id == 1 and form.referral.consent_id is None
