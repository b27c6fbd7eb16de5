"""The referral outcome dialogue, the reply-to-referrer dialogue and nudge, and the after-care referral
form: valid Block Kit in both languages, inputs that are the handler's blocks, and the parse onto the
core's input."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View as SlackView

from bot.i18n import catalog
from bot.ids import Action, View
from bot.metadata import MessageRef, ReferFrom, ReferralOutcome
from bot.views import blocks as b
from bot.views.referrals import (
    OUTCOME_BLOCKS,
    REPLY_BLOCKS,
    ResourceChoice,
    outcome_done_modal,
    outcome_modal,
    refer_modal,
    reply_done_modal,
    reply_modal,
)
from bot.views.reminders import nudge
from handlers.referrals import parse_outcome
from models.enums import (
    OUTCOME_STATUSES,
    ClientDeclineReason,
    DeclineReason,
    Profile,
    ReferralStatus,
    ReminderKind,
    ReplyMethod,
    ResourceCategory,
)

LOCALES = ["ko", "en"]
CODE = "C-2026-0007"
TODAY = date(2026, 3, 2)
S = ReferralStatus


def validate(view: dict) -> None:
    SlackView(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    b.check_view(view)


def inputs(view: dict) -> dict[str, dict]:
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("to", sorted(OUTCOME_STATUSES))
def test_the_outcome_modal_asks_what_each_status_needs(locale, to):
    message = MessageRef(channel="DUCM1", ts="1700000000.000100")
    view = outcome_modal(
        locale, code=CODE, resource="행복주거지원센터", referral_id=9, to=to, today=TODAY, message=message
    )
    validate(view)
    assert view["callback_id"] == View.REFERRAL_STATUS
    found = inputs(view)
    assert set(found) <= set(OUTCOME_BLOCKS)
    assert found["outcome_on"]["element"]["initial_date"] == "2026-03-02"
    if to == S.DECLINED:
        assert set(found) == {"outcome_on", "outcome_reason", "outcome_note", "no_alternative"}
        assert found["outcome_note"]["optional"] is False
        reasons = [o["value"] for o in found["outcome_reason"]["element"]["options"]]
        assert reasons == [r.value for r in DeclineReason]
    elif to == S.CLIENT_DECLINED:
        assert set(found) == {"outcome_on", "outcome_reason", "outcome_note"}
        reasons = [o["value"] for o in found["outcome_reason"]["element"]["options"]]
        assert reasons == [r.value for r in ClientDeclineReason]
    else:
        assert set(found) == {"outcome_on", "outcome_note"}
        assert found["outcome_note"]["optional"] is True
    meta = ReferralOutcome.read(view["private_metadata"])
    assert meta == ReferralOutcome(referral_id=9, to=to, message=message)


def test_the_decline_reasons_are_the_catalogs_list_in_korean():
    labels = [r.label("ko") for r in DeclineReason]
    assert labels == ["자격 불충족", "정원 초과/대기", "서비스 범위 밖", "연락 두절", "기타"]
    assert all(r.label("en") for r in ClientDeclineReason)


def test_parse_outcome_maps_the_form_onto_the_core_input():
    form = {
        "outcome_on": "2026-03-02",
        "outcome_reason": "NOT_ELIGIBLE",
        "outcome_note": "소득 기준 초과",
        "no_alternative": ["yes"],
    }
    parsed = parse_outcome(form, S.DECLINED)
    assert (parsed.to, parsed.on, parsed.reason, parsed.note, parsed.no_alternative) == (
        S.DECLINED,
        TODAY,
        "NOT_ELIGIBLE",
        "소득 기준 초과",
        True,
    )
    bare = parse_outcome({"outcome_on": "2026-03-02", "no_alternative": []}, S.ACKNOWLEDGED)
    assert bare.reason is None and bare.note is None and bare.no_alternative is False


@pytest.mark.parametrize("locale", LOCALES)
def test_the_done_modals_and_the_reply_modal_are_valid(locale):
    done = outcome_done_modal(locale, CODE, "행복주거지원센터", S.DECLINED, unmet=True)
    validate(done)
    assert catalog(locale)["referrals.outcome.done_unmet"] in json.dumps(done, ensure_ascii=False)
    reply = reply_modal(locale, CODE, TODAY)
    validate(reply)
    assert reply["callback_id"] == View.REFERRER_REPLY and list(inputs(reply)) == REPLY_BLOCKS
    methods = [o["value"] for o in inputs(reply)["method"]["element"]["options"]]
    assert methods == [m.value for m in ReplyMethod]
    validate(reply_done_modal(locale, CODE, "2026-03-02", ReplyMethod.DOCUMENT))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_reply_nudge_opens_the_reply_dialogue(locale):
    text, blocks = nudge(ReminderKind.REFERRER_REPLY, CODE, TODAY, TODAY, 4, locale)
    assert CODE in text and ReminderKind.REFERRER_REPLY.label(locale) in text
    [open_button] = [
        e
        for blk in blocks
        if blk["type"] == "actions"
        for e in blk["elements"]
        if e.get("style") == "primary"
    ]
    assert open_button["action_id"] == Action.OPEN_REFERRER_REPLY
    assert json.loads(open_button["value"]) == {"code": CODE}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_refer_form_from_an_after_care_check_carries_the_check(locale):
    resources = [ResourceChoice(1, "행복주거지원센터", ResourceCategory.HOUSING)]
    view = refer_modal(locale, Profile.WELFARE_CENTRE, CODE, resources, aftercare_check=11)
    validate(view)
    assert ReferFrom.read(view["private_metadata"]) == ReferFrom(code=CODE, check_id=11)
    assert catalog(locale)["referrals.modal.from_aftercare"] in json.dumps(view, ensure_ascii=False)
    plain = refer_modal(locale, Profile.WELFARE_CENTRE, CODE, resources, channel_id="C0001")
    assert ReferFrom.read(plain["private_metadata"]) == ReferFrom(code=CODE, channel="C0001")


def test_titles_and_buttons_fit():
    for locale in LOCALES:
        texts = catalog(locale)
        for key in (
            "referrals.outcome.title",
            "referrals.outcome.submit",
            "referrals.outcome.close",
            "referrals.reply.title",
            "referrals.reply.submit",
        ):
            assert len(texts[key]) <= 24, (locale, key)
