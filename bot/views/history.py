"""The history modal (View.HISTORY, 과정기록): the case's record read back, a section and a page at a time.

`/case history CODE` opens it on the contact notes; its buttons move between sections and pages
(views.update). A modal is private to the person who opened it: none of this ever goes into a message.
Every text is cut to Slack's limits and a page never holds more than `MAX_BLOCKS` blocks.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseInChannel, HistoryPage, PrintRequest, conversation_id
from bot.views import blocks as b
from bot.views.agencies import agency_lines
from bot.views.blocks import cut
from models.enums import LabeledEnum
from models.services.case_file import (
    AssessmentEntry,
    CaseFilePage,
    ClosureEntry,
    ConferenceEntry,
    IntakeEntry,
    NoteEntry,
    PlanEntry,
    ReferralEntry,
    ReplyEntry,
    Section,
)
from models.services.deliveries import DeliveryLine
from models.services.forms import Form

PRINT_PATH = "/print/"  # the route of Casebot's HTTP server that serves a print link (casebot/server.py)
MAX_BLOCKS = 95  # Slack takes 100 blocks in a modal; the rest is said to be cut
TEXT = 2800  # one block's text, under Slack's 3000 characters with the markup around it


def history_modal(page: CaseFilePage, locale: str, zone: ZoneInfo, *, channel: str | None = None) -> dict:
    """The modal showing `page`, with the print buttons under it; `channel`: where `/case history` was
    typed (the print link is answered there, visible to the person only)."""
    about = []  # the household and the agencies, above the sections
    if page.household is not None:  # the codes of the household's other cases this viewer may see
        codes = ", ".join(page.household.others) or t("show.modal.none", locale)
        about = [b.context(t("history.household", locale, code=page.household.code, codes=codes))]
    if page.agencies:  # the lead agency and partners with their roles (a modal: names may show)
        lead = next((a for a in page.agencies if a.lead), None)
        partners = [a for a in page.agencies if not a.lead]
        listed = "\n".join(agency_lines(lead, partners, locale))
        about.append(b.context(cut(t("history.agencies", locale, lines=listed), 1900)))
    head = [
        b.context(t("history.private", locale)),
        *about,
        _sections(page, locale),
        b.header(
            t(
                "history.heading",
                locale,
                section=t(f"history.section.{page.section.value}", locale),
                page=page.page + 1,
                pages=page.pages,
            )
        ),
    ]
    body = _body(page, locale, zone) or [b.section(t("history.empty", locale))]
    tail = [*_pager(page, locale), *_print(page.code, locale)]
    room = MAX_BLOCKS - len(head) - len(tail)
    if len(body) > room:
        body = [*body[: room - 1], b.context(t("history.cut", locale))]
    return b.modal(
        View.HISTORY,
        t("history.title", locale, code=page.code),
        [*head, *body, *tail],
        close=t("history.close", locale),
        private_metadata=CaseInChannel(code=page.code, channel=conversation_id(channel)).dump(),
    )


def _sections(page: CaseFilePage, locale: str) -> dict:
    return b.actions(
        *(
            b.button(
                t(f"history.section.{section.value}", locale),
                f"{Action.HISTORY_PAGE}.{section.value}",
                HistoryPage(code=page.code, section=section).dump(),
                style="primary" if section == page.section else None,
            )
            for section in Section
        ),
        block_id="history.sections",
    )


def _pager(page: CaseFilePage, locale: str) -> list[dict]:
    if page.pages <= 1:
        return []
    buttons = []
    if page.page > 0:
        value = HistoryPage(code=page.code, section=page.section, page=page.page - 1).dump()
        buttons.append(b.button(t("history.newer", locale), f"{Action.HISTORY_PAGE}.newer", value))
    if page.page + 1 < page.pages:
        value = HistoryPage(code=page.code, section=page.section, page=page.page + 1).dump()
        buttons.append(b.button(t("history.older", locale), f"{Action.HISTORY_PAGE}.older", value))
    return [b.actions(*buttons, block_id="history.pages")]


def _print(code: str, locale: str) -> list[dict]:
    return [
        b.context(t("history.print", locale)),
        b.actions(
            *(
                b.button(
                    t(f"forms.short.{form.value}", locale),
                    f"{Action.PRINT_FORM}.{form.value}",
                    PrintRequest(code=code, form=form).dump(),
                )
                for form in Form
            ),
            block_id="history.print",
        ),
    ]


# ------------------------------------------------------------------ values


def _v(value: object, locale: str, zone: ZoneInfo) -> str:
    """A value as the reader reads it: labels for codes, local dates, a dash for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, LabeledEnum):
        return value.label(locale)
    if isinstance(value, bool):
        return t("history.yes" if value else "history.no", locale)
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text(text: str) -> dict:
    return b.section(b.cut(text, TEXT))


