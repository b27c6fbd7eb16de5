"""Referral-in (stage 0): a case recorded as a referral only, its intake recorded later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from models.enums import NextStep, Stage
from models.errors import InvalidInput, RuleViolation
from models.services import cases, consents
from tests.factories import NOW, TODAY, consent, intake

REASON = "이웃 주민이 어르신이 며칠째 식사를 못 한다고 알림"


def referral(**overrides):
    data = intake(with_consent=False, intake_held=False)
    return data.model_copy(
        update={
            "referrer": "가상동 행정복지센터",
            "referred_on": date(2026, 2, 27),
            "referral_reason": REASON,
            **overrides,
        }
    )


def test_a_referral_only_is_stage_0_and_keeps_referrer_date_and_reason(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    state = cases.current_state(db, world.ctx(), case)
    assert state.stage == Stage.REFERRAL_IN and state.next_step == NextStep.RECORD_INTAKE
    assert (
        case.intake_at is None and case.referrer == "가상동 행정복지센터" and case.referral_reason == REASON
    )
    assert case.referred_at.astimezone(UTC) == datetime(2026, 2, 27, 3, 0, tzinfo=UTC)  # noon in Seoul
    raw = db.execute(
        text("SELECT referral_reason, referrer FROM cases WHERE id = :id"), {"id": case.id}
    ).one()
    assert "식사" not in raw[0] and "행정복지센터" not in raw[1]  # encrypted at rest


def test_a_referral_dated_after_today_is_a_field_error(db, world):
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, world.ctx(), referral(referred_on=TODAY + timedelta(days=1)))
    assert set(excinfo.value.errors) == {"referred_on"}


def test_the_intake_moves_the_case_to_stage_1_then_consent_to_2(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    later = world.ctx(now=NOW + timedelta(days=2))
    with pytest.raises(InvalidInput) as excinfo:
        cases.record_intake(db, later, case.code, summary="방문 상담", notice_given=False)
    assert set(excinfo.value.errors) == {"confidentiality_notice_given"}
    assert case.intake_at is None

    cases.record_intake(db, later, case.code, summary="방문 상담", notice_given=True)
    assert cases.current_state(db, later, case).stage == Stage.INTAKE
    with pytest.raises(RuleViolation):
        cases.record_intake(db, later, case.code, summary=None, notice_given=True)
    consents.record_consent(db, later, case.code, consent(given_on=later.today))
    assert cases.current_state(db, later, case).stage == Stage.ASSESSMENT
