"""`/case household CODE` (가구): the case's household in a modal — the household's other cases the
viewer may see, its members (and those the intakes recorded) and need rating, also from the 가구 button
of the case summary — and, for the case manager or a team supervisor, linking
another case, making a household, adding or removing members, rating its needs, unlinking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.blocks import YES
from bot.views.households import (
    ALIASES,
    CREATE,
    HOUSEHOLD_BLOCKS,
    LINK,
    PERSON_AGE,
    PERSON_NAME,
    PERSON_RELATION,
    REMOVE_PEOPLE,
    UNLINK,
    household_modal,
    need_block,
    saved_modal,
)
from handlers.common import Invocation, open_for_clicked_case, submit_once
from models.enums import NeedDomain
from models.errors import InvalidInput, Message
from models.schemas import HouseholdInput
from models.services import households
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("household")(open_household)
    on.view(View.HOUSEHOLD, ack=submit_household)
    on.action(Action.OPEN_HOUSEHOLD, lazy=[open_from_show])


def open_household(call: Invocation) -> None:
    code = call.code("household")
    if code is None:
        return
    with call.uow() as db:
        shown = households.show(db, call.ctx(), code)
    call.open_modal(household_modal(shown, call.locale))


def open_from_show(turn: Turn) -> None:
    """The 가구 button in the case summary modal: the household modal on top of it."""

    def build(turn: Turn, ctx: Ctx, code: str) -> dict:
        with turn.uow() as db:
            return household_modal(households.show(db, ctx, code), turn.locale)

    open_for_clicked_case(turn, build)


def _code(turn: Turn) -> str:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    return meta.code if meta else ""  # no case has code "": the core's "not found"


def parse(form: dict[str, Any], ctx: Ctx) -> HouseholdInput:
    relation, age, name = form.get(PERSON_RELATION), form.get(PERSON_AGE), form.get(PERSON_NAME)
    if relation is None and (age is not None or name is not None):
        raise InvalidInput({PERSON_RELATION: Message("households.errors.relation_needed")})
    person = {"relation": relation, "age_band": age, "name": name} if relation is not None else None
    needs = {d.value: form[need_block(d)] for d in NeedDomain if form.get(need_block(d)) is not None}
    removed = [value for value in form.get(REMOVE_PEOPLE) or [] if value.isdigit()]
    # A pydantic error is turned into field errors by submit_once.
    return HouseholdInput.model_validate(
        {
            "unlink": YES in (form.get(UNLINK) or []),
            "create": YES in (form.get(CREATE) or []),
            "link_code": form.get(LINK),
            "person": person,
            "remove_person_ids": [int(value) for value in removed],
            "needs": needs,
        }
    )


def submit_household(turn: Turn) -> None:
    code, locale = _code(turn), turn.locale

    def work(db: Session, ctx: Ctx, form: HouseholdInput) -> dict[str, object]:
        shown = households.change(db, ctx, code, form)
        return {"code": shown.case_code, "household": shown.code, "others": list(shown.others)}

    outcome = submit_once(turn, blocks=HOUSEHOLD_BLOCKS, parse=parse, work=work, aliases=ALIASES)
    if outcome is None:
        return
    result, _ = outcome
    household = result["household"]
    others = [str(c) for c in result["others"]]  # type: ignore[attr-defined]
    view = saved_modal(locale, str(result["code"]), str(household) if household else None, others)
    turn.ack(response_action="update", view=view)