def _body(page: CaseFilePage, locale: str, zone: ZoneInfo) -> list[dict]:
    out: list[dict] = []
    for entry in page.entries:
        if isinstance(entry, NoteEntry):
            out.append(_note(entry, locale, zone))
        elif isinstance(entry, AssessmentEntry):
            out += _assessment(entry, locale, zone)
        elif isinstance(entry, PlanEntry):
            out += _plan(entry, locale, zone)
        elif isinstance(entry, ReferralEntry):
            out.append(_referral(entry, locale, zone))
        elif isinstance(entry, ReplyEntry):
            out.append(_reply(entry, locale, zone))
        elif isinstance(entry, ConferenceEntry):
            out.append(_conference(entry, locale, zone))
        elif isinstance(entry, ClosureEntry):
            out += closure_blocks(entry, locale, zone)
        elif isinstance(entry, DeliveryLine):
            out.append(_delivery(entry, locale, zone))
        elif isinstance(entry, IntakeEntry):
            out += intake_blocks(entry, locale, zone)
    return out


def _labels(values: list, locale: str) -> str:
    return ", ".join(v.label(locale) for v in values) or "-"


def intake_blocks(i: IntakeEntry, locale: str, zone: ZoneInfo) -> list[dict]:
    """The intake's record: client characteristics, benefits, housing, crisis flags, household, guardians."""
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    k = "history.intake."
    interpreter = (
        t(k + "interpreter_yes", locale, language=v(i.interpreter_language))
        if i.interpreter_needed
        else v(False)
    )
    lines = [
        t(k + "head", locale, at=v(i.intake_at), source=v(i.referral_source), route=v(i.route)),
        t(k + "characteristics", locale, values=_labels(i.characteristics, locale)),
        t(k + "interpreter", locale, value=interpreter),
        t(k + "benefits", locale, values=_labels(i.benefits, locale)),
        t(k + "housing", locale, value=v(i.housing)),
    ]
    if i.crisis_flags:
        lines.append(
            t(k + "crisis", locale, values=_labels(i.crisis_flags, locale), at=v(i.crisis_flagged_at))
        )
    household = [
        t(
            k + "member",
            locale,
            relation=v(m.relation),
            name=v(m.name),
            age=v(m.age_band),
            together=v(m.co_resident),
            carer=v(m.main_carer),
        )
        for m in i.household
    ]
    guardians = [
        t(k + "abuser", locale, relationship=v(g.relationship), standing=v(g.standing))
        if g.alleged_abuser  # R12: neither their name nor a number of theirs where the case is shown
        else t(
            k + "guardian",
            locale,
            relationship=v(g.relationship),
            name=v(g.name),
            standing=v(g.standing),
            contact=v(g.contact),
        )
        for g in i.guardians
    ]
    return [
        _text("\n".join(lines)),
        _text(f"*{t(k + 'household', locale)}*\n" + ("\n".join(household) or "-")),
        _text(f"*{t(k + 'guardians', locale)}*\n" + ("\n".join(guardians) or "-")),
    ]


