"""Korean and English catalogs have the same keys and the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.i18n import LOCALES, catalog, locale_from_slack, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_same_keys_in_every_locale():
    keys = {locale: set(catalog(locale)) for locale in LOCALES}
    assert keys["ko"] == keys["en"]
    assert keys["ko"]  # not two empty catalogs


@pytest.mark.parametrize("key", sorted(catalog("ko")))
def test_same_placeholders(key):
    assert placeholders(catalog("ko")[key]) == placeholders(catalog("en")[key])


def test_lookup_formats_and_falls_back_to_korean_for_unknown_locales():
    assert t("common.need_code", "en", sub="show").startswith("Add the case code")
    assert t("common.need_code", "fr", sub="show") == t("common.need_code", "ko", sub="show")


@pytest.mark.parametrize(
    ("slack", "expected"), [("ko-KR", "ko"), ("en-US", "en"), ("ja-JP", "en"), (None, "ko"), ("", "ko")]
)
def test_locale_from_slack(slack, expected):
    assert locale_from_slack(slack, "ko") == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_help_lists_exactly_the_registered_subcommands(locale):
    import re

    from tests.conftest import registered_listeners

    listed = set(re.findall(r"`/case (\w+)", t("help.commands", locale)))
    assert listed == set(registered_listeners().subcommands)
