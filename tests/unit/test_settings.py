from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from models.enums import CaseIntensity, Profile


def test_defaults(monkeypatch):
    for name in ("DATABASE_URL", "TIMEZONE", "DEFAULT_LOCALE", "PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.timezone == "Asia/Seoul"
    assert settings.default_locale == "ko"
    assert settings.profile == Profile.WELFARE_CENTRE
    assert settings.cadences.intake_to_assessment_days == 10
    assert settings.policy().zone.key == "Asia/Seoul"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("PROFILE", "school")
    monkeypatch.setenv("CADENCES__REFERRAL_RESPONSE_DAYS", "5")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    settings = load_settings(_env_file=None)
    assert settings.profile == Profile.SCHOOL
    assert settings.policy().cadences.referral_response_days == 5
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"  # WebClient needs the trailing slash


def test_secrets_never_appear_in_repr_or_errors(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert "PORT" in message and "xoxb-very-secret-token" not in message
    monkeypatch.setenv("PORT", "3000")
    settings = load_settings(_env_file=None)
    assert "xoxb-very-secret-token" not in repr(settings)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret-token"


def test_nested_setting_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("CADENCES__CONTACT_INTENSIVE_DAYS", "0")
    with pytest.raises(SettingsError, match="CADENCES__CONTACT_INTENSIVE_DAYS"):
        load_settings(_env_file=None)


def test_profile_settings_reach_the_policy(monkeypatch):
    monkeypatch.setenv("CLASSIFICATIONS", '{"public": ["GENERAL", "CRISIS"]}')
    monkeypatch.setenv("PUBLIC_CLOCKS__INTAKE_TO_SURVEY_DAYS", "12")
    monkeypatch.setenv("SCHOOL_CALENDAR__YEAR_START_MONTH", "9")
    policy = load_settings(_env_file=None).policy()
    assert policy.classifications_for(Profile.PUBLIC) == (CaseIntensity.GENERAL, CaseIntensity.CRISIS)
    assert policy.classifications_for(Profile.WELFARE_CENTRE) == (
        CaseIntensity.INTENSIVE,
        CaseIntensity.GENERAL,
        CaseIntensity.SIMPLE_LINKAGE,
    )
    assert policy.cadences_for(Profile.PUBLIC).intake_to_assessment_days == 12
    assert policy.cadences_for(Profile.WELFARE_CENTRE).intake_to_assessment_days == 10
    assert policy.school_calendar.year_start_month == 9


@pytest.mark.parametrize(
    "value", ['{"public": []}', '{"public": ["GENERAL", "GENERAL"]}', '{"public": ["NOPE"]}']
)
def test_a_classification_list_must_name_known_values_once(monkeypatch, value):
    monkeypatch.setenv("CLASSIFICATIONS", value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert "CLASSIFICATIONS" in str(caught.value)
