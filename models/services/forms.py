"""Printable forms from the record: A4 PDFs for signature, in Korean (English by the reader's locale).

개인정보 수집·이용·제공 동의서, 초기상담지, 사정기록지, 서비스 제공계획서, 서비스 의뢰서, 사례회의록,
종결평가서: each is built from the case's record (`form_document`, plain values) and drawn by `render_pdf`
with fpdf2, which embeds a subset of a TrueType font (Korean: Debian's fonts-nanum, PRINT_FONT). The
agency's name (AGENCY_NAME) heads every page; signature lines close each form. Printing is logged.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assessment import Assessment
from models.audit import AuditLog
from models.case import Case
from models.client import Client
from models.closure import Closure
from models.conference import ActionItem, CaseConference, ConferenceCase
from models.consent import Consent
from models.enums import AssessmentStatus, AuditAction, NeedDomain, Surface
from models.errors import DomainError, Message, NotAllowed, NotFound
from models.plan import PlanGoal, ServicePlan
from models.print_link import PrintLink
from models.referral import Referral
from models.resource import Resource
from models.services import access, stats, stats_output
from models.services.case_file import intake_entry
from models.services.context import Ctx, Policy, utc
from models.services.export import format_value
from models.staff import StaffMember
from models.text import t

DEFAULT_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
DEFAULT_BOLD_FONT = "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"


class Form(StrEnum):
    CONSENT = "consent"
    INTAKE = "intake"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    REFERRAL = "referral"
    CONFERENCE = "conference"
    CLOSURE = "closure"


# Who signs each form (forms.sign.<who>).
SIGNERS = {
    Form.CONSENT: ("client", "guardian", "manager"),
    Form.INTAKE: ("manager",),
    Form.ASSESSMENT: ("manager", "leader"),
    Form.PLAN: ("client", "guardian", "manager", "leader"),
    Form.REFERRAL: ("manager", "leader"),
    Form.CONFERENCE: ("manager", "leader"),
    Form.CLOSURE: ("client", "manager", "leader"),
}


class FontMissing(DomainError):
    """The Korean font is not installed: say which file and how to get it."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Part:
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None


@dataclass
class FormDocument:
    form: Form
    title: str
    agency: str
    code: str
    printed: str
    parts: list[Part]
    signatures: list[str]
    locale: str


def form_document(
    db: Session, case: Case, form: Form, *, locale: str, zone: ZoneInfo, agency: str, now: datetime
) -> FormDocument:
    """The form's content from the record (the caller checked who may print it and logs it)."""
    staff = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
    resources = dict(db.execute(select(Resource.id, Resource.name)).all())
    ctx = _Fill(locale, zone, staff, resources)
    parts = _BUILDERS[form](db, case, ctx)
    return FormDocument(
        form=form,
        title=t(f"forms.title.{form.value}", locale),
        agency=agency,
        code=case.code,
        printed=format_value(now, locale, zone),
        parts=parts,
        signatures=[t(f"forms.sign.{who}", locale) for who in SIGNERS[form]],
        locale=locale,
    )


@dataclass(frozen=True)
class _Fill:
    locale: str
    zone: ZoneInfo
    staff: dict[int, str]
    resources: dict[int, str]

    def v(self, value: object) -> str:
        return format_value(value, self.locale, self.zone)

    def f(self, name: str) -> str:
        """A field's label (the export's names)."""
        return t(f"export.field.{name}", self.locale)

    def l(self, key: str) -> str:  # noqa: E743
        return t(f"forms.label.{key}", self.locale)

    def who(self, staff_id: int | None) -> str:
        return self.staff.get(staff_id, "-") if staff_id else "-"

    def rows(self, record: object, names: list[str]) -> list[tuple[str, str]]:
        out = []
        for name in names:
            value = getattr(record, name)
            if name.endswith("_id") and isinstance(value, int):
                value = self.who(value)
            out.append((self.f(name), self.v(value)))
        return out


def _needs(codes: list[str], locale: str) -> list[str]:
    labels = []
    for code in codes or []:
        try:
            labels.append(NeedDomain(code).label(locale))
        except ValueError:
            labels.append(str(code))
    return labels


