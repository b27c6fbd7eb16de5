"""The monthly statistics as CSV, Markdown or an Excel workbook (one sheet per table, a native chart).

CSV is tidy and keeps the codes (`table,dim_1,dim_2,dim_3,measure,value`), for a spreadsheet or another
program; Markdown and the workbook show labels in the chosen language. None of them holds anything but
aggregates (models/services/stats.py).
"""

from __future__ import annotations

import csv
import io
from enum import Enum

from models.enums import (
    AssessmentKind,
    CaseIntensity,
    ClosureReason,
    ConferenceType,
    ContactKind,
    ContactType,
    NeedDomain,
    ReferralStatus,
    ResourceCategory,
    ResourceSector,
    Stage,
)
from models.services.stats import NONE, Report, Table

TITLES: dict[str, tuple[str, str]] = {
    "intake": ("신규 접수·의뢰", "New intakes and referrals-in"),
    "assessments": ("사정 완료", "Assessments completed"),
    "open_by_intensity": ("기간 말 진행 사례 (사례 구분별)", "Open cases at the end, by intensity"),
    "open_by_stage": ("기간 말 진행 사례 (단계별)", "Open cases at the end, by stage"),
    "closures": ("종결 (사유별)", "Closures by reason"),
    "contacts": ("상담·연락 (방법·구분별, 상담 시간)", "Contacts by type and kind, with minutes"),
    "referrals": ("서비스 연계 (분야·부문·상태별)", "Referrals by category, sector and status"),
    "unmet_needs": ("미충족 욕구 (영역별)", "Unmet needs by domain"),
    "conferences": ("사례회의 (유형별)", "Case conferences by type"),
    "aftercare": ("사후관리 점검", "After-care checks"),
    "deliveries": ("서비스 제공 (분류·재원별, 금액)", "Service deliveries by category and funding source"),
    "caseload": ("담당자별 사례 수", "Caseload per worker"),
    "trend": ("월별 추이", "Monthly trend"),
}
DIMENSIONS: dict[str, tuple[str, str]] = {
    "item": ("항목", "Item"),
    "assessment_kind": ("사정 구분", "Kind"),
    "intensity": ("사례 구분", "Intensity"),
    "stage": ("단계", "Stage"),
    "reason": ("종결 사유", "Reason"),
    "contact_type": ("연락 방법", "Contact type"),
    "kind": ("구분", "Kind"),
    "category": ("분야", "Category"),
    "sector": ("부문", "Sector"),
    "status": ("상태", "Status"),
    "domain": ("욕구 영역", "Domain"),
    "conference_type": ("회의 유형", "Conference type"),
    "funding_source": ("재원", "Funding source"),
    "worker": ("담당자(직원번호)", "Worker (staff no.)"),
    "month": ("월", "Month"),
}
MEASURES: dict[str, tuple[str, str]] = {
    "cases": ("사례 수", "Cases"),
    "completed": ("완료", "Completed"),
    "contacts": ("건수", "Contacts"),
    "minutes": ("상담 시간(분)", "Minutes"),
    "referrals": ("건수", "Referrals"),
    "needs": ("건수", "Needs"),
    "held": ("개최", "Held"),
    "checks": ("건수", "Checks"),
    "deliveries": ("제공 건수", "Deliveries"),
    "times": ("횟수", "Times"),
    "hours": ("시간", "Hours"),
    "amount_won": ("금액(원)", "Amount (won)"),
    "open_cases": ("진행 사례", "Open cases"),
    "weighted": ("가중 사례 수", "Weighted"),
    "new_intakes": ("신규 접수", "New intakes"),
    "closures": ("종결", "Closures"),
}
ITEMS: dict[str, tuple[str, str]] = {
    "NEW_INTAKES": ("신규 접수(초기상담)", "New intakes"),
    "REFERRALS_IN": ("의뢰 접수(발굴·의뢰)", "Referrals-in"),
    "DONE": ("점검 완료", "Checks done"),
    "UNREACHABLE": ("연락 불가", "Unreachable"),
}
ENUMS: dict[str, type[Enum]] = {
    "assessment_kind": AssessmentKind,
    "intensity": CaseIntensity,
    "stage": Stage,
    "reason": ClosureReason,
    "contact_type": ContactType,
    "kind": ContactKind,
    "category": ResourceCategory,
    "sector": ResourceSector,
    "status": ReferralStatus,
    "domain": NeedDomain,
    "conference_type": ConferenceType,
}
CSV_HEADER = ["table", "dim_1", "dim_2", "dim_3", "measure", "value"]


