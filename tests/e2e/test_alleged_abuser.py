"""R12 through the running bot: a guardian marked as the alleged abuser is never a consent signer (a field
error), never a contact for the case (the export carries no number of theirs and warns), the case shows a
warning to its circle, and no nudge, digest, export or form sends anything to them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.ids import View
from bot.settings import Settings
from models import Case, Consent, Referral
from models.client import Guardian
from models.enums import ConsentScope, StaffRole, Surface
from models.schemas import GuardianInput
from models.services import cases, export, guardians, staff
from models.services.context import Ctx
from tests.e2e.helpers import add_staff, answers_to, choices, command, state, submit, text
from tests.e2e.test_privacy_scan import scheduler_side
from tests.e2e.test_referrals import add_resource, meta, refer_values
from tests.factories import NOW, intake

ABUSER = "최의심가상"
ABUSER_PHONE = "010-7777-3131"
ABUSER_EMAIL = "suspect.choi@example.com"
OTHER = "박할머니가상"


def case_with_flagged_guardian(bot) -> str:
    data = intake().model_copy(
        update={
            "guardians": [
                GuardianInput(
                    name=ABUSER,
                    relationship_kind="부",
                    contact=f"{ABUSER_PHONE} {ABUSER_EMAIL}",
                    is_legal_representative=True,
                ),
                GuardianInput(name=OTHER, relationship_kind="조모", contact="010-2222-4545"),
            ]
        }
    )
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=NOW)
        case = cases.open_case(db, ctx, data)
        flagged = next(g for g in case.client.guardians if g.name == ABUSER)
        guardians.mark_alleged_abuser(db, ctx, case.code, flagged.id)
        return case.code


def leaks(shown: str) -> list[str]:
    return [v for v in (ABUSER, ABUSER_PHONE, ABUSER_PHONE.replace("-", ""), ABUSER_EMAIL) if v in shown]


def test_the_alleged_abuser_signs_nothing_is_warned_about_and_is_sent_nothing(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    code = case_with_flagged_guardian(bot)
    resource = add_resource(bot, "행복주거지원센터")

    # offered as the signer of the referral's consent: a field error under the signer, nothing written
    offered = refer_values(
        resource,
        **{
            "consent_now": choices("yes"),
            "consent.signer_name": text(f" {ABUSER} "),
            "consent.signer_relationship": {"type": "static_select", "selected_option": {"value": "PARENT"}},
            "consent.refusal_notice_given": choices("yes"),
        },
    )
    status, body = submit(bot, "UCM1", View.REFER, offered, view_id="VAB1", private_metadata=meta(code))
    assert status == 200 and body["response_action"] == "errors", body
    assert set(body["errors"]) == {"consent.signer_name"}
    assert "R12" in body["errors"]["consent.signer_name"]
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        assert list(db.scalars(select(Referral).where(Referral.case_id == case_id))) == []
        scopes = [c.scope for c in db.scalars(select(Consent).where(Consent.case_id == case_id))]
        assert scopes == [ConsentScope.COLLECT_USE]

    # another guardian may sign
    fine = refer_values(
        resource,
        **{
            "consent_now": choices("yes"),
            "consent.signer_name": text(OTHER),
            "consent.refusal_notice_given": choices("yes"),
        },
    )
    _, body = submit(bot, "UCM1", View.REFER, fine, view_id="VAB2", private_metadata=meta(code))
    assert body["response_action"] == "update", body

    # the case shows a warning to its circle: the manager and the team's supervisor
    for user in ("UCM1", "USUP1"):
        before = len(bot.slack.calls("views.open"))
        assert command(bot, f"show {code}", user)[0] == 200
        view = bot.slack.wait_for("views.open", before + 1)[before].params["view"]
        shown = json.dumps(view, ensure_ascii=False)
        assert "학대행위자로 의심" in shown and not leaks(shown)

    # the export: warned, and no number or address of theirs (never a contact for the case)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with bot.uow() as db:
        text_ = export.export_case(
            db, code, operator="cli:test", reason="열람 청구", now=datetime.now(UTC), zone=settings.zone
        )
        assert [g.is_alleged_abuser for g in db.scalars(select(Guardian).order_by(Guardian.id))] == [
            True,
            False,
        ]
    assert "이 열람본이나 그 내용을 그 보호자에게 제공하거나 보내지 마세요" in text_
    assert ABUSER_PHONE not in text_ and ABUSER_EMAIL not in text_ and "010-2222-4545" in text_

    # nudges and digests: every reminder of the case sent, nothing of theirs anywhere in Slack's history
    scheduler_side(bot, code)
    sent = bot.slack.calls()
    assert any(c.method == "chat.postMessage" for c in sent)
    for call in sent:
        if call.method.startswith("chat.") or call.method == "response_url":
            shown = json.dumps(call.params, ensure_ascii=False)
            assert not leaks(shown), f"{call.method} carries {leaks(shown)}"
            assert call.params.get("channel") in (None, "C0001", "UCM1", "USUP1", "D_UCM1", "D_USUP1"), call


def test_the_circle_marks_and_clears_the_flag_in_slack(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    code = case_with_flagged_guardian(bot)
    with bot.uow() as db:
        flagged, other = (g.id for g in db.scalars(select(Guardian).order_by(Guardian.id)))
    assert command(bot, f"보호자 {code}", "UCM1")[0] == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.GUARDIANS
    [box] = [b for b in view["blocks"] if b.get("block_id") == "guardian"]
    assert [o["value"] for o in box["element"]["initial_options"]] == [str(flagged)]

    # both marked, then a forged id: a field error, nothing changes
    ticked = choices(str(flagged), str(other))
    _, body = submit(
        bot,
        "UCM1",
        View.GUARDIANS,
        state(guardian=ticked),
        view_id="VG1",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "update", body
    _, body = submit(
        bot,
        "UCM1",
        View.GUARDIANS,
        state(guardian=choices("999999")),
        view_id="VG2",
        private_metadata=view["private_metadata"],
    )
    assert set(body["errors"]) == {"guardian"}, body
    with bot.uow() as db:
        assert [g.is_alleged_abuser for g in db.scalars(select(Guardian).order_by(Guardian.id))] == [
            True,
            True,
        ]

    # a colleague outside the circle cannot open it
    told = len(answers_to(bot, "UOTHER", 0))
    command(bot, f"guardian {code}", "UOTHER")
    assert answers_to(bot, "UOTHER", told + 1)[-1]["response_type"] == "ephemeral"
    assert len(bot.slack.calls("views.open")) == 1
    for call in bot.slack.calls():
        if call.method.startswith("chat."):
            assert not leaks(json.dumps(call.params, ensure_ascii=False))
