"""Views that differ by a team's profile: the Wee ladder's suggestion (school teams) and the after-care
hand-over to the 읍면동 (public teams)."""

from __future__ import annotations

from datetime import date

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import context, date_input, header, modal, section, text_input
from models.enums import WeeLevel

HANDOVER_BLOCKS = ["handed_to", "handed_over_on", "note"]


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


def handover_modal(locale: str, code: str, today: date) -> dict:
    """사후관리 인계: to whom (an office or team), the day and a note; the case code only (R1)."""
    k = "profiles.handover."
    return modal(
        View.HANDOVER,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale, code=code)),
            text_input("handed_to", t(k + "handed_to", locale), max_length=200),
            date_input("handed_over_on", t(k + "handed_over_on", locale), initial=today),
            text_input("note", t(k + "note", locale), multiline=True, optional=True, max_length=2000),
        ],
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def handover_done_modal(locale: str, code: str, handed_to: str, on: date) -> dict:
    k = "profiles.handover."
    return modal(
        View.DONE,
        t(k + "done_title", locale),
        [
            header(code),
            section(t(k + "done_text", locale, code=code, to=handed_to, on=on.isoformat())),
            context(f"`/case show {code}`"),
        ],
    )
