"""A client's record as one readable document (개인정보 보호법 §35 열람 청구: answered within 10 days).

Every episode, every record, in the order a person would read them; enum codes shown by their labels,
staff by display name. The export is written to the access log, with the reason given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assessment import Assessment
from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.client import Client
from models.closure import AfterCareCheck, Closure
from models.conference import ActionItem, CaseConference, ConferenceCase
from models.consent import Consent
from models.contact import ContactNote
from models.enums import AuditAction, LabeledEnum, NeedDomain, Surface
from models.errors import Message, NotFound
from models.handover import AfterCareHandover
from models.plan import PlanGoal, ServicePlan
from models.referral import Referral
from models.resource import Resource
from models.service_delivery import ServiceDelivery
from models.services import agencies, households
from models.services.case_file import intake_entry
from models.services.context import funding_label
from models.services.referrals import REASONS
from models.services.reports import REPORT_EVENT
from models.staff import StaffMember
from models.text import catalog, t

# The record list of the practice model (domain.md §7 "Record checklist", with the entities of §2): one
# heading of the export each, in this order. tests/unit/core/test_export_record.py holds the export to it.
RECORD_SECTIONS = (
    "client",
    "case",
    "consents",
    "assessments",
    "plans",
    "referrals",
    "notes",
    "conferences",
    "services",
    "closures",
    "aftercare",
    "timeline",
    "access",
)


def _l(key: str, locale: str) -> str:
    """A heading or a fixed phrase of the export (`export.label.<key>` in the catalogs)."""
    return t(f"export.label.{key}", locale)


def _field(name: str, locale: str) -> str:
    """How an exported field is named for the person reading it; a field with no name shows as is."""
    key = f"export.field.{name}"
    return t(key, locale) if key in catalog(locale) else name


def _need(code: object, locale: str) -> object:
    """A need domain code (as cases keep them in a list) by its label; anything else as it is."""
    try:
        return NeedDomain(str(code)).label(locale)
    except ValueError:
        return code


def _label(prefix: str, code: str, locale: str) -> str:
    """The reader's word for a code the record keeps as text (an event, a record name); the code if none."""
    key = f"{prefix}.{code}"
    return t(key, locale) if key in catalog(locale) else code


def _fmt(value: object, locale: str, zone: ZoneInfo) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, LabeledEnum):
        return value.label(locale)
    if isinstance(value, bool):
        return t("export.value.yes" if value else "export.value.no", locale)
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_fmt(v, locale, zone) for v in value)
    return str(value).replace("\n", "\n  ")


format_value = _fmt  # the printed forms write values the same way


class _Doc:
    def __init__(self, locale: str, zone: ZoneInfo, staff: dict[int, str]) -> None:
        self.lines: list[str] = []
        self.locale, self.zone, self.staff = locale, zone, staff

    def heading(self, key: str, level: int = 2) -> None:
        self.lines += ["", f"{'#' * level} {_l(key, self.locale)}", ""]

    def item(self, label: str, value: object) -> None:
        self.lines.append(f"- {label}: {_fmt(value, self.locale, self.zone)}")

    def line(self, key: str, **params: object) -> None:
        """A line of the export from the catalogs (`export.line.<key>`), its values formatted."""
        values = {name: _fmt(value, self.locale, self.zone) for name, value in params.items()}
        self.lines.append(t(f"export.line.{key}", self.locale, **values))

    def who(self, staff_id: int | None) -> str:
        return self.staff.get(staff_id, "-") if staff_id else "-"

    def fields(self, row: object, names: Iterable[str]) -> None:
        for name in names:
            value = getattr(row, name)
            if name.endswith("_id") and isinstance(value, int) and name != "resource_id":
                value = self.who(value)
            self.item(_field(name, self.locale), value)