def _consent(db: Session, case: Case, c: _Fill) -> list[Part]:
    client = db.get_one(Client, case.client_id)
    parts = [Part(c.l("client"), [(c.f("name"), c.v(client.name)), (c.f("code"), case.code)])]
    for consent in db.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id)):
        recipients = [c.resources.get(i, str(i)) for i in consent.recipient_resource_ids or []]
        rows = [
            (c.f("purposes"), c.v(consent.purposes)),
            (c.f("items"), c.v(consent.items)),
            (c.f("recipient_names"), c.v([*recipients, *(consent.recipient_names or [])])),
            (c.f("retention"), c.v(consent.retention)),
            (c.l("refusal_right"), c.l("refusal_text")),
            (c.f("refusal_notice_given"), c.v(consent.refusal_notice_given)),
            (c.f("method"), c.v(consent.method)),
            (c.f("signer_relationship"), c.v(consent.signer_relationship)),
            (c.f("given_on"), c.v(consent.given_on)),
            (c.f("expires_on"), c.v(consent.expires_on)),
            (c.f("withdrawn_at"), c.v(consent.withdrawn_at)),
        ]
        parts.append(Part(consent.scope.label(c.locale), rows))
    return parts


def _intake(db: Session, case: Case, c: _Fill) -> list[Part]:
    client = db.get_one(Client, case.client_id)
    entry = intake_entry(case)
    person = c.rows(client, ["name", "birth_date", "sex", "contact", "address", "life_stage"])
    person += [
        (c.f("characteristics"), c.v(entry.characteristics)),
        (c.f("interpreter_needed"), c.v(client.interpreter_needed)),
        (c.f("interpreter_language"), c.v(client.interpreter_language)),
        (c.f("benefits"), c.v(entry.benefits)),
        (c.f("housing_type"), c.v(client.housing_type)),
    ]
    household = Table(
        [c.f("name"), c.l("relation"), c.l("age_band"), c.l("co_resident"), c.l("main_carer")],
        [
            [c.v(m.name), m.relation, c.v(m.age_band), c.v(m.co_resident), c.v(m.main_carer)]
            for m in entry.household
        ],
    )
    guardians = Table(
        [
            c.f("name"),
            c.f("relationship_kind"),
            c.f("contact"),
            c.f("legal_standing"),
            c.f("is_legal_representative"),
        ],
        [  # R12: an alleged abuser's contact is never on the form (intake_entry leaves it out)
            [c.v(g.name), g.relationship, c.v(g.contact), c.v(g.standing), c.v(g.legal_representative)]
            for g in entry.guardians
        ],
    )
    intake = c.rows(case, ["referral_source", "intake_route", "referred_at", "intake_at", "case_manager_id"])
    intake.append((c.f("presenting_needs"), c.v(_needs(case.presenting_needs, c.locale))))
    intake.append((c.f("crisis_flags"), c.v(entry.crisis_flags)))
    intake.append((c.f("intake_summary"), c.v(case.intake_summary)))
    return [
        Part(c.l("client"), person),
        Part(c.l("household"), table=household),
        Part(c.l("guardians"), table=guardians),
        Part(c.l("intake"), intake),
    ]


