"""The agencies modal (View.AGENCIES, 참여 기관): the case's lead agency (주사례관리기관) and partner
agencies with their roles, each a directory resource or an organisation typed by name. Opened by
`/case agencies CODE` and the button of `/case show`; private to the person who opened it."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import Block, context, divider, header, modal, section, select, text_input
from models.services.agencies import AgenciesView, AgencyLine

K = "agencies."
PARTNER_ROWS = 4
FIELDS = ("resource_id", "organisation", "role")
ROWS = ["lead", *(f"partners.{row}" for row in range(PARTNER_ROWS))]
AGENCY_BLOCKS = [f"{row}.{name}" for row in ROWS for name in FIELDS]


def agency_lines(
    lead: AgencyLine | None, partners: tuple[AgencyLine, ...] | list[AgencyLine], locale: str
) -> list[str]:
    """The lead first, then the partners: names and roles (modals only)."""

    def role(line: AgencyLine) -> str:
        return t(K + "line_role", locale, role=line.role) if line.role else ""

    found = [t(K + "lead_line", locale, name=lead.name, role=role(lead))] if lead else []
    return found + [t(K + "line", locale, name=p.name, role=role(p)) for p in partners]


def _row(
    row: str, title: str, shown: AgencyLine | None, resources: tuple[tuple[int, str], ...], locale: str
) -> list[Block]:
    blocks: list[Block] = [section(f"*{title}*")]
    if resources:
        chosen = str(shown.resource_id) if shown and shown.resource_id is not None else None
        choices = [(name, str(resource_id)) for resource_id, name in resources]
        blocks.append(
            select(f"{row}.resource_id", t(K + "resource", locale), choices, optional=True, initial=chosen)
        )
    blocks += [
        text_input(
            f"{row}.organisation",
            t(K + "organisation", locale),
            optional=True,
            max_length=200,
            initial=shown.organisation if shown else None,
        ),
        text_input(
            f"{row}.role",
            t(K + "role", locale),
            optional=True,
            max_length=200,
            initial=shown.role if shown else None,
            hint=t(K + "role_hint", locale),
        ),
    ]
    return blocks


def agencies_modal(shown: AgenciesView, locale: str) -> dict:
    blocks: list[Block] = [header(shown.case_code), context(t(K + "private", locale))]
    if not shown.may_change:
        listed = agency_lines(shown.lead, shown.partners, locale)
        blocks += [section("\n".join(listed) or t(K + "none", locale)), context(t(K + "read_only", locale))]
        return modal(View.AGENCIES, t(K + "title", locale), blocks, close=t(K + "close", locale))
    blocks += _row("lead", t(K + "lead_header", locale), shown.lead, shown.resources, locale)
    for row in range(PARTNER_ROWS):
        current = shown.partners[row] if row < len(shown.partners) else None
        blocks.append(divider())
        title = t(K + "partner_header", locale, number=row + 1)
        blocks += _row(f"partners.{row}", title, current, shown.resources, locale)
    return modal(
        View.AGENCIES,
        t(K + "title", locale),
        blocks,
        submit=t(K + "submit", locale),
        close=t(K + "close", locale),
        private_metadata=CaseRef(code=shown.case_code).dump(),
    )


def saved_modal(locale: str, code: str, lead: bool, count: int) -> dict:
    said = t(K + ("has_lead" if lead else "no_lead"), locale)
    text = t(K + "saved", locale, code=code, lead=said, count=count)
    return modal(View.DONE, t(K + "saved_title", locale), [section(text)], close=t(K + "close", locale))