def _pick(pair: tuple[str, str], locale: str) -> str:
    return pair[0] if locale == "ko" else pair[1]


def label(dim: str, value: str, locale: str) -> str:
    """A dimension value as people read it: an enum's label, an item's name, else the value itself."""
    if value == NONE:
        return "미구분" if locale == "ko" else "Not set"
    enum = ENUMS.get(dim)
    if enum is not None:
        return enum(value).label(locale)  # type: ignore[attr-defined]
    if dim == "item":
        return _pick(ITEMS[value], locale)
    return value


def title(table: Table, locale: str) -> str:
    return _pick(TITLES[table.key], locale)


def heading(report: Report, locale: str) -> str:
    span = f"{report.period.start.isoformat()} – {report.period.end.isoformat()}"
    scope = report.team or ("기관 전체" if locale == "ko" else "whole agency")
    return ("사례관리 실적 통계" if locale == "ko" else "Case-management statistics") + f" · {span} · {scope}"


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for table in report.tables:
        for row in table.rows:
            dims = [str(v) for v in row[: len(table.dims)]]
            dims += [""] * (3 - len(dims))
            for measure, value in zip(table.measures, row[len(table.dims) :], strict=True):
                writer.writerow([table.key, *dims, measure, value])
    return buffer.getvalue()


def header_row(table: Table, locale: str) -> list[str]:
    return [_pick(DIMENSIONS[d], locale) for d in table.dims] + [
        _pick(MEASURES[m], locale) for m in table.measures
    ]


def display_rows(table: Table, locale: str) -> list[list[object]]:
    n = len(table.dims)
    return [
        [label(d, str(v), locale) for d, v in zip(table.dims, row[:n], strict=True)] + list(row[n:])
        for row in table.rows
    ]


def to_markdown(report: Report, locale: str = "ko") -> str:
    lines = [f"# {heading(report, locale)}", ""]
    for table in report.tables:
        lines += [f"## {title(table, locale)}", ""]
        if table.note is not None:
            lines += [f"_{table.note.text(locale)}_", ""]
        header = header_row(table, locale)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        rows = display_rows(table, locale)
        if not rows:
            lines.append("| " + " | ".join(["—"] + [""] * (len(header) - 1)) + " |")
        for row in rows:
            lines.append("| " + " | ".join(str(v) for v in row) + " |")
        lines.append("")
    return "\n".join(lines)


def to_xlsx(report: Report, locale: str = "ko") -> bytes:
    """One sheet per table (titled with its key, which Excel accepts), an overview sheet first, and a
    native line chart of the monthly trend on the trend sheet."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    overview = book.active
    overview.title = "overview"
    overview.append([heading(report, locale)])
    overview["A1"].font = Font(bold=True)
    overview.append([])
    for table in report.tables:
        overview.append([table.key, title(table, locale)])
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        # Row 1: the title (and why the table is empty, when it is by design); row 2: the header.
        sheet.append([title(table, locale), table.note.text(locale) if table.note else None])
        sheet["A1"].font = Font(bold=True)
        header_at = 2
        sheet.append(header_row(table, locale))
        for cell in sheet[header_at]:
            cell.font = Font(bold=True)
        for row in display_rows(table, locale):
            sheet.append(row)
        if table.key == "trend" and table.rows:
            chart = LineChart()
            chart.title = title(table, locale)
            chart.y_axis.title = "건" if locale == "ko" else "Count"
            first, last = header_at + 1, header_at + len(table.rows)
            counts = Reference(sheet, min_col=2, max_col=5, min_row=header_at, max_row=last)
            chart.add_data(counts, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
            chart.width, chart.height = 24, 12
            sheet.add_chart(chart, f"H{header_at}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
