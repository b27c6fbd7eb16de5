"""Field errors land only under the field that caused them: the consent's signer is the adult client
(their name input) or, for a child under 14, the guardian (the guardian's name input)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.forms import slack_errors
from bot.views.intake import YES
from handlers.intake import intake_aliases, intake_blocks, parse_intake
from models.errors import InvalidInput, invalid_input_from

TODAY = date(2026, 3, 2)


def errors_for(form: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_intake(form, "ko", TODAY)
    return slack_errors(
        invalid_input_from(caught.value), "ko", intake_blocks(form, strict=False), intake_aliases(form)
    )


def form(**values) -> dict:
    base = {
        "referral_source": "public_office",
        "client.name": "가나다",
        "presenting_needs": ["ECONOMIC"],
        "confidentiality_notice_given": [YES],
        "consent_scopes": ["COLLECT_USE"],
        "refusal_notice": [YES],
    }
    base.update(values)
    return base


@pytest.mark.parametrize(
    ("name", "says"),
    [("", None), ("900101-1234567", "주민등록번호")],  # empty, and a resident number typed as the name
)
def test_an_adult_clients_name_errors_stay_under_the_name(name, says):
    errors = errors_for(form(**{"client.name": name}))
    assert "client.name" in errors and (says is None or says in errors["client.name"])
    assert "guardians.0.name" not in errors  # the optional guardian field is empty and caused nothing


def test_a_childs_missing_guardian_is_reported_under_the_guardian():
    errors = errors_for(form(**{"client.under14": [YES]}))
    assert "guardians.0.name" in errors
    assert "client.name" not in errors


def test_the_chosen_guardian_signs_and_its_missing_name_is_reported_under_its_row():
    errors = errors_for(
        form(
            **{
                "consent_signer": "guardian.1",
                "guardians.1.relationship_kind": "모",
                "guardians.0.name": "갑",
            }
        )
    )
    assert set(errors) == {"guardians.1.name"}


def test_a_signer_the_modal_never_offered_is_an_error_under_the_signer():
    with pytest.raises(InvalidInput) as caught:
        parse_intake(form(consent_signer="guardian.99"), "ko", TODAY)
    assert set(caught.value.errors) == {"consent_signer"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client.characteristics", ["NOT_A_CHARACTERISTIC"]),
        ("client.benefits", ["NOT_A_BENEFIT"]),
        ("crisis_flags", ["PANIC"]),
        ("client.housing_type", "CASTLE"),
        ("intake_route", "PIGEON"),
        ("client.interpreter_language", "x" * 41),
        ("household.0.age_band", "ANCIENT"),
        ("household.0.relation", "9001011234567"),
        ("guardians.0.legal_standing", "KING"),
        ("guardians.0.contact", "y" * 101),
    ],
)
def test_each_new_inputs_error_lands_under_that_input(field, value):
    values = {field: value}
    if field.startswith("household.0.") and field != "household.0.relation":
        values["household.0.relation"] = "자녀"
    if field.startswith("guardians.0."):
        values["guardians.0.name"] = "보호자갑"
    errors = errors_for(form(**values))
    assert set(errors) == {field}, errors