def export_case(
    db: Session,
    code: str,
    *,
    operator: str,
    reason: str,
    now: datetime,
    zone: ZoneInfo,
    locale: str = "ko",
) -> str:
    """The whole record of case `code` as Markdown; the export itself is audited (R9)."""
    case = db.scalar(select(Case).where(Case.code == code.strip().upper()))
    if case is None:
        raise NotFound(Message("export.errors.no_case", code=code))
    client = db.get_one(Client, case.client_id)
    staff = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
    resources = dict(db.execute(select(Resource.id, Resource.name)).all())
    doc = _Doc(locale, zone, staff)
    doc.lines += [f"# {_l('title', locale)}: {case.code}", ""]
    doc.item(_l("made", locale), now)
    doc.item(_l("reason", locale), reason)
    if any(g.is_alleged_abuser for g in client.guardians or []):
        doc.lines += ["", f"> {_l('alleged_abuser_warning', locale)}"]  # R12: never handed to them

    doc.heading("client")
    intake = intake_entry(case)
    doc.fields(client, ["name", "birth_date", "sex", "contact", "address", "life_stage"])
    doc.item(_field("characteristics", locale), intake.characteristics)
    doc.fields(client, ["interpreter_needed", "interpreter_language"])
    doc.item(_field("benefits", locale), intake.benefits)
    doc.fields(client, ["housing_type", "under14", "external_ref"])
    doc.heading("household", 3)
    for member in intake.household:
        doc.line(
            "household",
            name=member.name,
            relation=member.relation,
            age=member.age_band,
            co_resident=member.co_resident,
            main_carer=member.main_carer,
        )
    doc.heading("guardians", 3)
    for guardian in client.guardians or []:
        if guardian.is_alleged_abuser:  # R12: never a contact for the case, so no number of theirs here
            doc.fields(
                guardian,
                [
                    "name",
                    "relationship_kind",
                    "legal_standing",
                    "is_legal_representative",
                    "is_alleged_abuser",
                ],
            )
            doc.item(_field("contact", locale), _l("no_contact_abuser", locale))
            doc.fields(guardian, ["notes"])
            continue
        doc.fields(
            guardian,
            ["name", "relationship_kind", "contact", "legal_standing", "is_legal_representative", "notes"],
        )

    doc.heading("case")
    case_needs = [_need(code, locale) for code in case.presenting_needs or []]
    doc.fields(
        case,
        [
            "code",
            "profile",
            "status",
            "intensity",
            "crisis",
            "restricted",
            "case_manager_id",
            "referral_source",
            "intake_route",
        ],
    )
    doc.item(_field("crisis_flags", locale), intake.crisis_flags)
    doc.item(_field("crisis_flagged_at", locale), intake.crisis_flagged_at)
    doc.item(_field("presenting_needs", locale), case_needs)
    doc.fields(
        case,
        [
            "intake_summary",
            "referred_at",
            "referrer_replied_on",
            "referrer_reply_method",
            "intake_at",
            "classified_at",
            "episode",
            "closed_at",
            "retention_until",
        ],
    )

    # 가구: the household's code and its need rating only. The export answers the client's own request
    # (열람 청구), so nothing of the household's other cases or of members entered from them.
    doc.heading("household_group", 3)
    household = households.household_of(db, case)
    if household is None:
        doc.lines.append(_l("none", locale))
    else:
        doc.item(_field("household_code", locale), household.code)
        for need in household.needs:
            doc.line("household_need", domain=need.domain.label(locale), severity=need.severity.value)

    doc.heading("agencies", 3)  # the lead agency (주사례관리기관) first, then the partners and their roles
    for agency in agencies.lines(db, case):
        doc.line("agency_lead" if agency.lead else "agency_partner", name=agency.name, role=agency.role)

    def rows(model, *options):  # type: ignore[no-untyped-def]
        query = select(model).where(model.case_id == case.id).order_by(model.id)
        return list(db.scalars(query.options(*options)))

    doc.heading("consents")
    for consent in rows(Consent):
        doc.lines.append(f"### {consent.scope.label(locale)}")
        if consent.signer_name is None:
            doc.item(_field("signer_name", locale), _l("signed_on_paper", locale))
        doc.fields(
            consent,
            [
                *(["signer_name"] if consent.signer_name is not None else []),
                "signer_relationship",
                "purposes",
                "items",
            ],
        )
        directory = [resources.get(i, str(i)) for i in consent.recipient_resource_ids or []]
        doc.item(_field("recipient_names", locale), [*directory, *(consent.recipient_names or [])])
        doc.fields(
            consent,
            [
                "retention",
                "refusal_notice_given",
                "method",
                "guardian_verified",
                "given_on",
                "expires_on",
                "withdrawn_at",
                "recorded_by_id",
                "created_at",
            ],
        )
    doc.heading("assessments")
    for assessment in rows(Assessment, selectinload(Assessment.ratings)):
        doc.lines.append(
            f"### {assessment.kind.label(locale)} ({_l('episode', locale)} {assessment.episode})"
        )
        doc.fields(assessment, ["status", "assessor_id", "started_at", "completed_at"])
        doc.fields(
            assessment,
            [
                "screen_self_harm",
                "screen_abuse",
                "screen_loss_of_income_or_housing",
                "screen_loss_of_carer",
                "strengths_personal",
                "strengths_family",
                "strengths_social",
                "strengths_community",
                "informal_supports",
                "client_goals",
                "genogram_ref",
            ],
        )
        for rating in assessment.ratings:
            doc.line(
                "rating",
                domain=rating.domain,
                severity=rating.severity,
                urgent=rating.urgent,
                priority=rating.client_priority,
                narrative=rating.narrative,
                evidence=rating.evidence_source,
            )
    doc.heading("plans")
    for plan in rows(ServicePlan, selectinload(ServicePlan.goals), selectinload(ServicePlan.tasks)):
        doc.lines.append(f"### v{plan.version} ({_l('episode', locale)} {plan.episode})")
        doc.fields(
            plan,
            [
                "status",
                "period_start",
                "period_end",
                "review_due",
                "agreed_at",
                "agreement_method",
                "author_id",
                "created_at",
            ],
        )
        for goal in plan.goals:
            doc.line(
                "goal",
                domain=goal.domain,
                description=goal.description,
                indicator=goal.indicator,
                baseline=goal.baseline,
                target=goal.target,
                date=goal.target_date,
            )
        for task in plan.tasks:
            doc.line(
                "task",
                action=task.action,
                party=task.responsible_party,
                resource=resources.get(task.resource_id) if task.resource_id else None,
                date=task.due_date,
                status=task.status,
            )
    doc.heading("referrals")
    for referral in rows(Referral):
        doc.lines.append(f"### {resources.get(referral.resource_id, referral.resource_id)}")
        doc.fields(
            referral,
            [
                "domain",
                "reason",
                "status",
                "statutory_basis",
                "statutory_note",
                "channel",
                "sent_at",
                "response_due",
                "outcome",
                "outcome_on",
            ],
        )
        # The decline's reason as its label in the reader's language (it is stored as the list's code).
        reasons, given = REASONS.get(referral.status), referral.outcome_reason
        if reasons is not None and given in {member.value for member in reasons}:
            given = reasons(given).label(locale)
        doc.item(_field("outcome_reason", locale), given)
        doc.fields(referral, ["no_alternative", "created_by_id", "created_at"])
    doc.heading("notes")
    for note in rows(ContactNote):
        doc.lines.append(f"### {_fmt(note.contact_at, locale, zone)} {note.contact_type.label(locale)}")
        doc.fields(
            note,
            [
                "author_id",
                "kind",
                "participants",
                "outcome",
                "result",
                "plan_adherence",
                "satisfaction",
                "risk_changed",
                "duration_minutes",
                "summary",
                "next_action",
                "next_contact_on",
                "created_at",
            ],
        )
    doc.heading("conferences")
    on_agenda = db.execute(
        select(ConferenceCase, CaseConference)
        .join(CaseConference, CaseConference.id == ConferenceCase.conference_id)
        .where(ConferenceCase.case_id == case.id)
        .order_by(CaseConference.scheduled_at, CaseConference.id)
    ).all()
    items = list(db.scalars(select(ActionItem).where(ActionItem.case_id == case.id).order_by(ActionItem.id)))
    for agenda, conference in on_agenda:
        doc.lines.append(
            f"### {_fmt(conference.scheduled_at, locale, zone)} {conference.conference_type.label(locale)}"
        )
        doc.fields(conference, ["status", "chair_id", "minutes_ref", "recorded_at"])
        doc.fields(agenda, ["purpose", "question", "decision"])
        for item in (i for i in items if i.conference_id == conference.id):
            doc.line(
                "action_item",
                description=item.description,
                owner=doc.who(item.owner_id) if item.owner_id else item.owner_external,
                date=item.due_date,
                status=item.status,
                done=item.done_at,
            )
    doc.heading("services")
    for delivery in rows(ServiceDelivery):
        doc.line(
            "delivery",
            date=delivery.delivered_on,
            category=delivery.category,
            description=delivery.description,
            quantity=delivery.quantity,
            unit=delivery.unit,
            amount=f"{delivery.amount_won:,}",
            funding=funding_label(delivery.funding_source, locale),
            provider=resources.get(delivery.provider_resource_id)
            if delivery.provider_resource_id
            else doc.who(delivery.provider_staff_id),
        )
    doc.heading("closures")
    goals = {
        g.id: g for g in db.scalars(select(PlanGoal).join(ServicePlan).where(ServicePlan.case_id == case.id))
    }
    for closure in rows(Closure, selectinload(Closure.attainments)):
        doc.lines.append(f"### {closure.reason.label(locale)} ({_l('episode', locale)} {closure.episode})")
        doc.fields(
            closure,
            [
                "status",
                "client_informed",
                "client_evaluation",
                "worker_evaluation",
                "aftercare_plan",
                "handover_target",
                "requested_by_id",
                "requested_at",
                "decided_by_id",
                "decided_at",
                "supervisor_comment",
            ],
        )
        for attained in closure.attainments:
            goal = goals.get(attained.goal_id)
            doc.line(
                "attainment",
                goal=goal.description if goal else attained.goal_id,
                indicator=goal.indicator if goal else None,
                target=goal.target if goal else None,
                attainment=attained.attainment,
            )
    doc.heading("aftercare")
    for check in rows(AfterCareCheck):
        doc.line(
            "aftercare",
            due=check.due_on,
            done=check.done_at if not check.cancelled else _l("cancelled", locale),
            method=check.method,
            status=check.status,
            action=check.action,
            note=check.note,
            by=doc.who(check.done_by_id),
        )
    for handover in rows(AfterCareHandover):  # public teams: the after-care handed to the 읍면동
        doc.line(
            "aftercare_handover",
            to=handover.handed_to,
            on=handover.handed_over_on,
            note=handover.note,
            by=doc.who(handover.recorded_by_id),
        )
    doc.heading("timeline")
    # A mandatory report and who made it are left out (아동학대처벌법 §10③; PIPA §35④: the subject's
    # access does not extend to what would endanger a reporter or a victim).
    events = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event != REPORT_EVENT)
    for event in db.scalars(events.order_by(CaseEvent.id)):
        what = _label("export.event", event.event, locale)
        doc.lines.append(f"- {_fmt(event.at, locale, zone)} {what} ({doc.who(event.actor_id)})")
    doc.heading("access")
    access = db.scalars(
        select(AuditLog)
        .where(AuditLog.case_id == case.id, AuditLog.record != REPORT_EVENT)
        .order_by(AuditLog.id)
    )
    for row in access:
        who = doc.who(row.actor_id) if row.actor_id else (row.actor_ref or "-")
        doc.lines.append(
            f"- {_fmt(row.at, locale, zone)} {row.action.label(locale)} "
            f"{_label('export.event', row.record, locale)} "
            f"({who}, {row.surface.label(locale)})"
        )

    db.add(
        AuditLog(
            at=now,
            actor_id=None,
            actor_ref=operator[:64],
            action=AuditAction.EXPORT,
            record="case_export",
            case_id=case.id,
            case_code=case.code,
            surface=Surface.CLI,
            detail=reason[:300],
        )
    )
    return "\n".join(doc.lines).strip() + "\n"