def _note(n: NoteEntry, locale: str, zone: ZoneInfo) -> dict:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    lines = [
        t(
            "history.note.head",
            locale,
            at=v(n.contact_at),
            type=v(n.contact_type),
            kind=v(n.kind),
            outcome=v(n.outcome),
            author=v(n.author),
        ),
        v(n.summary),
        t("history.note.next", locale, action=v(n.next_action), date=v(n.next_contact_on)),
    ]
    if n.result is not None:
        lines.append(t("history.note.result", locale, result=v(n.result)))
    checked = [t("history.note.goal", locale, goal=goal, progress=v(p)) for goal, p in n.goals]
    checked += [t("history.note.service", locale, agency=a, status=v(s)) for a, s in n.services]
    if checked:  # the 점검표 recorded with the note
        lines.append(t("history.note.monitoring", locale, items=" · ".join(checked)))
    return _text("\n".join(lines))


def _assessment(a: AssessmentEntry, locale: str, zone: ZoneInfo) -> list[dict]:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    out = [
        _text(t("history.assessment.head", locale, kind=v(a.kind), at=v(a.completed_at), by=v(a.assessor))),
        _text(
            "\n".join(
                [
                    f"*{t('history.assessment.strengths', locale)}*",
                    t("history.assessment.personal", locale, text=v(a.strengths_personal)),
                    t("history.assessment.family", locale, text=v(a.strengths_family)),
                    t("history.assessment.social", locale, text=v(a.strengths_social)),
                    t("history.assessment.community", locale, text=v(a.strengths_community)),
                ]
            )
        ),
        _text(f"*{t('history.assessment.supports', locale)}*\n{v(a.informal_supports)}"),
        _text(f"*{t('history.assessment.goals', locale)}*\n{v(a.client_goals)}"),
    ]
    ratings = [
        t(
            "history.assessment.rating",
            locale,
            domain=v(r.domain),
            severity=r.severity,
            priority=v(r.client_priority),
            narrative=v(r.narrative),
        )
        for r in sorted(a.ratings, key=lambda r: -r.severity)
    ]
    if ratings:
        out.append(_text(f"*{t('history.assessment.ratings', locale)}*\n" + "\n".join(ratings)))
    return out


def _plan(p: PlanEntry, locale: str, zone: ZoneInfo) -> list[dict]:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    out = [
        _text(
            t(
                "history.plan.head",
                locale,
                version=p.version,
                status=v(p.status),
                start=v(p.period_start),
                end=v(p.period_end),
                review=v(p.review_due),
                agreed=v(p.agreed_at),
                method=v(p.agreement_method),
            )
        ),
        b.context(t("history.plan.goals", locale)),
    ]
    out += [
        _text(
            t(
                "history.plan.goal",
                locale,
                domain=v(g.domain),
                description=v(g.description),
                indicator=v(g.indicator),
                baseline=v(g.baseline),
                target=v(g.target),
                date=v(g.target_date),
            )
        )
        for g in p.goals
    ]
    out.append(b.context(t("history.plan.tasks", locale)))
    out += [
        _text(
            t(
                "history.plan.task",
                locale,
                action=v(task.action),
                party=v(task.responsible_party),
                resource=v(task.resource),
                date=v(task.due_date),
                status=v(task.status),
            )
        )
        for task in p.tasks
    ] or [b.section(t("history.empty", locale))]
    for review in p.reviews:
        lines = [
            t("history.plan.review_goal", locale, number=number, progress=v(progress), comment=v(comment))
            for number, progress, comment in review.progress
        ]
        head = t(
            "history.plan.review",
            locale,
            at=v(review.reviewed_at),
            by=v(review.author),
            next=v(review.next_review),
        )
        out.append(_text("\n".join([head, *lines])))
    return out


def _referral(r: ReferralEntry, locale: str, zone: ZoneInfo) -> dict:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    lines = [
        t(
            "history.referral",
            locale,
            resource=v(r.resource),
            domain=v(r.domain),
            status=v(r.status),
            sent=v(r.sent_at),
            due=v(r.response_due),
            outcome=v(r.outcome),
        )
    ]
    if r.outcome_on is not None:
        lines.append(t("history.referral_outcome_on", locale, date=v(r.outcome_on)))
    if r.reason is not None:
        lines.append(t("history.referral_reason", locale, reason=v(r.reason)))
    if r.no_alternative:
        lines.append(t("history.referral_no_alternative", locale))
    if r.from_aftercare:
        lines.append(t("history.referral_from_aftercare", locale))
    return _text("\n".join(lines))


