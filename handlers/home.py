"""The App Home (desk, team caseload, paging) and the case summary modal behind the View button."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient

from bot.i18n import t
from bot.ids import Action
from bot.views.home import home_view, not_registered_home, notice_home
from bot.views.show import show_error_modal, show_modal
from handlers.common import button_value, record_id
from models.enums import StaffRole, Surface
from models.errors import DomainError
from models.services import desk

log = logging.getLogger("casebot")


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(Action.HOME_PAGE)(home_page)
    app.action(Action.OPEN_SHOW)(show_button)


def home_opened(event: dict, request: BoltRequest, context: BoltContext, client: WebClient) -> None:
    # Retries: Bolt acknowledges events before the listener runs, so Slack retries only when it got no
    # timely 2xx. After `http_timeout` the first delivery reached us and publishes (or published) the
    # same Home, so the retry is dropped without touching the database. After a connection failure or
    # an error status the first delivery may never have run; republishing is harmless, so it is done.
    # (A dedupe table keyed by event_id would cost a write on every Home opening for no gain here.)
    if _retry_reason(request) == "http_timeout":
        return
    if event.get("tab", "home") != "home":
        return  # the Messages tab opened: nothing to publish
    # No trigger, no deadline: in a burst (everyone opening Slack at nine) the acks go first.
    context["later"](lambda: publish_home(client, context, page=0))


def _retry_reason(request: BoltRequest) -> str | None:
    """Slack's X-Slack-Retry-Reason on a redelivery (Bolt lower-cases header names), else None."""
    if not request.headers.get("x-slack-retry-num"):
        return None
    reason = request.headers.get("x-slack-retry-reason") or ["unknown_error"]
    return reason[0] if isinstance(reason, (list, tuple)) else str(reason)


def home_page(ack: Ack, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    page = record_id(button_value(action), "page")  # 0, the first page, for anything but a page number
    publish_home(client, context, page=page)


def publish_home(client: WebClient, context: BoltContext, *, page: int) -> None:
    actor, locale = context["actor"], context["locale"]
    if actor is None:
        view = not_registered_home(locale)
    else:
        ctx = context["ctx_for"](Surface.APP_HOME)
        try:
            with context["uow"]() as db:
                caseload = desk.team_caseload(db, ctx) if actor.role == StaffRole.SUPERVISOR else None
                mine = desk.my_desk(db, ctx, page=page)
                view = home_view(
                    locale, name=actor.display_name, today=ctx.today.isoformat(), desk=mine, caseload=caseload
                )
        except DomainError as error:  # e.g. school staff without the head's approval: say why
            view = notice_home(error.text(locale), locale)
    client.views_publish(user_id=context.user_id, view=view)


def show_button(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    try:
        code = str(json.loads(action.get("value") or "{}")["code"])
    except (ValueError, KeyError, TypeError):
        log.warning("case.show.open without a case code")
        return
    open_case_summary(client, context, body["trigger_id"], code, Surface.BUTTON)


def open_case_summary(
    client: WebClient, context: BoltContext, trigger_id: str, code: str, surface: Surface
) -> None:
    """The summary modal for someone allowed to see the case; otherwise a modal saying why not."""
    locale = context["locale"]
    if context["actor"] is None:
        client.views_open(trigger_id=trigger_id, view=show_error_modal(t("common.not_staff", locale), locale))
        return
    ctx = context["ctx_for"](surface)
    try:
        with context["uow"]() as db:
            view = show_modal(desk.case_summary(db, ctx, code), locale)
    except DomainError as error:
        view = show_error_modal(error.text(locale), locale)
    client.views_open(trigger_id=trigger_id, view=view)
