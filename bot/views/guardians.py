"""`/case guardian CODE` (보호자): mark the guardians who are the alleged abuser (R12).

A modal for the case's circle (the caller loads the case through `access`): one box per guardian.
Names are shown here only, never in a message.
"""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import checkboxes, header, modal, section
from models.services.guardians import CaseGuardians

GUARDIAN_BLOCKS = ["guardian"]


def guardians_modal(locale: str, guardians: CaseGuardians) -> dict:
    k = "guardians.modal."
    blocks = [header(guardians.code), section(t(k + "intro", locale))]
    if not guardians.lines:
        blocks.append(section(t(k + "none", locale)))
        return modal(View.DONE, t(k + "title", locale), blocks, close=t(k + "close", locale))
    choices = [
        (
            t(k + "option", locale, relationship=g.relationship, name=g.name or t(k + "unnamed", locale))
            + (t(k + "legal", locale) if g.legal_representative else ""),
            str(g.id),
        )
        for g in guardians.lines
    ]
    blocks.append(
        checkboxes(
            "guardian",
            t(k + "alleged", locale),
            choices,
            initial=[str(g.id) for g in guardians.lines if g.alleged_abuser],
            optional=True,
        )
    )
    return modal(
        View.GUARDIANS,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=guardians.code).dump(),
    )


def guardians_saved_modal(locale: str, code: str) -> dict:
    return modal(
        View.DONE,
        t("guardians.modal.title", locale),
        [section(t("guardians.modal.saved", locale, code=code))],
        close=t("guardians.modal.close", locale),
    )
