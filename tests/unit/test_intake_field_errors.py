"""Field errors land only under the field that caused them: the consent's signer is the adult client
(their name input) or, for a child under 14, the guardian (the guardian's name input)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.forms import slack_errors
from bot.views.intake import YES
from handlers.intake import BLOCKS, intake_aliases, parse_intake
from models.errors import invalid_input_from

TODAY = date(2026, 3, 2)


def errors_for(form: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_intake(form, "ko", TODAY)
    return slack_errors(invalid_input_from(caught.value), "ko", BLOCKS, intake_aliases(form))


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
    assert "guardian.name" not in errors  # the optional guardian field is empty and caused nothing


def test_a_childs_missing_guardian_is_reported_under_the_guardian():
    errors = errors_for(form(**{"client.under14": [YES]}))
    assert "guardian.name" in errors
    assert "client.name" not in errors
