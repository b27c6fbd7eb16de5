"""서비스 제공기록: recording a delivery, its field errors (nothing written) and the school caps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models.enums import Profile, ResourceCategory, ServiceUnit
from models.errors import InvalidInput
from models.schemas import DeliveryInput
from models.service_delivery import ServiceDelivery
from models.services import deliveries
from models.services.context import Policy
from models.staff import DataHandlingApproval
from tests.factories import NOW, TODAY, case_in_monitoring


def delivery(world, **overrides) -> DeliveryInput:
    values = dict(
        delivered_on=TODAY,
        category=ResourceCategory.IN_KIND,
        description="밑반찬 지원",
        quantity=4,
        unit=ServiceUnit.TIMES,
        amount_won=40_000,
        funding_source="DONATION",
        provider_resource_id=world.resource.id,
    )
    values.update(overrides)
    return DeliveryInput(**values)


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(ServiceDelivery))


def test_a_delivery_is_stored_with_its_task_and_resource(db, world):
    case = case_in_monitoring(db, world)
    task_id = deliveries.delivery_choices(db, world.ctx(), case.code).tasks[0].value
    stored = deliveries.record_delivery(
        db, world.ctx(), case.code, delivery(world, plan_task_id=int(task_id))
    )
    assert (stored.amount_won, stored.funding_source, stored.plan_task_id) == (
        40_000,
        "DONATION",
        int(task_id),
    )
    assert stored.provider_resource_id == world.resource.id
    lines = deliveries.deliveries_of(db, world.ctx(), case.code)
    assert [(line.amount_won, line.provider) for line in lines] == [(40_000, world.resource.name)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_won": -1}, "amount_won"),
        ({"delivered_on": TODAY - timedelta(days=1)}, "delivered_on"),  # the case opened today
        ({"delivered_on": TODAY + timedelta(days=1)}, "delivered_on"),
        ({"funding_source": "복권기금"}, "funding_source"),
        ({"provider_resource_id": None}, "provider_resource_id"),
        ({"plan_task_id": 999_999}, "plan_task_id"),
        ({"referral_id": 999_999}, "referral_id"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(db, world, overrides, field):
    case = case_in_monitoring(db, world)
    before = count(db)
    with pytest.raises(InvalidInput) as caught:
        deliveries.record_delivery(db, world.ctx(), case.code, delivery(world, **overrides))
    assert field in caught.value.errors
    assert count(db) == before


def test_the_agency_extends_the_funding_catalog(db, world):
    case = case_in_monitoring(db, world)
    policy = replace(Policy(), funding_sources=(*Policy().funding_sources, "지정후원금"))
    stored = deliveries.record_delivery(
        db, world.ctx(policy=policy), case.code, delivery(world, funding_source="지정후원금")
    )
    assert stored.funding_source == "지정후원금"


def test_school_caps_warn_before_a_delivery_passes_one(db, world):
    policy = Policy(profile=Profile.SCHOOL, school_caps=(("IN_KIND", 100_000), ("TOTAL", 500_000)))
    case = case_in_monitoring(db, world)
    case.profile = Profile.SCHOOL
    # Student data is handled by staff the head of the school approved (학생맞춤통합지원법 §17⑦).
    db.add(
        DataHandlingApproval(
            staff_id=world.manager.id,
            approved_by="교장 김가상",
            approved_on=TODAY,
            reference="2026-001",
            entered_by="cli:test",
        )
    )
    db.flush()
    deliveries.record_delivery(db, world.ctx(policy=policy), case.code, delivery(world, amount_won=80_000))
    totals = {s.key: (s.spent, s.cap) for s in deliveries.school_totals(db, case, policy, TODAY)}
    assert totals == {"IN_KIND": (80_000, 100_000), "TOTAL": (80_000, 500_000)}
    with pytest.raises(InvalidInput) as caught:
        deliveries.record_delivery(
            db, world.ctx(policy=policy), case.code, delivery(world, amount_won=30_000)
        )
    assert "over_cap_confirmed" in caught.value.errors
    assert "₩110,000" in caught.value.errors["over_cap_confirmed"].ko
    confirmed = delivery(world, amount_won=30_000, over_cap_confirmed=True)
    deliveries.record_delivery(db, world.ctx(policy=policy), case.code, confirmed)
    assert deliveries.school_totals(db, case, policy, TODAY)[0].spent == 110_000
    # A new school year starts on 1 March: the running total starts again.
    assert deliveries.school_year_start(date(2027, 2, 28)) == date(2026, 3, 1)
    assert NOW.date() == TODAY


def test_a_contact_note_keeps_its_duration_in_minutes(db, world):
    from models.services import notes
    from tests.factories import contact

    case = case_in_monitoring(db, world)
    note = notes.log_contact(db, world.ctx(), case.code, contact(NOW, duration_minutes=45))
    assert note.duration_minutes == 45
    with pytest.raises(ValueError):
        contact(NOW, duration_minutes=0)  # at least a minute, at most a day


def test_default_funding_sources_are_codes_with_labels_and_the_agency_adds_its_own_names():
    from models.services.context import DEFAULT_FUNDING_SOURCES, funding_label, funding_sources_with

    assert [funding_label(code, "ko") for code in DEFAULT_FUNDING_SOURCES] == [
        "후원금",
        "사업비",
        "공적급여",
        "기타",
    ]
    assert funding_label("DONATION", "en") == "Donations"
    assert funding_label("지정후원금", "en") == "지정후원금"  # an agency's own name is its label
    # A default's label in the setting is that default, not a second source.
    assert funding_sources_with(["지정후원금", "후원금"]) == (*DEFAULT_FUNDING_SOURCES, "지정후원금")
