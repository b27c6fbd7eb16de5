from __future__ import annotations

from datetime import date

from bot.i18n import t
from models.services.desk import Desk


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def help_blocks(locale: str) -> list[dict]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": t("help.title", locale)[:150]}},
        _section(t("help.intro", locale)),
        _section(t("help.commands", locale).strip()),
    ]


def case_list_blocks(desk: Desk, locale: str) -> list[dict]:
    """The first page of "my cases" (the App Home shows them all, paged)."""
    total = sum(desk.counts.values())
    if not total:
        return [_section(t("list.empty", locale))]
    blocks = [_section(t("list.header", locale, count=total))]
    for item in desk.items:
        due = t("list.due", locale, date=_date(item.next_due_on)) if item.next_due_on else ""
        stage = f"{item.state.stage.number}. {item.state.stage.label(locale)}"
        blocks.append(
            _section(
                t(
                    "list.line",
                    locale,
                    code=item.code,
                    stage=stage,
                    next_step=item.state.next_step.label(locale),
                    due=due,
                )
            )
        )
    return blocks


def _date(day: date) -> str:
    return day.isoformat()
