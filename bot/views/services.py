"""The service-provision modal (서비스 제공기록, `/case serve CODE`): pure functions of what is passed in.

Block ids are the core's field names (`delivered_on`, `amount_won` …), so the core's field errors land
on the input they are about. Under PROFILE=school the student's running totals against the caps are
shown, and a confirmation box takes the warning when a delivery would pass one.
"""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef
from bot.views.blocks import (
    YES,
    Block,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    number_input,
    section,
    select,
    text_input,
)
from models.enums import ResourceCategory, ServiceUnit
from models.services.context import funding_label
from models.services.deliveries import TOTAL, DeliveryChoices

SERVE_BLOCKS = [
    "delivered_on",
    "category",
    "description",
    "quantity",
    "unit",
    "amount_won",
    "funding_source",
    "provider_resource_id",
    "provider_staff_id",
    "plan_task_id",
    "referral_id",
    "over_cap_confirmed",
]


def _won(amount: int) -> str:
    return f"₩{amount:,}"


def serve_modal(choices: DeliveryChoices, locale: str, *, today_iso: str) -> dict:
    k = "serve.modal."

    def label(key: str, **values: object) -> str:
        return t(k + key, locale, **values)

    blocks: list[Block] = [
        header(choices.code),
        date_input("delivered_on", label("delivered_on"), hint=label("delivered_on_hint")),
        select("category", label("category"), [(c.label(locale), c.value) for c in ResourceCategory]),
        text_input("description", label("description"), max_length=200, hint=label("description_hint")),
        number_input("quantity", label("quantity"), minimum=1, maximum=100_000, initial=1),
        select(
            "unit",
            label("unit"),
            [(u.label(locale), u.value) for u in ServiceUnit],
            initial=ServiceUnit.TIMES.value,
        ),
        number_input("amount_won", label("amount_won"), minimum=0, maximum=1_000_000_000, initial=0),
        select(
            "funding_source",
            label("funding_source"),
            [(funding_label(f, locale), f) for f in choices.funding_sources],
        ),
    ]
    if choices.resources:
        blocks.append(
            select(
                "provider_resource_id",
                label("provider_resource"),
                [(c.label, c.value) for c in choices.resources[:100]],
                optional=True,
                hint=label("provider_hint"),
            )
        )
    if choices.staff:
        blocks.append(
            select(
                "provider_staff_id",
                label("provider_staff"),
                [(c.label, c.value) for c in choices.staff[:100]],
                optional=True,
            )
        )
    if choices.tasks:
        blocks.append(
            select(
                "plan_task_id",
                label("task"),
                [(c.label, c.value) for c in choices.tasks[:100]],
                optional=True,
            )
        )
    if choices.referrals:
        blocks.append(
            select(
                "referral_id",
                label("referral"),
                [(c.label, c.value) for c in choices.referrals[:100]],
                optional=True,
            )
        )
    if choices.school:
        lines = [
            label(
                "cap_line",
                what=t("serve.cap.total", locale)
                if s.key == TOTAL
                else ResourceCategory(s.key).label(locale),
                spent=_won(s.spent),
                cap=_won(s.cap),
                left=_won(max(s.left, 0)),
            )
            for s in choices.school
        ]
        blocks.append(section(label("caps_title") + "\n" + "\n".join(lines)))
        blocks.append(checkboxes("over_cap_confirmed", label("over_cap"), [(label("over_cap_option"), YES)]))
    blocks.append(context(label("privacy")))
    return modal(
        View.SERVE,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=CaseRef(code=choices.code).dump(),
    )


def serve_done_modal(locale: str, code: str, amount: int, funding: str) -> dict:
    blocks: list[Block] = [
        header(code),
        section(
            t(
                "serve.done.text",
                locale,
                code=code,
                amount=_won(amount),
                funding=funding_label(funding, locale),
            )
        ),
    ]
    return modal(View.DONE, t("serve.done.title", locale), blocks)
