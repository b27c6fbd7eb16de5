"""The intake of issue 17 in the core: client characteristics, interpreter, benefits, housing, how the
intake came, household members and guardians with their legal standing (identifiers encrypted), and a
crisis ticked at intake: the supervisors to tell at once and a first response due within 24 hours."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from models.case import Case
from models.client import Client, Guardian, HouseholdMember
from models.enums import (
    BenefitStatus,
    ClientCharacteristic,
    ContactOutcome,
    CrisisFlag,
    HousingType,
    IntakeRoute,
    LegalStanding,
    LifeStage,
    ReminderKind,
    ReminderStatus,
)
from models.errors import InvalidInput
from models.reminder import Reminder
from models.schemas import STRICT_CONTEXT, GuardianInput, HouseholdMemberInput, IntakeInput
from models.services import case_file, cases, forms, notes
from models.services.context import Policy
from models.services.export import export_case
from tests.factories import NOW, contact, intake

MEMBER, GUARDIAN, PHONE = "김가구원가상", "이보호자가상", "010-4242-5151"


def full_intake(**update) -> IntakeInput:
    data = intake()
    client = data.client.model_copy(
        update={
            "characteristics": [ClientCharacteristic.SINGLE_PARENT, ClientCharacteristic.MULTICULTURAL],
            "interpreter_needed": True,
            "interpreter_language": "베트남어",
            "benefits": [BenefitStatus.LIVELIHOOD, BenefitStatus.MEDICAL],
            "housing_type": HousingType.MONTHLY_RENT,
        }
    )
    return data.model_copy(
        update={
            "client": client,
            "intake_route": IntakeRoute.OUTREACH,
            "household": [
                HouseholdMemberInput(name=MEMBER, relation="자녀", age_band=LifeStage.CHILD),
                HouseholdMemberInput(relation="조모", co_resident=False, is_main_carer=True),
            ],
            "guardians": [
                GuardianInput(
                    name=GUARDIAN,
                    relationship_kind="조모",
                    contact=PHONE,
                    legal_standing=LegalStanding.MINOR_GUARDIAN,
                )
            ],
            **update,
        }
    )


def pending(db, case: Case, kind: ReminderKind) -> list[Reminder]:
    return list(
        db.scalars(
            select(Reminder).where(
                Reminder.case_id == case.id, Reminder.kind == kind, Reminder.status == ReminderStatus.PENDING
            )
        )
    )


def test_a_full_intake_is_stored_with_its_identifiers_encrypted(db, world):
    case = cases.open_case(db, world.ctx(), full_intake())
    client = case.client
    assert client.characteristics == ["SINGLE_PARENT", "MULTICULTURAL"]
    assert client.benefits == ["LIVELIHOOD", "MEDICAL"] and client.housing_type == HousingType.MONTHLY_RENT
    assert client.interpreter_needed and client.interpreter_language == "베트남어"
    assert case.intake_route == IntakeRoute.OUTREACH and case.crisis_flags == [] and not case.crisis
    assert [(m.name, m.relation, m.age_band, m.co_resident, m.is_main_carer) for m in client.household] == [
        (MEMBER, "자녀", "CHILD", True, False),
        (None, "조모", None, False, True),
    ]
    [guardian] = client.guardians
    assert guardian.legal_standing == LegalStanding.MINOR_GUARDIAN and guardian.is_legal_representative
    db.flush()
    raw_member = db.scalar(text("SELECT name FROM household_members WHERE name IS NOT NULL"))
    raw_guardian = db.execute(text("SELECT name, contact FROM guardians")).one()
    raw_language = db.scalar(
        text("SELECT interpreter_language FROM clients WHERE id = :id"), {"id": client.id}
    )
    for value in (raw_member, *raw_guardian, raw_language):
        assert value.startswith("enc1:") and MEMBER not in value and PHONE not in value
    assert db.scalar(select(func.count()).select_from(HouseholdMember)) == 2


def test_the_history_and_the_export_show_the_intake(db, world):
    case = cases.open_case(db, world.ctx(), full_intake())
    page = case_file.read_page(db, world.ctx(), case.code, case_file.Section.INTAKE)
    [entry] = page.entries
    assert entry.characteristics == [ClientCharacteristic.SINGLE_PARENT, ClientCharacteristic.MULTICULTURAL]
    assert entry.benefits == [BenefitStatus.LIVELIHOOD, BenefitStatus.MEDICAL]
    assert entry.route == IntakeRoute.OUTREACH and entry.housing == HousingType.MONTHLY_RENT
    assert [m.name for m in entry.household] == [MEMBER, None]
    assert [(g.name, g.contact, g.standing) for g in entry.guardians] == [
        (GUARDIAN, PHONE, LegalStanding.MINOR_GUARDIAN)
    ]
    exported = export_case(
        db, case.code, operator="admin", reason="test", now=NOW, zone=ZoneInfo("Asia/Seoul"), locale="ko"
    )
    for shown in (
        "한부모",
        "다문화",
        "베트남어",
        "생계급여",
        "의료급여",
        "월세",
        "아웃리치",
        MEMBER,
        PHONE,
        "미성년후견인",
    ):
        assert shown in exported, shown


def test_a_household_or_guardian_list_over_the_limit_is_a_field_error():
    with pytest.raises(ValueError) as caught:
        IntakeInput.model_validate(intake().model_dump() | {"household": [{"relation": "자녀"}] * 9})
    assert "household" in str(caught.value)


def test_strict_mode_takes_no_household_members_name(db, world):
    strict = Policy(privacy_mode="strict")
    data = IntakeInput.model_validate(
        {
            "client": {"external_ref": "HE-2026-000777"},
            "referral_source": "행정복지센터",
            "confidentiality_notice_given": True,
            "household": [{"name": MEMBER, "relation": "자녀"}],
        },
        context=STRICT_CONTEXT,
    )
    before = db.scalar(select(func.count()).select_from(Client))
    with pytest.raises(InvalidInput) as caught:
        cases.open_case(db, world.ctx(policy=strict), data)
    assert "household.0.name" in caught.value.errors
    assert db.scalar(select(func.count()).select_from(Client)) == before
    ok = data.model_copy(update={"household": [HouseholdMemberInput(relation="자녀")]})
    assert cases.open_case(db, world.ctx(policy=strict), ok).client.household[0].name is None


@pytest.mark.parametrize("flag", list(CrisisFlag))
def test_a_crisis_at_intake_tells_the_supervisors_and_wants_a_first_response_in_24_hours(db, world, flag):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, full_intake(crisis_flags=[flag]))
    assert case.crisis and case.crisis_flags == [flag.value] and case.crisis_flagged_at == NOW
    assert cases.crisis_recipients(db, case, today=ctx.today) == [
        (world.supervisor.slack_user_id, world.supervisor.locale or "")
    ]
    [nudge] = pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE)
    assert nudge.recipient_id == world.manager.id
    # At once (the next sweep), with the deadline 24 hours after the intake.
    deadline = NOW + timedelta(hours=ctx.policy.cadences.crisis_first_response_hours)
    assert nudge.due_at == NOW
    assert nudge.deadline_on == deadline.astimezone(ctx.policy.zone).date()
    # Past the deadline with no contact reaching the client: the team's supervisors.
    [overdue] = pending(db, case, ReminderKind.CRISIS_RESPONSE_OVERDUE)
    assert overdue.recipient_id == world.supervisor.id and overdue.due_at == deadline
    assert case.next_due_kind == ReminderKind.CRISIS_FIRST_RESPONSE  # before the assessment's deadline


def test_the_first_response_nudge_goes_once_a_contact_reaches_the_client(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, full_intake(crisis_flags=[CrisisFlag.SELF_HARM]))
    notes.log_contact(
        db, world.ctx(now=NOW + timedelta(hours=1)), case.code, contact(NOW, outcome=ContactOutcome.NO_ANSWER)
    )
    assert pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE)  # not reached: still due
    assert pending(db, case, ReminderKind.CRISIS_RESPONSE_OVERDUE)
    notes.log_contact(
        db, world.ctx(now=NOW + timedelta(hours=2)), case.code, contact(NOW + timedelta(hours=2))
    )
    assert pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE) == []
    assert pending(db, case, ReminderKind.CRISIS_RESPONSE_OVERDUE) == []  # the supervisors are not told


def test_no_crisis_ticked_no_one_is_told_and_nothing_is_due(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, full_intake())
    assert cases.crisis_recipients(db, case, today=ctx.today) == []
    assert pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE) == []
    assert db.scalar(select(func.count()).select_from(Guardian)) == 1


def test_the_printed_intake_form_has_the_intake_and_no_alleged_abusers_contact(db, world):
    abuser = GuardianInput(
        name="최의심가상", relationship_kind="부", contact="010-9090-8080", is_alleged_abuser=True
    )
    data = full_intake(crisis_flags=[CrisisFlag.CARER_LOSS])
    case = cases.open_case(db, world.ctx(), data.model_copy(update={"guardians": [*data.guardians, abuser]}))
    doc = forms.form_document(
        db, case, forms.Form.INTAKE, locale="ko", zone=ZoneInfo("Asia/Seoul"), agency="가상복지관", now=NOW
    )
    shown = repr(doc.parts)
    for expected in (
        "한부모",
        "베트남어",
        "생계급여",
        "월세",
        "아웃리치",
        "보호자 상실",
        MEMBER,
        PHONE,
        "미성년후견인",
    ):
        assert expected in shown, expected
    assert "최의심가상" in shown and "010-9090-8080" not in shown
