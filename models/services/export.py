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
from models.consent import Consent
from models.contact import ContactNote
from models.enums import AuditAction, LabeledEnum, Surface
from models.errors import Message, NotFound
from models.plan import ServicePlan
from models.referral import Referral
from models.resource import Resource
from models.staff import StaffMember

LABELS = {
    "title": ("사례 기록 열람본", "Case record export"),
    "made": ("작성", "Made"),
    "reason": ("사유", "Reason"),
    "client": ("대상자", "Client"),
    "case": ("사례", "Case"),
    "household": ("가구원", "Household"),
    "guardians": ("보호자", "Guardians"),
    "consents": ("동의", "Consents"),
    "assessments": ("사정", "Assessments"),
    "plans": ("서비스 계획", "Service plans"),
    "referrals": ("서비스 연계", "Referrals"),
    "notes": ("상담·점검 기록", "Contact notes"),
    "closures": ("평가·종결", "Evaluation and closure"),
    "aftercare": ("사후관리", "After-care"),
    "timeline": ("처리 이력", "Timeline"),
    "access": ("열람·처리 기록", "Who accessed the record"),
    "none": ("없음", "none"),
    "episode": ("회차", "Episode"),
    # A consent recorded under privacy_mode=strict has no signer's name.
    "signed_on_paper": (
        "서면 동의 (서명한 동의서는 기관 시스템에 보관)",
        "Signed on paper (kept in the agency's system)",
    ),
}


# How each exported field is named for the person reading it.
FIELDS = {
    "name": ("이름", "Name"),
    "birth_date": ("생년월일", "Birth date"),
    "sex": ("성별", "Sex"),
    "contact": ("연락처", "Contact"),
    "address": ("주소", "Address"),
    "life_stage": ("생애주기", "Life stage"),
    "characteristics": ("특성", "Characteristics"),
    "interpreter_needed": ("통역 필요", "Interpreter needed"),
    "under14": ("만 14세 미만", "Under 14"),
    "external_ref": ("기관 시스템 번호", "System of record reference"),
    "relationship_kind": ("관계", "Relationship"),
    "is_legal_representative": ("법정대리인", "Legal representative"),
    "notes": ("메모", "Notes"),
    "code": ("사례번호", "Case code"),
    "profile": ("사업 유형", "Profile"),
    "status": ("상태", "Status"),
    "intensity": ("사례 유형", "Intensity"),
    "crisis": ("위기", "Crisis"),
    "restricted": ("열람 제한", "Restricted"),
    "case_manager_id": ("사례관리자", "Case manager"),
    "referral_source": ("의뢰 경로", "Referral source"),
    "presenting_needs": ("주요 욕구", "Presenting needs"),
    "intake_summary": ("초기상담 요약", "Intake summary"),
    "referred_at": ("의뢰일", "Referred"),
    "intake_at": ("접수일", "Intake"),
    "classified_at": ("대상자 구분일", "Classified"),
    "episode": ("회차", "Episode"),
    "closed_at": ("종결일", "Closed"),
    "retention_until": ("보존 기한", "Kept until"),
    "signer_name": ("서명자", "Signed by"),
    "signer_relationship": ("서명자 관계", "Signer's relationship"),
    "purposes": ("목적", "Purposes"),
    "items": ("항목", "Items"),
    "recipient_names": ("제공받는 자", "Recipients"),
    "retention": ("보유 기간", "Retention"),
    "refusal_notice_given": ("거부권 고지", "Right to refuse explained"),
    "method": ("방법", "Method"),
    "given_on": ("동의일", "Given on"),
    "expires_on": ("만료일", "Expires on"),
    "withdrawn_at": ("철회일", "Withdrawn"),
    "assessor_id": ("사정자", "Assessor"),
    "started_at": ("시작", "Started"),
    "completed_at": ("완료", "Completed"),
    "screen_self_harm": ("자해·자살 위험", "Self-harm risk"),
    "screen_abuse": ("학대·폭력", "Abuse or violence"),
    "screen_loss_of_income_or_housing": ("소득·주거 상실", "Loss of income or housing"),
    "screen_loss_of_carer": ("돌봄 제공자 상실", "Loss of carer"),
    "strengths_personal": ("개인 강점", "Personal strengths"),
    "strengths_family": ("가족 강점", "Family strengths"),
    "strengths_social": ("사회적 강점", "Social strengths"),
    "strengths_community": ("지역 강점", "Community strengths"),
    "informal_supports": ("비공식 지원", "Informal supports"),
    "client_goals": ("대상자의 목표", "Client's goals"),
    "period_start": ("기간 시작", "Period start"),
    "period_end": ("기간 종료", "Period end"),
    "review_due": ("점검 예정", "Review due"),
    "agreed_at": ("합의일", "Agreed"),
    "author_id": ("작성자", "Author"),
    "domain": ("욕구 영역", "Need domain"),
    "reason": ("사유", "Reason"),
    "statutory_basis": ("법적 근거", "Statutory basis"),
    "sent_at": ("발송일", "Sent"),
    "response_due": ("회신 기한", "Response due"),
    "outcome": ("결과", "Outcome"),
    "participants": ("참여자", "Participants"),
    "result": ("점검 결과", "Monitoring result"),
    "summary": ("내용", "Summary"),
    "next_action": ("다음 조치", "Next action"),
    "next_contact_on": ("다음 연락 예정", "Next contact"),
    "client_evaluation": ("대상자 평가", "Client's evaluation"),
    "worker_evaluation": ("사례관리자 평가", "Worker's evaluation"),
    "aftercare_plan": ("사후관리 계획", "After-care plan"),
    "requested_at": ("요청일", "Requested"),
    "decided_by_id": ("결정자", "Decided by"),
    "decided_at": ("결정일", "Decided"),
}


