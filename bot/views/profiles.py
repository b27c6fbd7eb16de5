"""Texts that differ by a team's profile and belong to no one dialogue: the Wee ladder's suggestion."""

from __future__ import annotations

from bot.i18n import t
from bot.views.blocks import section
from models.enums import WeeLevel


def wee_step_up_message(
    locale: str, code: str, level: WeeLevel, step: WeeLevel, resources: list[str]
) -> tuple[str, list[dict]]:
    """The case manager's private note after a Wee referral ends: go one step up if the need was not
    met (case code and resource names only, R1)."""
    where = ", ".join(resources) if resources else t("profiles.wee.no_resource", locale)
    text = t(
        "profiles.wee.step_up",
        locale,
        code=code,
        level=level.label(locale),
        next=step.label(locale),
        resources=where,
    )
    return text, [section(text)]