def _assessment(db: Session, case: Case, c: _Fill) -> list[Part]:
    latest = db.scalar(
        select(Assessment)
        .where(Assessment.case_id == case.id, Assessment.status == AssessmentStatus.COMPLETED)
        .options(selectinload(Assessment.ratings))
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if latest is None:
        raise NotFound(Message("forms.errors.nothing", form=t("forms.title.assessment", c.locale)))
    head = [(c.l("kind"), c.v(latest.kind)), *c.rows(latest, ["assessor_id", "completed_at"])]
    ratings = Table(
        [c.f("domain"), c.l("severity"), c.l("priority"), c.l("narrative")],
        [
            [r.domain.label(c.locale), f"{r.severity}/4", c.v(r.client_priority), c.v(r.narrative)]
            for r in latest.ratings
        ],
    )
    screen = c.rows(
        latest,
        ["screen_self_harm", "screen_abuse", "screen_loss_of_income_or_housing", "screen_loss_of_carer"],
    )
    strengths = c.rows(
        latest,
        [
            "strengths_personal",
            "strengths_family",
            "strengths_social",
            "strengths_community",
            "informal_supports",
            "client_goals",
        ],
    )
    return [
        Part(c.l("assessment"), head),
        Part(c.l("ratings"), table=ratings),
        Part(c.l("crisis_screen"), screen),
        Part(c.l("strengths"), strengths),
    ]


def _plan(db: Session, case: Case, c: _Fill) -> list[Part]:
    plan = db.scalar(
        select(ServicePlan)
        .where(ServicePlan.case_id == case.id)
        .options(selectinload(ServicePlan.goals), selectinload(ServicePlan.tasks))
        .order_by(ServicePlan.version.desc())
        .limit(1)
    )
    if plan is None:
        raise NotFound(Message("forms.errors.nothing", form=t("forms.title.plan", c.locale)))
    head = [(c.l("version"), str(plan.version))]
    head += c.rows(
        plan, ["status", "period_start", "period_end", "review_due", "agreed_at", "agreement_method"]
    )
    goals = Table(
        [c.f("domain"), c.l("goal"), c.l("indicator"), c.l("baseline_target"), c.l("target_date")],
        [
            [
                g.domain.label(c.locale),
                g.description,
                g.indicator,
                f"{c.v(g.baseline)} → {g.target}",
                c.v(g.target_date),
            ]
            for g in plan.goals
        ],
    )
    tasks = Table(
        [c.l("task"), c.l("responsible"), c.l("resource"), c.l("due"), c.l("status")],
        [
            [
                task.action,
                task.responsible_party.label(c.locale),
                c.resources.get(task.resource_id, "-") if task.resource_id else "-",
                c.v(task.due_date),
                task.status.label(c.locale),
            ]
            for task in plan.tasks
        ],
    )
    return [Part(c.l("plan"), head), Part(c.l("goals"), table=goals), Part(c.l("tasks"), table=tasks)]


def _referral(db: Session, case: Case, c: _Fill) -> list[Part]:
    referrals = list(db.scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)))
    if not referrals:
        raise NotFound(Message("forms.errors.nothing", form=t("forms.title.referral", c.locale)))
    parts = [
        Part(c.l("case"), [(c.f("code"), case.code), (c.f("case_manager_id"), c.who(case.case_manager_id))])
    ]
    for r in referrals:
        rows = [(c.l("resource"), r.resource.name)]
        rows += c.rows(
            r, ["domain", "reason", "status", "statutory_basis", "channel", "sent_at", "response_due"]
        )
        rows.append(
            (c.l("consent_basis"), c.l("consent_on_file") if r.consent_id else c.v(r.statutory_basis))
        )
        rows.append((c.f("outcome"), c.v(r.outcome)))
        parts.append(Part(r.resource.name, rows))
    return parts


def _conference(db: Session, case: Case, c: _Fill) -> list[Part]:
    rows = db.execute(
        select(ConferenceCase, CaseConference)
        .join(CaseConference, CaseConference.id == ConferenceCase.conference_id)
        .where(ConferenceCase.case_id == case.id)
        .order_by(CaseConference.scheduled_at, CaseConference.id)
    ).all()
    if not rows:
        raise NotFound(Message("forms.errors.nothing", form=t("forms.title.conference", c.locale)))
    items = list(db.scalars(select(ActionItem).where(ActionItem.case_id == case.id).order_by(ActionItem.id)))
    parts = []
    for agenda, conference in rows:
        head = [
            (c.l("held_at"), c.v(conference.scheduled_at)),
            (c.l("conference_type"), conference.conference_type.label(c.locale)),
            *c.rows(conference, ["status", "chair_id"]),
            *c.rows(agenda, ["purpose", "question", "decision"]),
        ]
        parts.append(Part(c.v(conference.scheduled_at), head))
        actions = Table(
            [c.l("action_item"), c.l("owner"), c.l("due"), c.l("status")],
            [
                [
                    i.description,
                    c.who(i.owner_id) if i.owner_id else c.v(i.owner_external),
                    c.v(i.due_date),
                    i.status.label(c.locale),
                ]
                for i in items
                if i.conference_id == conference.id
            ],
        )
        parts.append(Part(c.l("action_items"), table=actions))
    return parts


