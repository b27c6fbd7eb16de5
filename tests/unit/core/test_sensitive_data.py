"""R4 (PIPA §23): an assessment holding health data completes only under a sensitive-data consent or a
recorded statutory basis; otherwise a field error that names §23, and nothing is completed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.enums import AssessmentStatus, ConsentScope, NeedDomain, Profile, StatutoryBasis
from models.errors import InvalidInput
from models.schemas import RatingInput
from models.services import assessments, cases, consents
from tests.factories import TODAY, assessment_input, consent, intake, school_intake


def with_health_narrative(profile: Profile = Profile.WELFARE_CENTRE, domain: NeedDomain = NeedDomain.HEALTH):
    data = assessment_input(profile=profile)
    ratings = [
        RatingInput(domain=r.domain, severity=r.severity, narrative="우울증으로 통원 치료 중")
        if r.domain == domain
        else r
        for r in data.ratings
    ]
    return data.model_copy(update={"ratings": ratings})


def refused_field(excinfo: pytest.ExceptionInfo) -> str:
    error = excinfo.value
    assert type(error) is InvalidInput
    (field,) = error.errors
    return field


@pytest.mark.parametrize(
    "data",
    [with_health_narrative(), assessment_input().model_copy(update={"screen_self_harm": True})],
    ids=["health-narrative", "self-harm"],
)
def test_health_data_without_consent_or_basis_is_refused_naming_section_23(db, world, data):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())  # collection and use only
    with pytest.raises(InvalidInput) as excinfo:
        assessments.assess(db, ctx, case.code, data)
    assert refused_field(excinfo) == "sensitive_basis"
    message = excinfo.value.errors["sensitive_basis"]
    assert "§23" in message.ko and "§23" in message.en and "민감정보" in message.ko
    draft = assessments.start(db, ctx, case.code)
    assert draft.status == AssessmentStatus.DRAFT and draft.completed_at is None
    assert case.crisis is False


def test_a_sensitive_data_consent_allows_it(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(consents=[consent(), consent(ConsentScope.SENSITIVE)]))
    result = assessments.assess(
        db, ctx, case.code, with_health_narrative().model_copy(update={"screen_self_harm": True})
    )
    assert result.assessment.status == AssessmentStatus.COMPLETED and result.crisis is True


def test_an_expired_or_withdrawn_sensitive_consent_does_not(db, world):
    ctx = world.ctx()
    expired = consent(
        ConsentScope.SENSITIVE, given_on=TODAY - timedelta(days=400), expires_on=TODAY - timedelta(1)
    )
    case = cases.open_case(db, ctx, intake(consents=[consent(), expired]))
    with pytest.raises(InvalidInput):
        assessments.assess(db, ctx, case.code, with_health_narrative())
    fresh = consents.record_consent(db, ctx, case.code, consent(ConsentScope.SENSITIVE))
    consents.withdraw_consent(db, ctx, fresh.id)
    with pytest.raises(InvalidInput):
        assessments.assess(db, ctx, case.code, with_health_narrative())


def test_a_recorded_statutory_basis_with_its_law_allows_it(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    data = with_health_narrative()
    with pytest.raises(InvalidInput) as excinfo:  # a basis without the law it rests on
        assessments.assess(
            db, ctx, case.code, data.model_copy(update={"sensitive_basis": StatutoryBasis.STATUTE})
        )
    assert refused_field(excinfo) == "sensitive_basis_note"
    with pytest.raises(InvalidInput) as excinfo:  # imminent danger is a ground for provision, not §23
        assessments.assess(
            db,
            ctx,
            case.code,
            data.model_copy(
                update={"sensitive_basis": StatutoryBasis.IMMINENT_DANGER, "sensitive_basis_note": "§17①2"}
            ),
        )
    assert refused_field(excinfo) == "sensitive_basis"
    done = assessments.assess(
        db,
        ctx,
        case.code,
        data.model_copy(
            update={"sensitive_basis": StatutoryBasis.STATUTE, "sensitive_basis_note": "사회보장급여법 §42-2"}
        ),
    )
    assert done.assessment.status == AssessmentStatus.COMPLETED
    assert done.assessment.sensitive_basis == StatutoryBasis.STATUTE


def test_other_narratives_need_no_sensitive_consent(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    done = assessments.assess(db, ctx, case.code, with_health_narrative(domain=NeedDomain.ECONOMIC))
    assert done.assessment.status == AssessmentStatus.COMPLETED


def test_school_mental_health_narrative_is_health_data(db, world):
    from tests.unit.core.test_guards import school_ctx

    ctx = school_ctx(db, world)
    case = cases.open_case(db, ctx, school_intake())
    with pytest.raises(InvalidInput):
        assessments.assess(
            db, ctx, case.code, with_health_narrative(Profile.SCHOOL, NeedDomain.PSYCH_EMOTIONAL)
        )
