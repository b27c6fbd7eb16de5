"""The admin's desk in Slack: add and deactivate staff, import the resource directory, mark a
resource verified. The desk itself is the admin's App Home (handlers/home.py); each change is
audited by models/services/admin_desk.py and the Home is published again after it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from bot import notify
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import ResourceRef
from bot.views.admin import (
    add_staff_modal,
    deactivate_modal,
    done_modal,
    edit_staff_modal,
    import_modal,
    resource_modal,
)
from bot.views.blocks import YES
from handlers.common import submit_once
from handlers.home import publish_home
from models.enums import StaffRole, Surface
from models.schemas import ResourceInput, StaffInput
from models.services import admin_desk
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.action(Action.ADMIN_ADD_STAFF, lazy=[open_add])
    on.action(Action.ADMIN_DEACTIVATE, lazy=[open_deactivate])
    on.action(Action.ADMIN_EDIT_STAFF, lazy=[open_edit_staff])
    on.view(View.ADMIN_EDIT_STAFF, ack=submit_edit_staff, lazy=[refresh_home])
    on.action(Action.ADMIN_IMPORT, lazy=[open_import])
    on.action(Action.ADMIN_VERIFY, lazy=[verify])
    on.action(Action.ADMIN_ADD_RESOURCE, lazy=[open_add_resource])
    on.action(Action.ADMIN_EDIT_RESOURCE, lazy=[open_edit_resource])
    on.view(View.ADMIN_RESOURCE, ack=submit_resource, lazy=[refresh_home])
    on.view(View.ADMIN_ADD_STAFF, ack=submit_add, lazy=[refresh_home])
    on.view(View.ADMIN_DEACTIVATE, ack=submit_deactivate, lazy=[refresh_home, tell_reassigned])
    on.view(View.ADMIN_IMPORT, ack=submit_import, lazy=[refresh_home])


def _open(turn: Turn, build: Any) -> None:
    """A modal of the desk, for admins; anyone else is refused (audited, told by bot.listeners)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    ctx = turn.ctx(Surface.BUTTON)
    with turn.uow():
        admin_desk.require_admin(ctx, "open the admin desk")
    turn.client.views_open(trigger_id=turn.trigger_id, view=build(turn.locale))


def open_add(turn: Turn) -> None:
    _open(turn, add_staff_modal)


def open_edit_staff(turn: Turn) -> None:
    _open(turn, edit_staff_modal)


class _StaffChange(BaseModel):
    member: str
    display_name: str | None = Field(None, max_length=100)
    role: StaffRole | None = None
    team: str | None = Field(None, max_length=100)


def submit_edit_staff(turn: Turn) -> None:
    def parse(form: dict[str, Any], ctx: Ctx) -> _StaffChange:
        return _StaffChange(
            member=form.get("member") or "",
            display_name=form.get("display_name"),
            role=form.get("role"),
            team=form.get("team"),
        )

    def work(db: Session, ctx: Ctx, data: _StaffChange) -> dict[str, object]:
        change = admin_desk.StaffChange(data.member, data.display_name, data.role, data.team)
        return {"name": admin_desk.edit_staff(db, ctx, change).display_name}

    locale = turn.locale
    outcome = submit_once(turn, blocks=["member", "display_name", "role", "team"], parse=parse, work=work)
    _done(turn, outcome, lambda r: t("admin.edit.done", locale, name=r["name"]))


def open_deactivate(turn: Turn) -> None:
    _open(turn, deactivate_modal)


def open_import(turn: Turn) -> None:
    _open(turn, import_modal)


def open_add_resource(turn: Turn) -> None:
    _open(turn, resource_modal)


def open_edit_resource(turn: Turn) -> None:
    clicked = ResourceRef.read(turn.action.get("value"))
    if turn.actor is None or clicked is None:
        return
    ctx = turn.ctx(Surface.APP_HOME)
    with turn.uow() as db:
        form = admin_desk.resource_form(db, ctx, clicked.resource_id)
    view = resource_modal(turn.locale, form, clicked.resource_id)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def submit_resource(turn: Turn) -> None:
    editing = ResourceRef.read(turn.view.get("private_metadata"))
    resource_id = editing.resource_id if editing else None

    def parse(form: dict[str, Any], ctx: Ctx) -> ResourceInput:
        return ResourceInput(
            name=form.get("name") or "",
            category=form.get("category") or "",
            sector=form.get("sector") or "",
            contact=form.get("contact"),
            eligibility=form.get("eligibility"),
            capacity=form.get("capacity"),
            has_mou="yes" in (form.get("has_mou") or []),
        )

    def work(db: Session, ctx: Ctx, data: ResourceInput) -> dict[str, object]:
        return {"name": admin_desk.save_resource(db, ctx, data, resource_id).name}

    locale = turn.locale
    outcome = submit_once(
        turn,
        blocks=["name", "category", "sector", "contact", "eligibility", "capacity", "has_mou"],
        parse=parse,
        work=work,
    )
    _done(turn, outcome, lambda r: t("admin.resource.done", locale, name=r["name"]))


