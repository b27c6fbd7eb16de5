"""Hold (보류), resume (재개) and transfer (이관) dialogues: the case code, dates and people only."""

from __future__ import annotations

from datetime import date, timedelta

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import (
    YES,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    section,
    text_input,
    users_input,
)

HOLD_BLOCKS = ["reason", "until"]
RESUME_BLOCKS = ["confirm"]
TRANSFER_BLOCKS = ["new_manager_id", "keep_previous"]


def hold_modal(locale: str, code: str, today: date) -> dict:
    k = "holds.hold."
    return modal(
        View.HOLD,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale)),
            text_input("reason", t(k + "reason", locale), multiline=True, max_length=1000),
            date_input("until", t(k + "until", locale), initial=today + timedelta(days=30)),
        ],
        submit=t(k + "submit", locale),
        close=t("holds.close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def resume_modal(locale: str, code: str, until: date | None) -> dict:
    k = "holds.resume."
    intro = t(k + "intro_until", locale, until=until.isoformat()) if until else t(k + "intro", locale)
    return modal(
        View.RESUME,
        t(k + "title", locale),
        [
            header(code),
            section(intro),
            checkboxes(
                "confirm", t(k + "confirm", locale), [(t(k + "confirm_option", locale), YES)], optional=False
            ),
        ],
        submit=t(k + "submit", locale),
        close=t("holds.close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def transfer_modal(locale: str, code: str, manager: str, chosen: str | None = None) -> dict:
    k = "holds.transfer."
    return modal(
        View.TRANSFER,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale, manager=f"<@{manager}>")),
            users_input("new_manager_id", t(k + "to", locale), initial=chosen),
            checkboxes("keep_previous", t(k + "keep", locale), [(t(k + "keep_option", locale), YES)]),
            context(t(k + "note", locale)),
        ],
        submit=t(k + "submit", locale),
        close=t("holds.close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def done_modal(locale: str, key: str, **params: str) -> dict:
    return modal(
        View.DONE,
        t("holds.done.title", locale),
        [section(t(key, locale, **params))],
        close=t("holds.close", locale),
    )
