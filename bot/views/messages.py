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
        # Each date with its own task (as on the Home): the next step's, then the earliest task's.
        step_on = item.next_step_due_on
        due = (
            t("list.due", locale, date=_date(step_on), late=_late(item.days_late(step_on), locale))
            if step_on
            else ""
        )
        first = item.first_due
        if first is not None:
            first_text = t(
                "list.first",
                locale,
                what=first.kind.label(locale),
                date=_date(first.on),
                late=_late(item.days_late(first.on), locale),
            )
        elif item.next_due_on and item.next_due_kind is None and not step_on:
            first_text = t(
                "list.due", locale, date=_date(item.next_due_on), late=""
            )  # stored before tasks were
        else:
            first_text = ""
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
                    first=first_text,
                )
            )
        )
    return blocks


def _date(day: date) -> str:
    return day.isoformat()


def _late(days: int, locale: str) -> str:
    return t("list.late", locale, days=days) if days > 0 else ""
