"""`/case report CODE` (신고): the mandatory abuse reports of a case and a form to record one.

A modal, private to the person who opened it (a member of the case's circle: the caller loads the
case through `access`): the earlier reports with who made them, then the new report's date and time,
where it went and the reference number. Nothing of it is ever posted with chat.* (R1, R12).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import context, date_input, header, modal, section, select, text_input, time_input
from models.enums import ReportAgency
from models.services.reports import CaseReports

REPORT_BLOCKS = ["reported_on", "reported_time", "agency", "reference"]


def report_modal(locale: str, reports: CaseReports, zone: ZoneInfo, *, now: datetime) -> dict:
    k = "reports.modal."
    earlier = [
        t(
            k + "line",
            locale,
            when=line.reported_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            agency=line.agency.label(locale),
            reference=line.reference,
            reporter=line.reporter,
        )
        for line in reports.lines
    ]
    local = now.astimezone(zone)
    blocks = [
        header(reports.code),
        section(t(k + "intro", locale)),
        section("\n".join(earlier) if earlier else t(k + "none", locale)),
        context(t(k + "secret", locale)),
        date_input("reported_on", t(k + "reported_on", locale), initial=local.date()),
        time_input("reported_time", t(k + "reported_time", locale), timezone=zone.key),
        select("agency", t(k + "agency", locale), [(a.label(locale), a.value) for a in ReportAgency]),
        text_input(
            "reference", t(k + "reference", locale), max_length=100, hint=t(k + "reference_hint", locale)
        ),
    ]
    return modal(
        View.REPORT,
        t(k + "title", locale),
        blocks,
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=CaseRef(code=reports.code).dump(),
    )


def report_saved_modal(locale: str, code: str) -> dict:
    return modal(
        View.DONE,
        t("reports.modal.title", locale),
        [section(t("reports.saved", locale, code=code))],
        close=t("reports.modal.close", locale),
    )
