"""The App Home (desk, team caseload, paging) and the case summary modal behind the View button."""

from __future__ import annotations

import logging

from bot.i18n import t
from bot.ids import Action
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef, PageRef
from bot.views.admin import admin_home
from bot.views.home import home_view, not_registered_home, notice_home
from bot.views.show import show_error_modal, show_modal
from models.enums import StaffRole, Surface
from models.errors import DomainError
from models.services import admin_desk, desk

log = logging.getLogger("casebot")


def register(on: Listeners) -> None:
    on.event("app_home_opened", lazy=[home_opened])
    on.action(Action.HOME_PAGE, lazy=[home_page])
    on.action(Action.OPEN_SHOW, lazy=[show_button])


def home_opened(turn: Turn) -> None:
    # Retries: Bolt acknowledges events before the listener runs, so Slack retries only when it got no
    # timely 2xx. After `http_timeout` the first delivery reached us and publishes (or published) the
    # same Home, so the retry is dropped without touching the database. After a connection failure or
    # an error status the first delivery may never have run; republishing is harmless, so it is done.
    # (A dedupe table keyed by event_id would cost a write on every Home opening for no gain here.)
    if turn.retry_reason == "http_timeout":
        return
    event = turn.body.get("event") or {}
    if event.get("tab", "home") != "home":
        return  # the Messages tab opened: nothing to publish
    publish_home(turn, page=0)


def home_page(turn: Turn) -> None:
    clicked = PageRef.read(turn.action.get("value"))
    publish_home(turn, page=clicked.page if clicked else 0)  # the first page for anything but a page


def publish_home(turn: Turn, *, page: int) -> None:
    actor, locale = turn.actor, turn.locale
    if actor is None:
        view = not_registered_home(locale)
    else:
        ctx = turn.ctx(Surface.APP_HOME)
        try:
            with turn.uow() as db:
                if actor.role == StaffRole.ADMIN:  # the admin desk: staff and resources, no cases
                    directory = admin_desk.directory(db, ctx)
                    view = admin_home(locale, name=actor.display_name, directory=directory)
                else:
                    caseload = desk.team_caseload(db, ctx) if actor.role == StaffRole.SUPERVISOR else None
                    mine = desk.my_desk(db, ctx, page=page)
                    tasks = desk.my_open_tasks(db, ctx)
                    view = home_view(
                        locale,
                        name=actor.display_name,
                        today=ctx.today.isoformat(),
                        desk=mine,
                        caseload=caseload,
                        tasks=tasks,
                    )
        except DomainError as error:  # e.g. school staff without the head's approval: say why
            view = notice_home(error.text(locale), locale)
    turn.client.views_publish(user_id=turn.user_id, view=view)


def show_button(turn: Turn) -> None:
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        log.warning("case.show.open without a case code")
        return
    open_case_summary(turn, clicked.code, Surface.BUTTON)


def open_case_summary(turn: Turn, code: str, surface: Surface) -> None:
    """The summary modal for someone allowed to see the case; otherwise a modal saying why not."""
    locale = turn.locale
    if turn.actor is None:
        turn.client.views_open(
            trigger_id=turn.trigger_id, view=show_error_modal(t("common.not_staff", locale), locale)
        )
        return
    try:
        with turn.uow() as db:
            view = show_modal(desk.case_summary(db, turn.ctx(surface), code), locale)
    except DomainError as error:
        view = show_error_modal(error.text(locale), locale)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)
