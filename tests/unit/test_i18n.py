"""Korean and English catalogs have the same keys and the same placeholders, and every text the code
names (error messages, enum labels, subcommand words) is in them."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.i18n import LOCALES, catalog, locale_from_slack, t
from models import enums
from models.errors import Message, RuleViolation
from models.text import _DIR as CATALOG_DIR

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "casebot", "handlers", "models", "scheduler", "sandbox")


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
    from bot.views.messages import help_blocks, help_commands
    from tests.conftest import registered_listeners

    registered = registered_listeners().subcommands
    assert set(help_commands()) == set(registered)
    shown = "\n".join(b["text"]["text"] for b in help_blocks(locale)[1:])
    assert set(re.findall(r"^`/case (\w+)", shown, re.MULTILINE)) == set(registered)


@pytest.mark.parametrize("locale", LOCALES)
def test_help_gives_each_command_its_korean_words_in_the_readers_language(locale):
    from bot.views.messages import help_blocks

    shown = "\n".join(b["text"]["text"] for b in help_blocks(locale)[1:])
    lines = {
        re.match(r"`/case (\w+)", line).group(1): line
        for line in shown.splitlines()
        if line.startswith("`/case")
    }
    assert (
        "`접수`, `신규`" in lines["new"]
        and "`목록`" in lines["list"]
        and "`사례회의`, `회의`" in lines["conference"]
    )
    assert ("새 사례 접수" if locale == "ko" else "register a new case") in lines["new"]
    assert ("in Korean" in lines["new"]) == (locale == "en")


def test_every_locale_has_the_same_catalog_files():
    files = {locale: {p.name for p in (CATALOG_DIR / locale).glob("*.toml")} for locale in LOCALES}
    assert files["ko"] == files["en"]
    assert {"errors.toml", "enum.toml", "export.toml"} <= files["ko"]


def test_a_key_in_one_language_only_fails(tmp_path, monkeypatch):
    """The parity check above would see a key missing from one language (the loader merges folders)."""
    import models.text as text

    for locale, body in (("ko", 'a = "가"\nb = "나"\n'), ("en", 'a = "A"\n')):
        (tmp_path / locale).mkdir()
        (tmp_path / locale / "x.toml").write_text(body, encoding="utf-8")
    monkeypatch.setattr(text, "_DIR", tmp_path)
    text.catalog.cache_clear()
    try:
        assert set(text.catalog("ko")) - set(text.catalog("en")) == {"b"}
    finally:
        monkeypatch.undo()
        text.catalog.cache_clear()


def labeled_enums() -> list[type[enums.LabeledEnum]]:
    return [
        value
        for value in vars(enums).values()
        if isinstance(value, type) and issubclass(value, enums.LabeledEnum) and value is not enums.LabeledEnum
    ]


@pytest.mark.parametrize("enum", labeled_enums(), ids=lambda e: e.__name__)
def test_every_enum_member_has_a_label_in_every_language(enum):
    for member in enum:
        for locale in LOCALES:
            assert f"enum.{enum.__name__}.{member.value}" in catalog(locale), (member, locale)


def test_enum_labels_come_from_the_catalogs():
    assert enums.Stage.ASSESSMENT.label("ko") == "사정"
    assert enums.Stage.ASSESSMENT.label("en") == "Assessment"
    assert enums.StaffRole.ADMIN.label("fr") == "관리자"  # unknown locales fall back to Korean


def named_texts() -> list[tuple[str, int, str, frozenset[str]]]:
    """(file, line, key, parameter names) of every `Message("key", ...)`, `BilingualValueError("key", ...)`
    and `t("key", ...)` in the code whose key is written out."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("Message", "BilingualValueError", "t")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    params = frozenset(k.arg for k in node.keywords if k.arg and k.arg != "field")
                    found.append((str(path.relative_to(ROOT)), node.lineno, node.args[0].value, params))
    assert len(found) > 300
    return found


def test_every_key_the_code_names_is_in_the_catalogs_with_its_placeholders():
    missing, unfilled = [], []
    for path, line, key, params in named_texts():
        if key not in catalog("ko"):
            missing.append(f"{path}:{line}: {key}")
        elif any(params) and not placeholders(catalog("ko")[key]) <= params:
            unfilled.append(f"{path}:{line}: {key} needs {sorted(placeholders(catalog('ko')[key]))}")
    assert not missing, "\n".join(missing)
    assert not unfilled, "\n".join(unfilled)


def test_a_message_is_rendered_in_the_readers_language():
    message = Message("referrals.errors.referral_go_from", status=enums.ReferralStatus.SENT, to="x")
    assert f"'{enums.ReferralStatus.SENT.label('ko')}'" in message.text("ko")
    assert enums.ReferralStatus.SENT.label("en") in message.text("en")
    roles = Message("access.errors.only_roles", roles=(enums.StaffRole.SUPERVISOR, enums.StaffRole.ADMIN))
    assert roles.text("ko") == "이 작업은 슈퍼바이저, 관리자만 할 수 있습니다."
    assert roles.text("en") == "Only supervisor, administrator can do this."
    refused = RuleViolation("R2", Message("cases.errors.intake_already_recorded"))
    assert refused.text("ko") == "[R2] 초기상담이 이미 기록되었습니다."
    assert refused.text("en") == "[R2] The intake is already recorded."
