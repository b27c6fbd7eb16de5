from __future__ import annotations

from datetime import date
from functools import cache

from bot.i18n import LOCALES, catalog, t, words
from models.services.desk import Desk


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


HELP_LINES_PER_SECTION = 8  # a section holds 3000 characters


@cache
def help_commands() -> tuple[str, ...]:
    """The /case commands help lists, in the catalog's order (`help.command.<name>`)."""
    prefix = "help.command."
    return tuple(key[len(prefix) :] for key in catalog("ko") if key.startswith(prefix))


def help_line(name: str, locale: str) -> str:
    """`/case new (접수, 신규) — what it does`: the command, the other words that run it (Korean in every
    language: they work whatever the reader's language), and what it does."""
    others = [word for word in dict.fromkeys(words(f"commands.aliases.{name}")) if word != name]
    return t(
        "help.line",
        locale,
        name=name,
        args=catalog(locale).get(f"help.args.{name}", ""),
        aliases=t("help.aliases", locale, words="`, `".join(others)) if others else "",
        what=t(f"help.command.{name}", locale),
    )


def help_blocks(locale: str) -> list[dict]:
    """The help of `/case`, answered in the command's ack: built once per language from the catalogs
    (which never change while the process runs). Building it took 0.3 ms of each ack, more than the
    rest of the ack's own work; callers get a list of their own, of shared blocks they do not change."""
    return list(_help_blocks(locale if locale in LOCALES else "ko"))


@cache
def _help_blocks(locale: str) -> tuple[dict, ...]:
    lines = [help_line(name, locale) for name in help_commands()]
    return (
        {"type": "header", "text": {"type": "plain_text", "text": t("help.title", locale)[:150]}},
        _section(t("help.intro", locale)),
        *(
            _section("\n".join(lines[i : i + HELP_LINES_PER_SECTION]))
            for i in range(0, len(lines), HELP_LINES_PER_SECTION)
        ),
    )


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
                    next_step=item.state.next_step_label(locale),
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
