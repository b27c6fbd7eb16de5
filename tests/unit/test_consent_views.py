"""The consent dialogue's views: within Slack's limits, no signer shown back, the expiry nudge's
button opens the dialogue with "renew" ready."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.ids import Action, View
from bot.metadata import ConsentForm, ConsentOpen
from bot.views.blocks import check_view
from bot.views.consents import consent_modal, withdraw_modal
from bot.views.reminders import nudge
from models.enums import ConsentMethod, ConsentScope, ReminderKind, SignerRelationship
from models.services.consents import ConsentOverview, ConsentRow, RenewalDraft

TODAY = date(2026, 3, 2)
CODE = "C-2026-0007"


def overview(renewal: RenewalDraft | None = None, resources: int = 100) -> ConsentOverview:
    rows = [
        ConsentRow(1, ConsentScope.COLLECT_USE, TODAY, date(2026, 4, 1), None, True),
        ConsentRow(2, ConsentScope.THIRD_PARTY, TODAY, None, TODAY, False),
    ]
    return ConsentOverview(CODE, rows, [(i, f"기관{i}") for i in range(1, resources + 1)], renewal)


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("strict", [False, True])
def test_the_dialogue_fits_slack_and_offers_renew_and_withdraw_for_live_consents_only(locale, strict):
    view = consent_modal(locale, overview(), TODAY, strict=strict)
    check_view(view)
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == [Action.CONSENT_RENEW, Action.CONSENT_WITHDRAW]  # the withdrawn one has none
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert ("signer_name" in inputs) is not strict
    assert ConsentForm.read(view["private_metadata"]) == ConsentForm(code=CODE)


def test_a_renewal_starts_from_the_consent_but_never_its_signer():
    draft = RenewalDraft(
        1,
        ConsentScope.COLLECT_USE,
        "사례관리 서비스 제공, 자체 사업 안내",
        "성명, 연락처",
        "종결 후 5년",
        [],
        [],
        ConsentMethod.VERBAL,
        SignerRelationship.PARENT,
    )
    view = consent_modal("ko", overview(draft), TODAY)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert [o["value"] for o in blocks["purposes"]["element"]["initial_options"]] == ["case_management"]
    assert blocks["purposes_other"]["element"]["initial_value"] == "자체 사업 안내"
    assert blocks["retention"]["element"]["initial_option"]["value"] == "closure_5y"
    assert blocks["method"]["element"]["initial_option"]["value"] == "VERBAL"
    assert "initial_value" not in blocks["signer_name"]["element"]
    assert json.loads(view["private_metadata"]) == {"code": CODE, "renews": 1}


def test_the_withdrawal_modal_fits_slack():
    view = withdraw_modal("en", CODE, 3, ConsentScope.SENSITIVE, TODAY)
    check_view(view)
    assert view["callback_id"] == View.CONSENT_WITHDRAW


def test_an_expiry_nudge_opens_the_consent_dialogue_with_renew_ready():
    _, blocks = nudge(ReminderKind.CONSENT_EXPIRY, CODE, TODAY, TODAY, 5, "ko")
    opener = blocks[1]["elements"][0]
    assert opener["action_id"] == Action.OPEN_CONSENT
    assert ConsentOpen.read(opener["value"]) == ConsentOpen(code=CODE, renew=True)
