"""Digest messages: case codes, kinds and counts only (they stay in the DM history)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.i18n import t
from bot.views.blocks import LIMITS, header, section
from bot.views.supervision import unsupervised_text
from models.services.desk import TeamCaseload
from models.services.digest import DueLine

UNDELIVERED_SHOWN = 20  # a section holds 3,000 characters


def daily(lines: list[DueLine], today: date, locale: str) -> tuple[str, list[dict]]:
    """Only sent when something is due (an empty digest every morning would be noise). Each line is a
    task with its own deadline: overdue ones with the days since it, then today's, then tomorrow's."""
    title = t("digest.daily.title", locale, today=today.isoformat())
    blocks = [header(title)]
    tomorrow = today + timedelta(days=1)
    sections = (
        ("digest.daily.overdue", [line for line in lines if line.due_on < today]),
        ("digest.daily.today", [line for line in lines if line.due_on == today]),
        ("digest.daily.tomorrow", [line for line in lines if line.due_on == tomorrow]),
    )
    for label, items in sections:
        if items:
            text = "\n".join(_line(i, today, locale) for i in items)
            blocks.append(section(f"{t(label, locale)}\n{text}"))
    return title, blocks[: LIMITS["blocks_message"]]


def _line(line: DueLine, today: date, locale: str) -> str:
    text = t("digest.daily.line", locale, code=line.code, what=line.kind.label(locale))
    if line.due_on < today:
        text += t("digest.daily.late", locale, date=line.due_on.isoformat(), days=line.days_late(today))
    return text


def weekly(caseload: TeamCaseload, today: date, locale: str) -> tuple[str, list[dict]]:
    title = t("digest.weekly.title", locale, today=today.isoformat())
    lines = [
        t(
            "digest.weekly.line",
            locale,
            name=w.name,
            flag=t("supervision.load.over_flag", locale) if w.over else "",
            open=w.open_cases,
            weighted=f"{round(w.weighted, 1):g}",
            threshold=f"{w.threshold:g}",
            crisis=w.crisis,
            overdue=w.overdue,
        )
        for w in caseload.workers
    ]
    blocks = [header(title), section("\n".join(lines) or "-")]
    over = caseload.over_threshold
    if over:
        names = ", ".join(w.name for w in over)
        blocks.append(
            section(
                t(
                    "supervision.load.over",
                    locale,
                    count=len(over),
                    names=names,
                    threshold=f"{caseload.threshold:g}",
                )
            )
        )
    if caseload.unsupervised:
        blocks.append(section(unsupervised_text(caseload, locale)))
    if caseload.unassigned:
        blocks.append(section(t("digest.weekly.unassigned", locale, count=len(caseload.unassigned))))
    if caseload.approvals:
        blocks.append(section(t("digest.weekly.approvals", locale, count=len(caseload.approvals))))
    if caseload.undelivered:
        items = [
            t(
                "digest.weekly.undelivered_line",
                locale,
                code=u.case_code or "-",
                what=u.kind.label(locale),
                why=t(
                    "digest.weekly.channel_gone"
                    if u.reason in ("channel_not_found", "is_archived")
                    else "digest.weekly.recipient_gone",
                    locale,
                ),
            )
            for u in caseload.undelivered[:UNDELIVERED_SHOWN]
        ]
        more = len(caseload.undelivered) - len(items)
        if more > 0:
            items.append(t("digest.weekly.undelivered_more", locale, count=more))
        heading = t("digest.weekly.undelivered", locale, count=len(caseload.undelivered))
        blocks.append(section(heading + "\n" + "\n".join(items)))
    return title, blocks