def _reply(r: ReplyEntry, locale: str, zone: ZoneInfo) -> dict:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    return _text(t("history.referrer_reply", locale, date=v(r.replied_on), method=v(r.method)))


def _conference(c: ConferenceEntry, locale: str, zone: ZoneInfo) -> dict:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    lines = [
        t(
            "history.conference.head",
            locale,
            at=v(c.scheduled_at),
            type=v(c.conference_type),
            purpose=v(c.purpose),
            status=v(c.status),
        ),
        t("history.conference.decision", locale, decision=v(c.decision)),
    ]
    lines += [
        t(
            "history.conference.action",
            locale,
            description=v(a.description),
            owner=v(a.owner),
            date=v(a.due_date),
            status=v(a.status),
        )
        for a in c.actions
    ]
    return _text("\n".join(lines))


def closure_blocks(c: ClosureEntry, locale: str, zone: ZoneInfo) -> list[dict]:
    """A closure request in full: the history's closure page and the supervisor's review modal."""
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    out = [
        _text(
            t(
                "history.closure.head",
                locale,
                reason=v(c.reason),
                status=v(c.status),
                by=v(c.requested_by),
                at=v(c.requested_at),
            )
        )
    ]
    if c.decided_at is not None:
        out.append(
            _text(
                t(
                    "history.closure.decided",
                    locale,
                    by=v(c.decided_by),
                    at=v(c.decided_at),
                    comment=v(c.supervisor_comment),
                )
            )
        )
    attainments = [
        t(
            "history.closure.attainment",
            locale,
            goal=v(a.goal),
            indicator=v(a.indicator),
            target=v(a.target),
            attainment=v(a.attainment),
        )
        for a in c.attainments
    ]
    out.append(
        _text(
            f"*{t('history.closure.attainments', locale)}*\n"
            + ("\n".join(attainments) or t("history.closure.no_goals", locale))
        )
    )
    out.append(_text(f"*{t('history.closure.worker_evaluation', locale)}*\n{v(c.worker_evaluation)}"))
    out.append(_text(f"*{t('history.closure.client_evaluation', locale)}*\n{v(c.client_evaluation)}"))
    out.append(
        _text(
            t(
                "history.closure.exit",
                locale,
                informed=v(c.client_informed),
                plan=v(c.aftercare_plan),
                handover=v(c.handover_target),
            )
        )
    )
    if c.aftercare:
        lines = [
            t(
                "history.closure.check",
                locale,
                due=v(check.due_on),
                done=v(check.done_at) if not check.cancelled else t("history.closure.cancelled", locale),
                method=v(check.method),
                status=v(check.status),
                action=v(check.action),
                note=v(check.note),
            )
            for check in c.aftercare
        ]
        out.append(_text(f"*{t('history.closure.aftercare', locale)}*\n" + "\n".join(lines)))
    for h in c.handovers:  # public teams: the after-care handed to the 읍면동
        out.append(
            _text(
                t(
                    "history.closure.handover",
                    locale,
                    to=v(h.handed_to),
                    on=v(h.handed_over_on),
                    by=v(h.recorded_by),
                    note=v(h.note),
                )
            )
        )
    return out


def _delivery(d: DeliveryLine, locale: str, zone: ZoneInfo) -> dict:
    v = lambda x: _v(x, locale, zone)  # noqa: E731
    return _text(
        t(
            "history.delivery",
            locale,
            date=v(d.delivered_on),
            category=v(d.category),
            quantity=d.quantity,
            unit=v(d.unit),
            amount=f"{d.amount_won:,}",
            funding=v(d.funding_source),
            provider=v(d.provider),
        )
    )
