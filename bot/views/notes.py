"""The contact-note modal (과정기록 / 점검): pure functions of the locale and what the caller passes in.

Block ids are the core's field names (`contact_at`, `summary` …), so the core's field errors land on
the input they are about; the contact time is a date block plus a time block (`contact_at`), read in
the user's time zone.
"""

from __future__ import annotations

from datetime import date

from bot.i18n import t
from bot.ids import View
from bot.metadata import MessageRef, NoteMeta
from bot.views.blocks import (
    YES,
    Block,
    checkboxes,
    context,
    cut,
    date_input,
    header,
    modal,
    number_input,
    section,
    select,
    text_input,
    time_input,
)
from models.enums import (
    ContactKind,
    ContactOutcome,
    ContactType,
    GoalProgress,
    MonitoringResult,
    ReferralStatus,
)
from models.services.notes import Monitoring

SCALE = ("1", "2", "3", "4", "5")
# The inputs of the note modal, in order; the first one present takes errors about the whole form.
NOTE_BLOCKS = [
    "case_code",
    "contact_on",
    "contact_at",
    "contact_type",
    "kind",
    "participants",
    "outcome",
    "result",
    "plan_adherence",
    "satisfaction",
    "duration_minutes",
    "risk_changed",
    "summary",
    "next_action",
    "next_contact_on",
]


def note_modal(
    locale: str,
    *,
    today: date,
    timezone: str,
    code: str | None = None,
    case_codes: list[str] | None = None,
    summary: str | None = None,
    source: MessageRef | None = None,
    monitoring: Monitoring | None = None,
) -> dict:
    """For one case (`code`), or with a case select over `case_codes` (the message shortcut).

    `source` is where a shortcut's message lives: the submission stores the
    message's permalink, never its text.
    """
    k = "note.modal."

    def label(key: str) -> str:
        return t(k + key, locale)

    blocks: list[Block] = []
    if code is not None:
        blocks.append(header(code))
    else:
        blocks.append(
            select("case_code", label("case"), [(c, c) for c in case_codes or []], hint=label("case_hint"))
        )
    blocks += [
        date_input("contact_on", label("contact_on"), initial=today),
        time_input(
            "contact_at",
            label("contact_at"),
            timezone=timezone,
            hint=t(k + "contact_at_hint", locale, zone=timezone),
        ),
        select("contact_type", label("contact_type"), [(c.label(locale), c.value) for c in ContactType]),
        select(
            "kind",
            label("kind"),
            [(c.label(locale), c.value) for c in ContactKind],
            initial=ContactKind.REGULAR.value,
        ),
        text_input("participants", label("participants"), optional=True, max_length=300),
        select(
            "outcome",
            label("outcome"),
            [(c.label(locale), c.value) for c in ContactOutcome],
            initial=ContactOutcome.DONE.value,
        ),
        select(
            "result", label("result"), [(c.label(locale), c.value) for c in MonitoringResult], optional=True
        ),
        *monitoring_blocks(locale, monitoring),
        select(
            "plan_adherence",
            label("plan_adherence"),
            [(t(f"note.scale.{n}", locale), n) for n in SCALE],
            optional=True,
        ),
        select(
            "satisfaction",
            label("satisfaction"),
            [(t(f"note.scale.{n}", locale), n) for n in SCALE],
            optional=True,
        ),
        number_input("duration_minutes", label("duration_minutes"), minimum=1, maximum=1440, optional=True),
        checkboxes("risk_changed", label("risk_changed"), [(label("risk_changed_option"), YES)]),
        text_input(
            "summary",
            label("summary"),
            optional=True,
            multiline=True,
            initial=summary,
            max_length=3000,
            hint=label("summary_hint"),
        ),
        text_input("next_action", label("next_action"), optional=True, multiline=True, max_length=1000),
        date_input("next_contact_on", label("next_contact_on"), optional=True),
    ]
    return modal(
        View.NOTE,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=NoteMeta(code=code, source=source).dump() if code or source else "",
    )


def monitoring_blocks(locale: str, monitoring: Monitoring | None) -> list[Block]:
    """점검표: each goal's progress (`goal.<id>`) and each service's state (`referral.<id>`), optional."""
    if monitoring is None or not (monitoring.goals or monitoring.services):
        return []
    k = "note.monitoring."
    blocks: list[Block] = [section(t(k + "intro", locale))]
    for goal in monitoring.goals:
        blocks.append(
            select(
                f"goal.{goal.id}",
                t(k + "goal", locale, number=goal.number, description=cut(goal.description, 1500)),
                [(p.label(locale), p.value) for p in GoalProgress],
                optional=True,
            )
        )
    for service in monitoring.services:
        blocks.append(
            select(
                f"referral.{service.id}",
                t(k + "service", locale, resource=cut(service.resource, 200)),
                [(s.label(locale), s.value) for s in ReferralStatus if s != ReferralStatus.DRAFT],
                optional=True,
                initial=service.status.value,
            )
        )
    return blocks


def note_blocks_of(meta: NoteMeta) -> list[str]:
    """The input block ids of a note view: a view for one case has no case select."""
    return NOTE_BLOCKS[1:] if meta.code else NOTE_BLOCKS


def note_done_modal(locale: str, code: str, next_contact_on: str | None = None) -> dict:
    blocks: list[Block] = [header(code), section(t("note.done.text", locale, code=code))]
    if next_contact_on:
        blocks.append(context(t("note.done.next_contact", locale, date=next_contact_on)))
    return modal(View.DONE, t("note.done.title", locale), blocks)
