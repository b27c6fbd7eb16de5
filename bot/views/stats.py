"""`/case stats` in a modal: the team's month, table by table, aggregates only."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import StatsMonth
from bot.views.blocks import Block, actions, button, context, cut, divider, header, modal, section
from models.services import stats_output
from models.services.stats import Report


def stats_modal(report: Report, locale: str) -> dict:
    span = f"{report.period.start.isoformat()} – {report.period.end.isoformat()}"
    month = report.period.start.strftime("%Y-%m")
    blocks: list[Block] = [
        header(t("stats.modal.heading", locale, team=report.team or "-")),
        context(t("stats.modal.period", locale, period=span)),
        actions(
            button(t("stats.modal.download", locale), Action.STATS_DOWNLOAD, StatsMonth(month=month).dump()),
        ),
    ]
    for table in report.tables:
        heads = stats_output.header_row(table, locale)
        n = len(table.dims)
        lines = []
        for row in stats_output.display_rows(table, locale):
            figures = " · ".join(f"{name} {value:,}" for name, value in zip(heads[n:], row[n:], strict=True))
            lines.append(f"• {' / '.join(str(v) for v in row[:n])}: {figures}")
        if table.note is not None:
            lines.append(f"_{table.note.text(locale)}_")
        body = "\n".join(lines) or t("stats.modal.none", locale)
        blocks += [divider(), section(cut(f"*{stats_output.title(table, locale)}*\n{body}", 3000))]
    blocks.append(context(t("stats.modal.footer", locale)))
    return modal(
        View.STATS, t("stats.modal.title", locale), blocks[:100], close=t("stats.modal.close", locale)
    )


def download_modal(locale: str, text: str) -> dict:
    """Pushed over the statistics: the one-time link (or how to make the workbook without one)."""
    return modal(
        View.STATS_DOWNLOAD,
        t("stats.download.title", locale),
        [section(text)],
        close=t("stats.modal.close", locale),
    )
