"""The "who sees this case" dialogue (열람 범위): co-workers, and restriction to named people."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import YES, checkboxes, context, header, modal, section, users_input

ACCESS_BLOCKS = ["coworkers", "restricted", "named"]


def access_modal(
    locale: str, code: str, *, coworkers: list[str], restricted: bool, named: list[str], manager: str
) -> dict:
    """Slack user ids in, Slack user ids out: the handler maps them to staff members."""
    k = "access.modal."
    return modal(
        View.ACCESS,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale, manager=f"<@{manager}>")),
            users_input(
                "coworkers", t(k + "coworkers", locale), multi=True, initial=coworkers, optional=True
            ),
            checkboxes(
                "restricted",
                t(k + "restricted", locale),
                [(t(k + "restricted_option", locale), YES)],
                initial=[YES] if restricted else [],
                optional=True,
            ),
            users_input(
                "named",
                t(k + "named", locale),
                multi=True,
                initial=named,
                optional=True,
                hint=t(k + "named_hint", locale),
            ),
            context(t(k + "audit_note", locale)),
        ],
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def access_saved_modal(locale: str, code: str, restricted: bool) -> dict:
    key = "access.saved.restricted" if restricted else "access.saved.team"
    return modal(
        View.DONE,
        t("access.modal.title", locale),
        [section(t(key, locale, code=code))],
        close=t("access.modal.close", locale),
    )
