"""사정·재사정 (a multi-step modal) and 대상자 구분: pure functions of the locale, profile and saved draft.

Steps: the profile's need domains in pages of about five, then one final step (crisis screen,
strengths, informal supports, the client's goals). Block ids are the core's field names
(`rating.SAFETY.severity`, `strengths_personal` …), so a field error lands on its input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import AssessmentStep, CaseRef
from bot.views.blocks import (
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    date_input,
    divider,
    header,
    modal,
    number_input,
    section,
    select,
    text_input,
)
from models.enums import (
    AssessmentKind,
    CaseIntensity,
    NeedDomain,
    NextStep,
    Profile,
    Severity,
    StatutoryBasis,
    domains_for,
)
from models.schemas import AssessmentInput, RatingInput

DOMAINS_PER_PAGE = 5
GOTO = "goto_step"
CRISIS_SCREEN = "crisis_screen"
SCREEN_FIELDS = (
    "screen_self_harm",
    "screen_abuse",
    "screen_loss_of_income_or_housing",
    "screen_loss_of_carer",
)
STRENGTH_FIELDS = ("strengths_personal", "strengths_family", "strengths_social", "strengths_community")
TEXT_FIELDS = (*STRENGTH_FIELDS, "informal_supports", "client_goals")
# R4: how health data in the assessment may be processed without a SENSITIVE consent (PIPA §23①2).
BASIS_FIELDS = ("sensitive_basis", "sensitive_basis_note")
SECTION_23_BASES = (StatutoryBasis.STATUTE, StatutoryBasis.MANDATORY_ABUSE_REPORT)
RATING_FIELDS = ("severity", "client_priority", "urgent", "narrative")
CLASSIFY_BLOCKS = ["intensity", "conference_on"]


def domain_pages(profile: Profile) -> list[tuple[NeedDomain, ...]]:
    """The profile's domains in evenly filled pages of at most DOMAINS_PER_PAGE (10 → 5+5, 18 → 5+5+4+4)."""
    domains = domains_for(profile)
    count = math.ceil(len(domains) / DOMAINS_PER_PAGE)
    size, extra = divmod(len(domains), count)
    pages, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pages.append(domains[start:end])
        start = end
    return pages


def step_count(profile: Profile) -> int:
    return len(domain_pages(profile)) + 1


def rating_block(domain: NeedDomain, field: str) -> str:
    return f"rating.{domain.value}.{field}"


def step_block_ids(profile: Profile, step: int) -> list[str]:
    """The input block ids of a step, in the order they appear (the first one takes general errors)."""
    pages = domain_pages(profile)
    if step < len(pages):
        ids = [rating_block(d, f) for d in pages[step] for f in RATING_FIELDS]
    else:
        ids = [CRISIS_SCREEN, *TEXT_FIELDS, *BASIS_FIELDS]
    return [*ids, GOTO]


def _part(locale: str, profile: Profile, step: int) -> str:
    pages = domain_pages(profile)
    if step < len(pages):
        names = "·".join(d.label(locale) for d in pages[step])
        return t("assessment.modal.part_domains", locale, domains=names)
    return t("assessment.modal.part_final", locale)


def _severity_choices(locale: str) -> list[tuple[str, str]]:
    return [(f"{s.value} {s.label(locale)}", s.value) for s in Severity]


def _domain_blocks(locale: str, number: int, domain: NeedDomain, saved: RatingInput | None) -> list[Block]:
    k = "assessment.modal."
    name = domain.label(locale)
    return [
        section(t(k + "domain", locale, number=number, domain=name)),
        select(
            rating_block(domain, "severity"),
            t(k + "severity", locale, domain=name),
            _severity_choices(locale),
            optional=True,
            initial=str(saved.severity) if saved else None,
        ),
        number_input(
            rating_block(domain, "client_priority"),
            t(k + "client_priority", locale),
            minimum=1,
            maximum=20,
            optional=True,
            initial=saved.client_priority if saved else None,
            hint=t(k + "client_priority_hint", locale),
        ),
        checkboxes(
            rating_block(domain, "urgent"),
            t(k + "urgent", locale),
            [(t(k + "urgent_option", locale), YES)],
            initial=[YES] if saved and saved.urgent else [],
        ),
        text_input(
            rating_block(domain, "narrative"),
            t(k + "narrative", locale),
            optional=True,
            multiline=True,
            initial=saved.narrative if saved else None,
        ),
    ]


