"""The household modal (View.HOUSEHOLD, 가구), opened by `/case household CODE`.

A modal is private to the person who opened it: members' names (where given) appear here and never in
a message. The household's other cases are listed only as the core returned them: the codes of those
the viewer may see.
"""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import (
    YES,
    Block,
    checkboxes,
    context,
    divider,
    header,
    modal,
    section,
    select,
    text_input,
)
from models.enums import HouseholdRelation, LifeStage, NeedDomain, Severity
from models.services.households import HouseholdView

K = "households."
LINK, CREATE, UNLINK = "link_code", "create", "unlink"
PERSON_RELATION, PERSON_AGE, PERSON_NAME, REMOVE_PEOPLE = (
    "person_relation",
    "person_age",
    "person_name",
    "remove_people",
)
NEED = "need_"  # + the domain's code
MAX_INTAKE_CASES = 8  # the cases whose intake members the modal lists
HOUSEHOLD_BLOCKS = [LINK, CREATE, PERSON_RELATION, PERSON_AGE, PERSON_NAME, REMOVE_PEOPLE, UNLINK]
# The core's field names under the modal's blocks.
ALIASES = {
    "person.relation": PERSON_RELATION,
    "person.age_band": PERSON_AGE,
    "person.name": PERSON_NAME,
    "remove_person_ids": REMOVE_PEOPLE,
}


def need_block(domain: NeedDomain) -> str:
    return NEED + domain.value


def _intake_blocks(shown: HouseholdView, locale: str) -> list[Block]:
    """The members recorded at the intake of this case and of the household's other cases the viewer
    may see, shown from there (they are changed in the intake, not here): a section per case, at most
    MAX_INTAKE_CASES of them (a modal holds 100 blocks)."""
    if not shown.intake:
        return []
    blocks: list[Block] = [section(t(K + "intake", locale))]
    for entry in shown.intake[:MAX_INTAKE_CASES]:
        people = [
            t(
                K + "person",
                locale,
                relation=p.relation,
                age=p.age_band.label(locale) if p.age_band else t(K + "no_age", locale),
                name=t(K + "person_name", locale, name=p.name) if p.name else "",
            )
            for p in entry.people
        ]
        blocks.append(section(t(K + "intake_case", locale, code=entry.code, lines="\n".join(people))))
    if len(shown.intake) > MAX_INTAKE_CASES:
        more = len(shown.intake) - MAX_INTAKE_CASES
        blocks.append(context(t(K + "intake_more", locale, count=more)))
    blocks.append(context(t(K + "intake_note", locale)))
    return blocks


def _facts(shown: HouseholdView, locale: str) -> list[Block]:
    if shown.code is None:
        return [section(t(K + "none", locale)), *_intake_blocks(shown, locale)]
    others = ", ".join(shown.others) or t(K + "no_others", locale)
    people = [
        t(
            K + "person",
            locale,
            relation=p.relation.label(locale),
            age=p.age_band.label(locale) if p.age_band else t(K + "no_age", locale),
            name=t(K + "person_name", locale, name=p.name) if p.name else "",
        )
        for p in shown.people
    ]
    needs = [
        t(
            K + "need",
            locale,
            domain=domain.label(locale),
            severity=f"{severity.value} {severity.label(locale)}",
        )
        for domain, severity in shown.needs.items()
    ]
    blocks = [
        section(t(K + "code", locale, code=shown.code)),
        section(t(K + "others", locale, codes=others)),
        section(t(K + "people", locale, lines="\n".join(people) or t(K + "no_others", locale))),
        *_intake_blocks(shown, locale),
        section(t(K + "needs", locale, lines="\n".join(needs) or t(K + "not_rated", locale))),
    ]
    return blocks


def _inputs(shown: HouseholdView, locale: str) -> list[Block]:
    blocks: list[Block] = [
        text_input(
            LINK, t(K + "link_code", locale), optional=True, max_length=32, hint=t(K + "link_hint", locale)
        )
    ]
    if shown.code is None:
        blocks.append(checkboxes(CREATE, t(K + "create", locale), [(t(K + "create_option", locale), YES)]))
    relations = [(r.label(locale), r.value) for r in HouseholdRelation]
    ages = [(a.label(locale), a.value) for a in LifeStage]
    blocks += [
        select(PERSON_RELATION, t(K + "person_relation", locale), relations, optional=True),
        select(PERSON_AGE, t(K + "person_age", locale), ages, optional=True),
        text_input(
            PERSON_NAME,
            t(K + "person_name_label", locale),
            optional=True,
            max_length=100,
            hint=t(K + "person_name_hint", locale),
        ),
    ]
    if shown.people:
        choices = [
            (
                f"{p.relation.label(locale)} · {p.age_band.label(locale) if p.age_band else '-'}",
                str(p.id),
            )
            for p in shown.people
        ]
        blocks.append(checkboxes(REMOVE_PEOPLE, t(K + "remove_people", locale), choices))
    scale = [(f"{s.value} {s.label(locale)}", s.value) for s in Severity]
    for domain in shown.domains:
        current = shown.needs.get(domain)
        blocks.append(
            select(
                need_block(domain),
                t(K + "need_label", locale, domain=domain.label(locale)),
                scale,
                optional=True,
                initial=current.value if current else None,
            )
        )
    if shown.code is not None:
        blocks.append(checkboxes(UNLINK, t(K + "unlink", locale), [(t(K + "unlink_option", locale), YES)]))
    return blocks


def household_modal(shown: HouseholdView, locale: str) -> dict:
    blocks: list[Block] = [header(shown.case_code), context(t(K + "private", locale)), *_facts(shown, locale)]
    if not shown.may_change:
        blocks.append(context(t(K + "lead_only", locale)))
        return modal(View.HOUSEHOLD, t(K + "title", locale), blocks, close=t(K + "close", locale))
    blocks += [divider(), *_inputs(shown, locale)]
    return modal(
        View.HOUSEHOLD,
        t(K + "title", locale),
        blocks,
        submit=t(K + "submit", locale),
        close=t(K + "close", locale),
        private_metadata=CaseRef(code=shown.case_code).dump(),
    )


def saved_modal(locale: str, case_code: str, household: str | None, others: list[str]) -> dict:
    if household is None:
        lines = [section(t(K + "unlinked", locale, code=case_code))]
    else:
        lines = [section(t(K + "saved", locale, code=household))]
        if others:
            lines.append(context(t(K + "saved_others", locale, codes=", ".join(others))))
    return modal(View.DONE, t(K + "saved_title", locale), lines, close=t(K + "close", locale))