def _closure(db: Session, case: Case, c: _Fill) -> list[Part]:
    closure = db.scalar(
        select(Closure)
        .where(Closure.case_id == case.id)
        .options(selectinload(Closure.attainments))
        .order_by(Closure.requested_at.desc(), Closure.id.desc())
        .limit(1)
    )
    if closure is None:
        raise NotFound(Message("forms.errors.nothing", form=t("forms.title.closure", c.locale)))
    head = [(c.l("closure_reason"), closure.reason.label(c.locale))]
    head += c.rows(closure, ["status", "requested_by_id", "requested_at", "decided_by_id", "decided_at"])
    goal_ids = [a.goal_id for a in closure.attainments]
    goals = (
        {g.id: g for g in db.scalars(select(PlanGoal).where(PlanGoal.id.in_(goal_ids)))} if goal_ids else {}
    )
    attainments = Table(
        [c.l("goal"), c.l("indicator"), c.l("target"), c.l("attainment")],
        [
            [
                goals[a.goal_id].description,
                goals[a.goal_id].indicator,
                goals[a.goal_id].target,
                a.attainment.label(c.locale),
            ]
            for a in closure.attainments
            if a.goal_id in goals
        ],
    )
    evaluation = c.rows(
        closure,
        [
            "worker_evaluation",
            "client_evaluation",
            "client_informed",
            "aftercare_plan",
            "handover_target",
            "supervisor_comment",
        ],
    )
    return [
        Part(c.l("closure"), head),
        Part(c.l("attainments"), table=attainments),
        Part(c.l("evaluation"), evaluation),
    ]


_BUILDERS = {
    Form.CONSENT: _consent,
    Form.INTAKE: _intake,
    Form.ASSESSMENT: _assessment,
    Form.PLAN: _plan,
    Form.REFERRAL: _referral,
    Form.CONFERENCE: _conference,
    Form.CLOSURE: _closure,
}


# ------------------------------------------------------------------ the PDF


def render_pdf(doc: FormDocument, *, font: str = DEFAULT_FONT, bold_font: str = DEFAULT_BOLD_FONT) -> bytes:
    """The form as an A4 PDF with the font embedded (a subset); FontMissing if the font is not there."""
    for path in (font, bold_font):
        if not Path(path).is_file():
            raise FontMissing(Message("forms.errors.font_missing", path=path))
    from fpdf import FPDF  # 0.17 s to import: only a print needs it, never the bot's start

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{doc.title} {doc.code}")
    pdf.set_creator(doc.agency)
    pdf.add_font("Korean", "", font)
    pdf.add_font("Korean", "B", bold_font)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Korean", size=9)
    pdf.cell(width / 2, 6, doc.agency)
    pdf.cell(width / 2, 6, f"{t('forms.label.case_code', doc.locale)} {doc.code}", align="R")
    pdf.ln(9)
    pdf.set_font("Korean", "B", 16)
    pdf.cell(width, 10, doc.title, align="C")
    pdf.ln(13)

    for part in doc.parts:
        pdf.set_font("Korean", "B", 11)
        pdf.set_fill_color(235, 235, 235)
        pdf.cell(width, 7, part.heading, fill=True)
        pdf.ln(8)
        pdf.set_font("Korean", size=9.5)
        for label, value in part.rows:
            pdf.set_font("Korean", "B", 9.5)
            pdf.multi_cell(40, 6, label, new_x="RIGHT", new_y="TOP")
            pdf.set_font("Korean", size=9.5)
            pdf.multi_cell(width - 40, 6, value or "-", new_x="LMARGIN", new_y="NEXT")
        if part.table is not None:
            if part.table.rows:
                with pdf.table(first_row_as_headings=True, line_height=5.5, text_align="LEFT") as table:
                    table.row(part.table.headers)
                    for row in part.table.rows:
                        table.row([cell or "-" for cell in row])
            else:
                pdf.cell(width, 6, t("forms.label.none", doc.locale))
                pdf.ln(6)
        pdf.ln(3)

    pdf.ln(4)
    pdf.set_font("Korean", size=10)
    pdf.cell(width, 6, f"{t('forms.label.printed', doc.locale)} {doc.printed}")
    pdf.ln(10)
    for signer in doc.signatures:
        pdf.cell(45, 9, signer)
        pdf.cell(70, 9, t("forms.label.name_line", doc.locale))
        pdf.cell(0, 9, t("forms.label.signature_line", doc.locale))
        pdf.ln(10)
    return bytes(pdf.output())


def print_form(
    db: Session,
    code: str,
    form: Form,
    *,
    actor_ref: str,
    actor_id: int | None,
    surface: Surface,
    locale: str,
    zone: ZoneInfo,
    agency: str,
    now: datetime,
    font: str = DEFAULT_FONT,
    bold_font: str = DEFAULT_BOLD_FONT,
) -> bytes:
    """The form of case `code` as a PDF; the printing is in the access log (who, which form)."""
    case = db.scalar(select(Case).where(Case.code == code.strip().upper()))
    if case is None:
        raise NotFound(Message("export.errors.no_case", code=code))
    pdf = render_pdf(
        form_document(db, case, form, locale=locale, zone=zone, agency=agency, now=now),
        font=font,
        bold_font=bold_font,
    )
    db.add(
        AuditLog(
            at=now,
            actor_id=actor_id,
            actor_ref=actor_ref[:64],
            action=AuditAction.EXPORT,
            record="printed_form",
            case_id=case.id,
            case_code=case.code,
            surface=surface,
            detail=form.value,
        )
    )
    return pdf