def _final_blocks(locale: str, saved: AssessmentInput) -> list[Block]:
    k = "assessment.modal."
    blocks = [
        checkboxes(
            CRISIS_SCREEN,
            t(k + "crisis_screen", locale),
            [(t(k + f, locale), f) for f in SCREEN_FIELDS],
            initial=[f for f in SCREEN_FIELDS if getattr(saved, f)],
            hint=t(k + "crisis_screen_hint", locale),
        )
    ]
    for field in TEXT_FIELDS:
        blocks.append(
            text_input(
                field,
                t(k + field, locale),
                optional=True,
                multiline=True,
                initial=getattr(saved, field),
                hint=t(k + "strengths_hint", locale) if field == "strengths_personal" else None,
            )
        )
    basis = saved.sensitive_basis
    blocks += [
        select(
            "sensitive_basis",
            t(k + "sensitive_basis", locale),
            [(b.label(locale), b.value) for b in SECTION_23_BASES],
            optional=True,
            initial=basis.value if basis in SECTION_23_BASES else None,
            hint=t(k + "sensitive_basis_hint", locale),
        ),
        text_input(
            "sensitive_basis_note",
            t(k + "sensitive_basis_note", locale),
            optional=True,
            max_length=1000,
            initial=saved.sensitive_basis_note,
        ),
    ]
    return blocks


def assessment_modal(
    locale: str,
    profile: Profile,
    *,
    assessment_id: int,
    code: str,
    kind: AssessmentKind,
    step: int,
    saved: AssessmentInput | None = None,
) -> dict:
    """One step of the assessment; `saved` (the server-side draft) gives the initial values."""
    k = "assessment.modal."
    saved = saved or AssessmentInput()
    pages = domain_pages(profile)
    steps = len(pages) + 1
    step = min(max(step, 0), steps - 1)
    final = step == steps - 1
    part = _part(locale, profile, step)
    blocks: list[Block] = [
        section(
            t(
                k + "intro",
                locale,
                code=code,
                kind=kind.label(locale),
                step=step + 1,
                steps=steps,
                part=part,
            )
        )
    ]
    if final:
        blocks += _final_blocks(locale, saved)
    else:
        blocks.append(context(t(k + "scale", locale)))
        by_domain = {r.domain: r for r in saved.ratings}
        first_number = sum(len(p) for p in pages[:step]) + 1
        for offset, domain in enumerate(pages[step]):
            blocks.append(divider())
            blocks += _domain_blocks(locale, first_number + offset, domain, by_domain.get(domain))
    blocks.append(divider())
    blocks.append(
        select(
            GOTO,
            t(k + "goto", locale),
            [
                (t(k + "goto_option", locale, step=other + 1, part=_part(locale, profile, other)), str(other))
                for other in range(steps)
                if other != step
            ],
            optional=True,
            hint=t(k + ("goto_final_hint" if final else "goto_hint"), locale),
        )
    )
    return modal(
        View.ASSESS,
        t(k + "title", locale, kind=kind.label(locale), step=step + 1, steps=steps),
        blocks,
        submit=t(k + ("submit_finish" if final else "submit_next"), locale),
        close=t(k + "close", locale),
        private_metadata=AssessmentStep(assessment_id=assessment_id, step=step, code=code).dump(),
    )


def assessment_done_modal(
    locale: str, code: str, kind: AssessmentKind, next_step: NextStep, *, crisis: bool, notified: int
) -> dict:
    blocks = [
        header(code),
        section(
            t(
                "assessment.done.text",
                locale,
                code=code,
                kind=kind.label(locale),
                next_step=next_step.label(locale),
            )
        ),
    ]
    if crisis:
        key = "assessment.done.crisis" if notified else "assessment.done.crisis_nobody"
        blocks.append(section(t(key, locale, count=notified)))
    blocks.append(context(t("assessment.done.next", locale, code=code)))
    return modal(View.DONE, t("assessment.done.title", locale), blocks)


def crisis_message(locale: str, code: str) -> tuple[str, list[Block]]:
    """The supervisor's DM: the case code, "crisis" and a button. Nothing about the client (R1)."""
    value = CaseRef(code=code).dump()
    blocks = [
        section(t("assessment.crisis.text", locale, code=code)),
        actions(button(t("assessment.crisis.classify", locale), Action.OPEN_CLASSIFY, value, style="danger")),
        context(t("assessment.crisis.show", locale, code=code)),
    ]
    return t("assessment.crisis.fallback", locale, code=code), blocks


def classify_modal(
    locale: str,
    code: str,
    options: Sequence[CaseIntensity],
    *,
    current: CaseIntensity | None = None,
    conference_on: date | None = None,
) -> dict:
    """`options`: the classifications of the case's team's profile (models/profiles.py), in order."""
    k = "assessment.classify."
    blocks = [
        section(t(k + "intro", locale, code=code)),
        select(
            "intensity",
            t(k + "intensity", locale),
            [(i.label(locale), i.value) for i in options],
            initial=current.value if current in options else None,
        ),
        date_input("conference_on", t(k + "conference_on", locale), optional=True, initial=conference_on),
    ]
    return modal(
        View.CLASSIFY,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def classify_done_modal(locale: str, code: str, intensity: CaseIntensity, next_step: NextStep) -> dict:
    k = "assessment.classify."
    return modal(
        View.DONE,
        t(k + "done_title", locale),
        [
            header(code),
            section(
                t(
                    k + "done_text",
                    locale,
                    code=code,
                    intensity=intensity.label(locale),
                    next_step=next_step.label(locale),
                )
            ),
            context(f"`/case show {code}`"),
        ],
    )
