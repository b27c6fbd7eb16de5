"""The supervisor's notice of cases due for destruction (R10): case codes and dates only (R1)."""

from __future__ import annotations

from bot.i18n import t
from bot.views.blocks import LIMITS, context, header, section
from models.services.retention import DueForDestruction

SHOWN = 40  # a section holds 3,000 characters


def destruction_notice(items: list[DueForDestruction], locale: str) -> tuple[str, list[dict]]:
    title = t("retention.notice.title", locale, count=len(items))
    lines = [
        t("retention.notice.line", locale, code=i.code, date=i.destroy_on.isoformat(), days=i.days)
        for i in items[:SHOWN]
    ]
    if len(items) > SHOWN:
        lines.append(t("retention.notice.more", locale, count=len(items) - SHOWN))
    blocks = [header(title), section("\n".join(lines)), context(t("retention.notice.hold", locale))]
    return title, blocks[: LIMITS["blocks_message"]]
