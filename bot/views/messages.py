from __future__ import annotations

from datetime import date

from bot.i18n import t
from models.case import Case
from models.services.lifecycle import CaseState


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def help_blocks(locale: str) -> list[dict]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": t("help.title", locale)[:150]}},
        _section(t("help.intro", locale)),
        _section(t("help.commands", locale).strip()),
    ]


def case_list_blocks(rows: list[tuple[Case, CaseState]], locale: str, limit: int = 45) -> list[dict]:
    if not rows:
        return [_section(t("list.empty", locale))]
    blocks = [_section(t("list.header", locale, count=len(rows)))]
    for case, state in rows[:limit]:
        due = t("list.due", locale, date=_date(case.next_due_on)) if case.next_due_on else ""
        blocks.append(
            _section(
                t(
                    "list.line",
                    locale,
                    code=case.code,
                    stage=f"{state.stage.number}. {state.stage.label(locale)}",
                    next_step=state.next_step.label(locale),
                    due=due,
                )
            )
        )
    return blocks


def case_summary_blocks(case: Case, state: CaseState, locale: str) -> list[dict]:
    intensity = case.intensity.label(locale) if case.intensity else t("show.unclassified", locale)
    fields = [
        (t("show.status", locale), case.status.label(locale)),
        (t("show.stage", locale), f"{state.stage.number}. {state.stage.label(locale)}"),
        (t("show.next_step", locale), state.next_step.label(locale)),
        (t("show.intensity", locale), intensity),
    ]
    return [
        {"type": "header", "text": {"type": "plain_text", "text": t("show.title", locale, code=case.code)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]},
    ]


def _date(day: date) -> str:
    return day.isoformat()
