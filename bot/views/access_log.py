"""A supervisor's review of who opened, changed or was refused the team's cases (a modal: private)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ids import View
from bot.views.blocks import context, divider, header, modal, section
from models.services.access_review import AccessReview

MAX_LINES = 20  # each line is a block of its own text; a modal holds 100 blocks


def access_review_modal(review: AccessReview, zone: ZoneInfo, locale: str) -> dict:
    k = "access_log."

    def when(row) -> str:  # type: ignore[no-untyped-def]
        return row.at.astimezone(zone).strftime("%m-%d %H:%M")

    def who(row) -> str:  # type: ignore[no-untyped-def]
        return review.names.get(row.actor_id, "") if row.actor_id else (row.actor_ref or "-")

    blocks = [
        header(t(k + "header", locale)),
        context(t(k + "since", locale, date=review.since.astimezone(zone).date().isoformat())),
    ]
    if not review.by_person:
        blocks.append(section(t(k + "empty", locale)))
    else:
        people = "\n".join(
            t(k + "person", locale, who=name, reads=reads, writes=writes)
            for name, reads, writes in review.by_person[:MAX_LINES]
        )
        blocks += [section(f"*{t(k + 'by_person', locale)}*\n{people}"), divider()]
        refused = "\n".join(
            t(k + "refusal", locale, when=when(r), who=who(r), code=r.case_code or "-")
            for r in review.refusals[:MAX_LINES]
        )
        blocks.append(section(f"*{t(k + 'refusals', locale)}*\n{refused or t(k + 'none', locale)}"))
        blocks.append(divider())
        recent = "\n".join(
            t(
                k + "entry",
                locale,
                when=when(r),
                who=who(r),
                action=r.action.label(locale),
                code=r.case_code or "-",
            )
            for r in review.recent
        )
        blocks.append(section(f"*{t(k + 'recent', locale)}*\n{recent}"))
    blocks.append(context(t(k + "cli_hint", locale)))
    return modal(View.ACCESS_LOG, t(k + "title", locale), blocks, close=t(k + "close", locale))
