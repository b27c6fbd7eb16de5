"""The monthly statistics as CSV, Markdown or an Excel workbook (one sheet per table, a native chart).

CSV is tidy and keeps the codes (`table,dim_1,dim_2,dim_3,measure,value`), for a spreadsheet or another
program; Markdown and the workbook show labels in the chosen language (`locale`, Korean by default:
titles, headings and labels come from the catalogs, `stats.report.*`). None of them holds anything but
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
    ReportAgency,
    ResourceCategory,
    ResourceSector,
    Stage,
)
from models.services.context import funding_label
from models.services.stats import NONE, Report, Table
from models.text import t

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
    "agency": ReportAgency,
}
CSV_HEADER = ["table", "dim_1", "dim_2", "dim_3", "measure", "value"]


def label(dim: str, value: str, locale: str = "ko") -> str:
    """A dimension value as people read it: an enum's label, an item's or a default funding source's
    name, else the value itself."""
    if value == NONE:
        return t("stats.report.not_set", locale)
    enum = ENUMS.get(dim)
    if enum is not None:
        return enum(value).label(locale)  # type: ignore[attr-defined]
    if dim == "item":
        return t(f"stats.report.item.{value}", locale)
    if dim == "funding_source":
        return funding_label(value, locale)
    return value


def title(table: Table | str, locale: str = "ko") -> str:
    """The title of a table (or of the table with this key)."""
    key = table if isinstance(table, str) else table.key
    return t(f"stats.report.title.{key}", locale)


def heading(report: Report, locale: str = "ko") -> str:
    span = f"{report.period.start.isoformat()} – {report.period.end.isoformat()}"
    scope = report.team or t("stats.report.whole_agency", locale)
    return t("stats.report.heading", locale, span=span, scope=scope)


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


def header_row(table: Table, locale: str = "ko") -> list[str]:
    return [t(f"stats.report.dimension.{d}", locale) for d in table.dims] + [
        t(f"stats.report.measure.{m}", locale) for m in table.measures
    ]


def display_rows(table: Table, locale: str = "ko") -> list[list[object]]:
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
            chart.y_axis.title = t("stats.report.chart_axis", locale)
            first, last = header_at + 1, header_at + len(table.rows)
            counts = Reference(sheet, min_col=2, max_col=5, min_row=header_at, max_row=last)
            chart.add_data(counts, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
            chart.width, chart.height = 24, 12
            sheet.add_chart(chart, f"H{header_at}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
