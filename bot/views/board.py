"""The team board in the team's channel: what is due today or overdue, by case manager and case code.

Case codes, what is due and since when, and staff names only: the channel keeps this in its history
(R1). Each item's button is the one the Home and the nudges use, so the dialogue's own handler opens
it and refuses anyone who may not act on the case. Always ≤50 blocks: beyond that, "and N more".
"""

from __future__ import annotations

from bot.i18n import t
from bot.ids import Action
from bot.metadata import CaseRef
from bot.views import blocks as b
from models.services.board import Board, BoardItem, BoardKind

# The dialogue each item opens, and its button's label.
OPENS: dict[BoardKind, tuple[Action, str]] = {
    BoardKind.CONTACT: (Action.OPEN_NOTE, "board.button.contact"),
    BoardKind.PLAN_REVIEW: (Action.OPEN_PLAN, "board.button.plan_review"),
    BoardKind.AFTERCARE: (Action.OPEN_AFTERCARE, "board.button.aftercare"),
}
HEAD_BLOCKS = 2  # header and context
MORE_BLOCKS = 1  # room kept for the "and N more" line


def board_message(board: Board, locale: str) -> tuple[str, list[dict]]:
    """The text (notification fallback) and blocks of the team's post for `board.day`."""
    day = board.day.isoformat()
    text = t("board.text", locale, team=board.team_name, date=day, count=board.total)
    blocks = [
        b.header(t("board.header", locale, team=board.team_name, date=day)),
        b.context(t("board.intro", locale)),
    ]
    if not board.groups:
        blocks.append(b.section(t("board.nothing_due", locale)))
        return text, blocks

    budget = b.LIMITS["blocks_message"] - HEAD_BLOCKS - MORE_BLOCKS
    shown = 0
    for group in board.groups:
        if budget < 2:  # a manager's heading is worth showing only with at least one item under it
            break
        blocks.append(b.section(t("board.manager", locale, name=group.name, count=len(group.items))))
        budget -= 1
        for item in group.items:
            if budget < 1:
                break
            blocks.append(_item_block(item, locale))
            budget -= 1
            shown += 1
    hidden = board.total - shown
    if hidden > 0:
        blocks.append(b.context(t("board.more", locale, count=hidden)))
    return text, blocks


def item_line(item: BoardItem, locale: str) -> str:
    what = t(f"board.kind.{item.kind.value}", locale)
    if item.days_overdue > 0:
        when = t("board.overdue", locale, days=item.days_overdue, date=item.due_on.isoformat())
    else:
        when = t("board.due_today", locale)
    return t("board.line", locale, code=item.code, what=what, when=when)


def _item_block(item: BoardItem, locale: str) -> dict:
    action, label = OPENS[item.kind]
    style = "danger" if item.days_overdue > 0 else None
    return b.section(
        item_line(item, locale),
        accessory=b.button(t(label, locale), action, CaseRef(code=item.code).dump(), style=style),
    )


def channel_reply(team: str, channel_id: str | None, previous: str | None, here: str, locale: str) -> str:
    """The linker's private answer: what the link is now, and to invite the bot to a new channel."""
    if channel_id is None:
        if previous is None:
            return t("board.channel.none", locale, team=team)
        return t("board.channel.unlinked", locale, team=team, channel=_mention(previous))
    if channel_id == previous:
        line = t("board.channel.current", locale, team=team, channel=_mention(channel_id))
        if channel_id != here:
            line += "\n" + t("board.channel.how", locale)
        return line
    line = t("board.channel.linked", locale, team=team, channel=_mention(channel_id))
    if previous:
        line += "\n" + t("board.channel.moved", locale, channel=_mention(previous))
    return line + "\n" + t("board.channel.invite", locale)


def channel_problem(team: str, channel_id: str, error: str, locale: str) -> str:
    """The DM to a team's supervisors and admins when the board cannot be posted in its channel."""
    key = "board.problem.not_in_channel" if error == "not_in_channel" else "board.problem.other"
    return t(key, locale, team=team, channel=_mention(channel_id), error=error)


def _mention(channel_id: str) -> str:
    return f"<#{channel_id}>"