def verify(turn: Turn) -> None:
    clicked = ResourceRef.read(turn.action.get("value"))
    if turn.actor is None or clicked is None:
        return
    ctx = turn.ctx(Surface.APP_HOME)
    with turn.uow() as db:
        admin_desk.verify_resource(db, ctx, clicked.resource_id)
    publish_home(turn, page=0)


def _done(turn: Turn, outcome: tuple[dict[str, object], bool] | None, text: Any) -> None:
    if outcome is None:
        return  # answered with field errors
    result, first_time = outcome
    turn.ack(response_action="update", view=done_modal(turn.locale, text(result)))
    if first_time:
        turn.pass_on(home=True)


def submit_add(turn: Turn) -> None:
    def parse(form: dict[str, Any], ctx: Ctx) -> StaffInput:
        return StaffInput(
            slack_user_id=form.get("slack_user_id") or "",
            display_name=form.get("display_name") or "",
            role=form.get("role") or "",
            team=form.get("team") or "",
        )

    def work(db: Session, ctx: Ctx, data: StaffInput) -> dict[str, object]:
        member = admin_desk.add_staff(db, ctx, data)
        return {"name": member.display_name, "team": data.team, "role": data.role.value}

    locale = turn.locale
    outcome = submit_once(
        turn, blocks=["slack_user_id", "display_name", "role", "team"], parse=parse, work=work
    )
    _done(
        turn,
        outcome,
        lambda r: t(
            "admin.add.done",
            locale,
            name=r["name"],
            team=r["team"],
            role=StaffRole(str(r["role"])).label(locale),
        ),
    )


class _Departure(BaseModel):
    member: str
    reassign_to: str | None = None
    leave_unassigned: bool = False


def submit_deactivate(turn: Turn) -> None:
    """Cases the person still manages are named in a field error until someone is picked to take
    them over (each transferred, both people told by DM) or "leave unassigned" is ticked."""

    def parse(form: dict[str, Any], ctx: Ctx) -> _Departure:
        return _Departure(
            member=form.get("member") or "",
            reassign_to=form.get("reassign_to") or None,
            leave_unassigned=YES in (form.get("leave_unassigned") or []),
        )

    def work(db: Session, ctx: Ctx, data: _Departure) -> dict[str, object]:
        done = admin_desk.deactivate(
            db, ctx, data.member, reassign_to=data.reassign_to, leave_unassigned=data.leave_unassigned
        )
        return {
            "name": done.member.display_name,
            "moved": [[n.code, [list(p) for p in n.people]] for n in done.moved],
            "to": done.to.slack_user_id if done.to else None,
            "left": done.left,
        }

    locale = turn.locale
    outcome = submit_once(turn, blocks=["member", "reassign_to", "leave_unassigned"], parse=parse, work=work)
    if outcome is None:
        return
    result, first_time = outcome
    turn.ack(response_action="update", view=done_modal(turn.locale, _departure_text(result, locale)))
    if first_time:
        turn.pass_on(home=True, moved=result["moved"], to=result["to"])


def _departure_text(result: dict[str, Any], locale: str) -> str:
    lines = [t("admin.deactivate.done", locale, name=result["name"])]
    if result["moved"]:
        codes = ", ".join(code for code, _ in result["moved"])
        lines.append(t("admin.deactivate.moved", locale, codes=codes, to=f"<@{result['to']}>"))
    if result["left"]:
        lines.append(t("admin.deactivate.left", locale, codes=", ".join(result["left"])))
    return "\n".join(lines)


def tell_reassigned(turn: Turn) -> None:
    """Each case handed over: both case managers by DM, as the transfer dialogue tells them."""
    outcome = turn.outcome
    if outcome is None or not outcome.get("to"):
        return
    for code, people in outcome.get("moved") or []:
        notify.tell_transfer(turn.client, str(code), people, str(outcome["to"]))


class _Csv(BaseModel):
    csv: str


def submit_import(turn: Turn) -> None:
    def work(db: Session, ctx: Ctx, data: _Csv) -> dict[str, object]:
        report = admin_desk.import_resources(db, ctx, data.csv)
        return {"created": report.created, "updated": report.updated}

    locale = turn.locale
    outcome = submit_once(
        turn, blocks=["csv"], parse=lambda form, ctx: _Csv(csv=form.get("csv") or ""), work=work
    )
    _done(
        turn,
        outcome,
        lambda r: t("admin.import.done", locale, created=r["created"], updated=r["updated"]),
    )


def refresh_home(turn: Turn) -> None:
    """After a change saved for the first time: the desk shows it."""
    if turn.outcome is not None:
        publish_home(turn, page=0)
