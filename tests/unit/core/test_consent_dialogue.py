"""Consents added, renewed and withdrawn on their own (/case consent): the stage follows at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from models.consent import Consent
from models.enums import ConsentScope, NeedDomain, ReferralStatus, Stage
from models.errors import InvalidInput, Message, NotFound, invalid_input_from
from models.schemas import ReferralInput
from models.services import cases, consents, referrals
from tests.factories import NOW, TODAY, case_in_monitoring, consent, intake


def stage(db, world, case, now=NOW) -> Stage:
    return cases.current_state(db, world.ctx(now=now), case).stage


def test_collection_and_use_moves_the_case_from_stage_1_to_2_and_withdrawal_back(db, world):
    case = cases.open_case(db, world.ctx(), intake(with_consent=False))
    assert stage(db, world, case) == Stage.INTAKE
    given = consents.record_consent(db, world.ctx(), case.code, consent())
    assert stage(db, world, case) == Stage.ASSESSMENT

    consents.withdraw_consent(db, world.ctx(), given.id, on=TODAY, reason="더 이상 원하지 않음")
    assert stage(db, world, case) == Stage.INTAKE
    assert given.withdrawn_on == TODAY and given.withdrawal_reason == "더 이상 원하지 않음"
    # The reason is stored encrypted, like every free text about the client.
    raw = db.execute(text("SELECT withdrawal_reason FROM consents WHERE id = :id"), {"id": given.id}).scalar()
    assert raw is not None and "원하지" not in raw


def test_a_withdrawal_of_a_consent_already_withdrawn_is_a_field_error(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    [given] = db.scalars(select(Consent).where(Consent.case_id == case.id))
    consents.withdraw_consent(db, world.ctx(), given.id, reason="철회")
    with pytest.raises(InvalidInput) as excinfo:
        consents.withdraw_consent(db, world.ctx(), given.id, reason="다시")
    assert excinfo.value.errors == {"withdrawn_on": Message("consents.errors.consent_already_withdrawn")}
    assert given.withdrawal_reason == "철회"


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (TODAY + timedelta(days=1), "withdrawn_in_future"),
        (TODAY - timedelta(days=10), "withdrawn_before_given"),
    ],
)
def test_a_withdrawal_date_in_the_future_or_before_the_consent_is_a_field_error(db, world, day, key):
    case = cases.open_case(db, world.ctx(), intake())
    [given] = db.scalars(select(Consent).where(Consent.case_id == case.id))
    with pytest.raises(InvalidInput) as excinfo:
        consents.withdraw_consent(db, world.ctx(), given.id, on=day, reason="철회")
    assert set(excinfo.value.errors) == {"withdrawn_on"}
    assert excinfo.value.errors["withdrawn_on"].key == f"consents.errors.{key}"
    assert given.withdrawn_at is None and given.active_on(TODAY)


def test_an_expiry_before_the_date_given_is_a_field_error():
    with pytest.raises(ValidationError) as excinfo:
        consent(given_on=TODAY, expires_on=TODAY - timedelta(days=1))
    assert set(invalid_input_from(excinfo.value).errors) == {"expires_on"}


def test_an_expired_consent_falls_back_to_stage_1_and_a_renewal_restores_it(db, world):
    case = cases.open_case(db, world.ctx(), intake(consents=[consent(expires_on=TODAY + timedelta(days=30))]))
    later = NOW + timedelta(days=31)
    assert stage(db, world, case, later) == Stage.INTAKE
    [old] = db.scalars(select(Consent).where(Consent.case_id == case.id))

    # The expiry nudge's dialogue starts from the consent that ends first.
    overview = consents.consent_overview(db, world.ctx(now=later), case.code, renew_next=True)
    assert overview.renewal is not None and overview.renewal.consent_id == old.id
    assert [r.active for r in overview.rows] == [False]

    renewal = consent(given_on=later.date(), expires_on=later.date() + timedelta(days=365))
    new = consents.record_consent(db, world.ctx(now=later), case.code, renewal, renews_id=old.id)
    assert new.renews_id == old.id
    assert stage(db, world, case, later) == Stage.ASSESSMENT


def test_a_renewal_keeps_the_scope_and_a_withdrawn_consent_is_not_renewed(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    [old] = db.scalars(select(Consent).where(Consent.case_id == case.id))
    with pytest.raises(InvalidInput) as excinfo:
        consents.record_consent(db, world.ctx(), case.code, consent(ConsentScope.SENSITIVE), renews_id=old.id)
    assert set(excinfo.value.errors) == {"scope"}
    consents.withdraw_consent(db, world.ctx(), old.id, reason="철회")
    with pytest.raises(InvalidInput):
        consents.record_consent(db, world.ctx(), case.code, consent(), renews_id=old.id)
    other = cases.open_case(db, world.ctx(), intake())
    with pytest.raises(NotFound):  # another case's consent
        consents.record_consent(db, world.ctx(), other.code, consent(), renews_id=old.id)


def test_withdrawing_third_party_consent_stops_the_referral_relying_on_it(db, world):
    case = case_in_monitoring(db, world)
    shared = consents.record_consent(
        db, world.ctx(), case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    data = ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거 지원")
    referral = referrals.create(db, world.ctx(), case.code, data)
    referrals.move(db, world.ctx(), referral.id, ReferralStatus.SENT)
    stopped = consents.withdraw_consent(
        db, world.ctx(), shared.id, on=date(2026, 3, 2), reason="연계 원하지 않음"
    )
    assert [r.id for r in stopped] == [referral.id] and referral.status == ReferralStatus.CANCELLED


def test_any_scope_can_be_added_with_written_recipients(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    for scope in ConsentScope:
        data = consent(scope, recipients=[world.resource.id]).model_copy(
            update={"recipient_names": ["가상구 행정복지센터"]}
        )
        consents.record_consent(db, world.ctx(), case.code, data)
    overview = consents.consent_overview(db, world.ctx(), case.code)
    assert {r.scope for r in overview.rows} == set(ConsentScope)
    assert overview.renewal is None and overview.resources  # the directory, for recipients