# ------------------------------------------------------------------ one-time links (the 인쇄 button)

LINK_MINUTES = 10
STATS_FORM = "stats"  # a link's form for the statistics workbook (no case)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(db: Session, ctx: Ctx, code: str, form: Form, locale: str) -> str:
    """A token for one download of the form, by this person, within LINK_MINUTES; the request is logged
    (the case's access check, with what it was for). Only the token's hash is stored."""
    case = access.load_case(db, ctx, code, purpose=f"print {form.value}")
    token = secrets.token_urlsafe(32)
    db.add(
        PrintLink(
            token_hash=_hash(token),
            case_id=case.id,
            staff_id=ctx.actor.id,
            form=form.value,
            locale=locale,
            created_at=ctx.now,
            expires_at=ctx.now + timedelta(minutes=LINK_MINUTES),
        )
    )
    return token


def issue_stats_link(db: Session, ctx: Ctx, month: str | None, locale: str) -> tuple[str, str]:
    """(token, YYYY-MM) for one download of the team's statistics workbook for the month (default: the
    last full month), by this supervisor, within LINK_MINUTES. Anyone else is refused as `/case stats`
    refuses them; the run itself is logged when the link is used."""
    period = stats.month_of(ctx, month)
    token = secrets.token_urlsafe(32)
    db.add(
        PrintLink(
            token_hash=_hash(token),
            case_id=None,
            staff_id=ctx.actor.id,
            form=STATS_FORM,
            locale=locale,
            period=period,
            created_at=ctx.now,
            expires_at=ctx.now + timedelta(minutes=LINK_MINUTES),
        )
    )
    return token, period


def redeem_link(
    db: Session,
    token: str,
    user: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    agency: str,
    font: str = DEFAULT_FONT,
    bold_font: str = DEFAULT_BOLD_FONT,
) -> tuple[str, bytes]:
    """(file name, document) for a link used once, in time, by the person it was made for, who still
    sees the case (a form) or still supervises the team (the statistics); anything else raises NotAllowed
    (the unit of work logs the refusal) and nothing is served."""
    link = db.scalar(select(PrintLink).where(PrintLink.token_hash == _hash(token)))
    if link is None:
        raise NotAllowed(
            Message("forms.link.unknown"),
            at=now,
            actor_ref=user[:64],
            surface=Surface.BUTTON.value,
            detail="print link: unknown",
        )
    case = db.get_one(Case, link.case_id) if link.case_id is not None else None
    staff = db.get_one(StaffMember, link.staff_id)

    def refuse(why: str) -> NotAllowed:
        return NotAllowed(
            Message(f"forms.link.{why}"),
            at=now,
            actor_id=staff.id if staff.slack_user_id == user else None,
            actor_ref=user[:64],
            case_id=case.id if case else None,
            case_code=case.code if case else None,
            surface=Surface.BUTTON.value,
            detail=f"print link {link.form}: {why}",
        )

    if link.used_at is not None:
        raise refuse("used")
    if utc(link.expires_at) <= now:
        raise refuse("expired")
    if staff.slack_user_id != user:
        raise refuse("other_person")
    if case is None:  # the statistics workbook: `/case stats`'s own rule, checked again now
        link.used_at = now
        ctx = Ctx(actor=staff, surface=Surface.BUTTON, now=now, policy=Policy(zone=zone))
        report = stats.team_month(db, ctx, link.period)
        return f"casebot-stats-{link.period}.xlsx", stats_output.to_xlsx(report, link.locale)
    if not access.can_access(db, staff, case, today=now.astimezone(zone).date()):
        raise refuse("no_access")
    link.used_at = now
    pdf = print_form(
        db,
        case.code,
        Form(link.form),
        actor_ref=staff.slack_user_id,
        actor_id=staff.id,
        surface=Surface.BUTTON,
        locale=link.locale,
        zone=zone,
        agency=agency,
        now=now,
        font=font,
        bold_font=bold_font,
    )
    return f"{case.code}-{link.form}.pdf", pdf