def _l(key: str, locale: str) -> str:
    ko, en = LABELS[key]
    return ko if locale == "ko" else en


def _fmt(value: object, locale: str, zone: ZoneInfo) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, LabeledEnum):
        return value.label(locale)
    if isinstance(value, bool):
        return ("예" if value else "아니오") if locale == "ko" else ("yes" if value else "no")
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_fmt(v, locale, zone) for v in value)
    return str(value).replace("\n", "\n  ")


class _Doc:
    def __init__(self, locale: str, zone: ZoneInfo, staff: dict[int, str]) -> None:
        self.lines: list[str] = []
        self.locale, self.zone, self.staff = locale, zone, staff

    def heading(self, key: str, level: int = 2) -> None:
        self.lines += ["", f"{'#' * level} {_l(key, self.locale)}", ""]

    def item(self, label: str, value: object) -> None:
        self.lines.append(f"- {label}: {_fmt(value, self.locale, self.zone)}")

    def who(self, staff_id: int | None) -> str:
        return self.staff.get(staff_id, "-") if staff_id else "-"

    def fields(self, row: object, names: Iterable[str]) -> None:
        for name in names:
            value = getattr(row, name)
            if name.endswith("_id") and isinstance(value, int) and name != "resource_id":
                value = self.who(value)
            ko, en = FIELDS.get(name, (name, name))
            self.item(ko if self.locale == "ko" else en, value)


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

    doc.heading("client")
    doc.fields(client, ["name", "birth_date", "sex", "contact", "address", "life_stage", "characteristics"])
    doc.fields(client, ["interpreter_needed", "under14", "external_ref"])
    doc.heading("household", 3)
    for member in client.household or []:
        doc.lines.append(
            f"- {member.relation} ({_fmt(member.age_band, locale, zone)}), "
            f"co_resident={_fmt(member.co_resident, locale, zone)}, "
            f"main_carer={_fmt(member.is_main_carer, locale, zone)}"
        )
    doc.heading("guardians", 3)
    for guardian in client.guardians or []:
        doc.fields(guardian, ["name", "relationship_kind", "contact", "is_legal_representative", "notes"])

    doc.heading("case")
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
            "presenting_needs",
            "intake_summary",
            "referred_at",
            "intake_at",
            "classified_at",
            "episode",
            "closed_at",
            "retention_until",
        ],
    )

    def rows(model, *options):  # type: ignore[no-untyped-def]
        query = select(model).where(model.case_id == case.id).order_by(model.id)
        return list(db.scalars(query.options(*options)))

    doc.heading("consents")
    for consent in rows(Consent):
        doc.lines.append(f"### {consent.scope.label(locale)}")
        if consent.signer_name is None:
            doc.item(FIELDS["signer_name"][0 if locale == "ko" else 1], _l("signed_on_paper", locale))
        doc.fields(
            consent,
            [
                *(["signer_name"] if consent.signer_name is not None else []),
                "signer_relationship",
                "purposes",
                "items",
                "recipient_names",
                "retention",
                "refusal_notice_given",
                "method",
                "given_on",
                "expires_on",
                "withdrawn_at",
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
            ],
        )
        for rating in assessment.ratings:
            doc.lines.append(
                f"- {rating.domain.label(locale)}: {rating.severity}/4, "
                f"priority {_fmt(rating.client_priority, locale, zone)} — {_fmt(rating.narrative, locale, zone)}"
            )
    doc.heading("plans")
    for plan in rows(ServicePlan, selectinload(ServicePlan.goals), selectinload(ServicePlan.tasks)):
        doc.lines.append(f"### v{plan.version} ({_l('episode', locale)} {plan.episode})")
        doc.fields(plan, ["status", "period_start", "period_end", "review_due", "agreed_at", "author_id"])
        for goal in plan.goals:
            doc.lines.append(
                f"- {goal.domain.label(locale)}: {goal.description} — {goal.indicator} → {goal.target} "
                f"({goal.target_date})"
            )
        for task in plan.tasks:
            doc.lines.append(
                f"  - {task.action} ({task.responsible_party.label(locale)}, {task.due_date}, "
                f"{task.status.label(locale)})"
            )
    doc.heading("referrals")
    for referral in rows(Referral):
        doc.lines.append(f"### {resources.get(referral.resource_id, referral.resource_id)}")
        doc.fields(
            referral, ["domain", "reason", "status", "statutory_basis", "sent_at", "response_due", "outcome"]
        )
    doc.heading("notes")
    for note in rows(ContactNote):
        doc.lines.append(f"### {_fmt(note.contact_at, locale, zone)} {note.contact_type.label(locale)}")
        doc.fields(
            note,
            ["author_id", "participants", "outcome", "result", "summary", "next_action", "next_contact_on"],
        )
    doc.heading("closures")
    for closure in rows(Closure):
        doc.lines.append(f"### {closure.reason.label(locale)} ({_l('episode', locale)} {closure.episode})")
        doc.fields(
            closure,
            [
                "status",
                "client_evaluation",
                "worker_evaluation",
                "aftercare_plan",
                "requested_at",
                "decided_by_id",
                "decided_at",
            ],
        )
    doc.heading("aftercare")
    for check in rows(AfterCareCheck):
        doc.item(str(check.due_on), check.done_at or _l("none", locale))
    doc.heading("timeline")
    for event in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)):
        doc.lines.append(f"- {_fmt(event.at, locale, zone)} {event.event} ({doc.who(event.actor_id)})")
    doc.heading("access")
    access = db.scalars(select(AuditLog).where(AuditLog.case_id == case.id).order_by(AuditLog.id))
    for row in access:
        who = doc.who(row.actor_id) if row.actor_id else (row.actor_ref or "-")
        doc.lines.append(
            f"- {_fmt(row.at, locale, zone)} {row.action.label(locale)} {row.record} "
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
