"""`/case consent CODE` (동의) through the running bot: add, renew from an expiry nudge, withdraw; the
stage follows; bad input comes back as field errors with nothing saved; a resubmission saves once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import ConsentOpen
from models import Case, Consent, Referral
from models.enums import ConsentScope, ReferralStatus, Stage
from models.services import cases
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, choice, choices, command, day, state, submit, text
from tests.e2e.test_assessment import ctx_of, open_case
from tests.e2e.test_home import buttons, open_home, published

SIGNER = "홍서명"
REASON = "연락을 원하지 않는다고 함"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def consent_values(**overrides: dict) -> dict:
    values = {
        "scope": choice("COLLECT_USE"),
        "purposes": choices("case_management", "linkage", kind="multi_static_select"),
        "purposes_other": text(None),
        "items": choices("name", "contact", kind="multi_static_select"),
        "items_other": text("보호자 연락처"),
        "retention": choice("closure_5y"),
        "retention_other": text(None),
        "recipient_names": text(None),
        "signer_name": text(SIGNER),
        "signer_relationship": choice("SELF"),
        "guardian_verified": choices(),
        "method": choice("WRITTEN"),
        "given_on": day(today()),
        "expires_on": day(None),
        "refusal_notice_given": choices("yes"),
    }
    values.update(overrides)
    return state(**values)


def open_dialogue(bot: RunningBot, code: str, user: str = "UCM1") -> dict:
    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, f"동의 {code}", user)
    assert status == 200
    view = bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    assert view["callback_id"] == View.CONSENT
    return view


def consents_of(bot: RunningBot, code: str) -> list[Consent]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(db.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id)))


def stage_of(bot: RunningBot, code: str) -> Stage:
    with bot.uow() as db:
        return cases.show(db, ctx_of(db, "UCM1"), code).state.stage


def click(bot: RunningBot, user: str, action_id: str, value: str, **kwargs) -> None:
    request = block_actions(
        SIGNING_SECRET, user_id=user, actions=[{"action_id": action_id, "value": value}], **kwargs
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200


def test_the_home_button_opens_the_dialogue_and_collection_and_use_moves_the_case_to_stage_2(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = open_case(bot, with_consent=False)
    assert stage_of(bot, code) == Stage.INTAKE

    open_home(bot, "UCM1")
    [record] = [b for b in buttons(published(bot)["view"], Action.OPEN_CONSENT) if code in b["value"]]
    click(bot, "UCM1", Action.OPEN_CONSENT, record["value"])
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == View.CONSENT

    # An expiry before the date given: a field error, nothing saved.
    bad = consent_values(expires_on=day((datetime.now(UTC).date() - timedelta(days=1)).isoformat()))
    _, body = submit(
        bot, "UCM1", View.CONSENT, bad, view_id="VCON1", private_metadata=view["private_metadata"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"expires_on"}
    # No purpose chosen or written: on the purposes block.
    bare = consent_values(purposes=choices(kind="multi_static_select"))
    _, body = submit(
        bot, "UCM1", View.CONSENT, bare, view_id="VCON2", private_metadata=view["private_metadata"]
    )
    assert set(body["errors"]) == {"purposes"}
    assert consents_of(bot, code) == []

    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT,
        consent_values(),
        view_id="VCON3",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "update", body
    assert code in json.dumps(body["view"], ensure_ascii=False)
    assert SIGNER not in json.dumps(body["view"], ensure_ascii=False)
    [given] = consents_of(bot, code)
    assert given.scope == ConsentScope.COLLECT_USE and given.signer_name == SIGNER
    assert given.purposes == "사례관리 서비스 제공, 서비스 연계·의뢰"
    assert given.items == "성명, 연락처, 보호자 연락처" and given.retention == "종결 후 5년"
    assert stage_of(bot, code) == Stage.ASSESSMENT

    # A Slack retry of the same submission saves nothing twice.
    _, again = submit(
        bot,
        "UCM1",
        View.CONSENT,
        consent_values(),
        view_id="VCON3",
        private_metadata=view["private_metadata"],
    )
    assert again["response_action"] == "update" and len(consents_of(bot, code)) == 1


def test_an_expiry_nudge_opens_the_dialogue_with_renew_ready(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = open_case(bot, sensitive=False)  # the collection-and-use consent alone
    [old] = consents_of(bot, code)
    with bot.uow() as db:
        db.get(Consent, old.id).expires_on = datetime.now(UTC).date() + timedelta(days=7)

    click(bot, "UCM1", Action.OPEN_CONSENT, ConsentOpen(code=code, renew=True).dump())
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    assert json.loads(view["private_metadata"]) == {"code": code, "renews": old.id}
    scope = next(b for b in view["blocks"] if b.get("block_id") == "scope")
    assert scope["element"]["initial_option"]["value"] == "COLLECT_USE"
    assert SIGNER not in json.dumps(view, ensure_ascii=False)  # never the signer back into Slack

    # A renewal of another scope is refused on the scope block.
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT,
        consent_values(scope=choice("SENSITIVE")),
        view_id="VREN1",
        private_metadata=view["private_metadata"],
    )
    assert set(body["errors"]) == {"scope"}
    next_year = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT,
        consent_values(expires_on=day(next_year)),
        view_id="VREN2",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "update", body
    old_again, new = consents_of(bot, code)
    assert new.renews_id == old_again.id and new.expires_on.isoformat() == next_year


def test_withdrawal_records_date_and_reason_stops_linkage_and_goes_back_to_stage_1(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = open_case(bot, sensitive=False)  # the collection-and-use consent alone
    [collect] = consents_of(bot, code)
    view = open_dialogue(bot, code)
    withdraw = [b for b in buttons(view, Action.CONSENT_WITHDRAW)]
    assert len(withdraw) == 1
    click(bot, "UCM1", Action.CONSENT_WITHDRAW, withdraw[0]["value"], view={"id": "VDLG1", **view})
    pushed = bot.slack.wait_for("views.push")[-1].params["view"]
    assert pushed["callback_id"] == View.CONSENT_WITHDRAW

    tomorrow = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    values = state(withdrawn_on=day(tomorrow), reason=text(REASON))
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT_WITHDRAW,
        values,
        view_id="VWD1",
        private_metadata=pushed["private_metadata"],
    )
    assert set(body["errors"]) == {"withdrawn_on"}
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT_WITHDRAW,
        state(withdrawn_on=day(today()), reason=text(None)),
        view_id="VWD2",
        private_metadata=pushed["private_metadata"],
    )
    assert set(body["errors"]) == {"reason"}
    assert consents_of(bot, code)[0].withdrawn_at is None

    values = state(withdrawn_on=day(today()), reason=text(REASON))
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT_WITHDRAW,
        values,
        view_id="VWD3",
        private_metadata=pushed["private_metadata"],
    )
    assert body["response_action"] == "update", body
    assert REASON not in json.dumps(body, ensure_ascii=False)
    [withdrawn] = consents_of(bot, code)
    assert withdrawn.id == collect.id and withdrawn.withdrawal_reason == REASON
    assert withdrawn.withdrawn_on.isoformat() == today()
    assert stage_of(bot, code) == Stage.INTAKE

    # Withdrawing it again (a second dialogue left open): a field error, nothing changes.
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT_WITHDRAW,
        values,
        view_id="VWD4",
        private_metadata=pushed["private_metadata"],
    )
    assert set(body["errors"]) == {"withdrawn_on"}
    assert consents_of(bot, code)[0].withdrawal_reason == REASON


def test_withdrawing_third_party_consent_cancels_the_referral_relying_on_it(bot: RunningBot):
    from tests.e2e.test_referrals import WITH_CONSENT, add_resource, meta, refer_values

    add_staff(bot, "UCM1")
    code = open_case(bot, sensitive=False)  # the collection-and-use consent alone
    resource = add_resource(bot, "행복주거지원센터")
    _, body = submit(
        bot,
        "UCM1",
        View.REFER,
        refer_values(resource, **WITH_CONSENT),
        view_id="VR9",
        private_metadata=meta(code),
    )
    assert body["response_action"] == "update", body
    shared = next(c for c in consents_of(bot, code) if c.scope == ConsentScope.THIRD_PARTY)
    view = open_dialogue(bot, code)
    [button] = [
        b for b in buttons(view, Action.CONSENT_WITHDRAW) if f'"consent_id":{shared.id}' in b["value"]
    ]
    click(bot, "UCM1", Action.CONSENT_WITHDRAW, button["value"], view={"id": "VDLG2", **view})
    pushed = bot.slack.wait_for("views.push")[-1].params["view"]
    values = state(withdrawn_on=day(today()), reason=text(REASON))
    _, body = submit(
        bot,
        "UCM1",
        View.CONSENT_WITHDRAW,
        values,
        view_id="VWD9",
        private_metadata=pushed["private_metadata"],
    )
    assert body["response_action"] == "update", body
    with bot.uow() as db:
        [referral] = db.scalars(select(Referral))
        assert referral.status == ReferralStatus.CANCELLED
