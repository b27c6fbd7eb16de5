"""The admin's App Home (staff and the resource directory, no case content) and its modals."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import ResourceRef
from bot.views import blocks as b
from bot.views.home import CALLBACK_ID
from models.enums import ResourceCategory, ResourceSector, StaffRole
from models.schemas import ResourceInput
from models.services.admin_desk import Directory, ResourceRow, StaffRow

MAX_RESOURCES = 30  # each takes two blocks; a Home holds 100


def admin_home(locale: str, *, name: str, directory: Directory) -> dict:
    blocks = [
        b.header(t("admin.home.title", locale, name=name)),
        b.actions(
            b.button(t("admin.button.add_staff", locale), Action.ADMIN_ADD_STAFF, style="primary"),
            b.button(t("admin.button.edit_staff", locale), Action.ADMIN_EDIT_STAFF),
            b.button(t("admin.button.deactivate", locale), Action.ADMIN_DEACTIVATE),
            b.button(t("admin.button.import", locale), Action.ADMIN_IMPORT),
            b.button(t("admin.button.add_resource", locale), Action.ADMIN_ADD_RESOURCE),
        ),
        b.header(t("admin.home.staff", locale, count=len(directory.staff))),
    ]
    lines = [_staff_line(row, locale) for row in directory.staff]
    for start in range(0, len(lines), 20):
        blocks.append(b.section("\n".join(lines[start : start + 20])))
    blocks.append(b.divider())
    blocks.append(b.header(t("admin.home.resources", locale, count=len(directory.resources))))
    if not directory.resources:
        blocks.append(b.section(t("admin.home.no_resources", locale)))
    for row in directory.resources[:MAX_RESOURCES]:
        ref = ResourceRef(resource_id=row.id).dump()
        blocks.append(b.section(_resource_line(row, locale)))
        blocks.append(
            b.actions(
                b.button(t("admin.button.verified", locale), Action.ADMIN_VERIFY, ref),
                b.button(t("admin.button.edit_resource", locale), Action.ADMIN_EDIT_RESOURCE, ref),
            )
        )
    if len(directory.resources) > MAX_RESOURCES:
        blocks.append(b.context(t("admin.home.more", locale, count=len(directory.resources) - MAX_RESOURCES)))
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": blocks}


def _staff_line(row: StaffRow, locale: str) -> str:
    return t(
        "admin.home.staff_line",
        locale,
        slack=f"<@{row.slack_user_id}>",
        role=row.role.label(locale),
        team=row.team,
        active=t("admin.home.active" if row.active else "admin.home.inactive", locale),
        language=row.locale or "-",
        approval=t(f"admin.approval.{row.approval.replace(' ', '_')}", locale),
    )


def _resource_line(row: ResourceRow, locale: str) -> str:
    verified = row.last_verified_at.date().isoformat() if row.last_verified_at else "-"
    return t(
        "admin.home.resource_line",
        locale,
        name=row.name,
        category=row.category.label(locale),
        sector=row.sector.label(locale),
        verified=verified,
        active=t("admin.home.active" if row.active else "admin.home.inactive", locale),
    )


def add_staff_modal(locale: str) -> dict:
    roles = [(role.label(locale), role.value) for role in StaffRole]
    return b.modal(
        View.ADMIN_ADD_STAFF,
        t("admin.add.title", locale),
        [
            b.users_input("slack_user_id", t("admin.add.person", locale)),
            b.text_input("display_name", t("admin.add.name", locale), max_length=100),
            b.select("role", t("admin.add.role", locale), roles, initial=StaffRole.CASE_MANAGER.value),
            b.text_input("team", t("admin.add.team", locale), max_length=100),
        ],
        submit=t("admin.add.submit", locale),
        close=t("admin.close", locale),
    )


def edit_staff_modal(locale: str) -> dict:
    roles = [(role.label(locale), role.value) for role in StaffRole]
    return b.modal(
        View.ADMIN_EDIT_STAFF,
        t("admin.edit.title", locale),
        [
            b.section(t("admin.edit.intro", locale)),
            b.users_input("member", t("admin.deactivate.person", locale)),
            b.text_input("display_name", t("admin.add.name", locale), optional=True, max_length=100),
            b.select("role", t("admin.add.role", locale), roles, optional=True),
            b.text_input("team", t("admin.add.team", locale), optional=True, max_length=100),
        ],
        submit=t("admin.edit.submit", locale),
        close=t("admin.close", locale),
    )


def deactivate_modal(locale: str) -> dict:
    return b.modal(
        View.ADMIN_DEACTIVATE,
        t("admin.deactivate.title", locale),
        [
            b.section(t("admin.deactivate.intro", locale)),
            b.users_input("member", t("admin.deactivate.person", locale)),
            b.users_input(
                "reassign_to",
                t("admin.deactivate.reassign_to", locale),
                optional=True,
                hint=t("admin.deactivate.reassign_hint", locale),
            ),
            b.checkboxes(
                "leave_unassigned",
                t("admin.deactivate.leave", locale),
                [(t("admin.deactivate.leave_option", locale), b.YES)],
            ),
        ],
        submit=t("admin.deactivate.submit", locale),
        close=t("admin.close", locale),
    )


def import_modal(locale: str) -> dict:
    return b.modal(
        View.ADMIN_IMPORT,
        t("admin.import.title", locale),
        [
            b.section(t("admin.import.intro", locale)),
            b.text_input("csv", t("admin.import.csv", locale), multiline=True, max_length=3000),
        ],
        submit=t("admin.import.submit", locale),
        close=t("admin.close", locale),
    )


def resource_modal(locale: str, initial: ResourceInput | None = None, resource_id: int | None = None) -> dict:
    """Add a resource, or change one (`resource_id`, carried in the metadata)."""
    data = initial
    categories = [(c.label(locale), c.value) for c in ResourceCategory]
    sectors = [(s.label(locale), s.value) for s in ResourceSector]
    return b.modal(
        View.ADMIN_RESOURCE,
        t("admin.resource.edit_title" if resource_id else "admin.resource.add_title", locale),
        [
            b.text_input(
                "name", t("admin.resource.name", locale), max_length=200, initial=data.name if data else None
            ),
            b.select(
                "category",
                t("admin.resource.category", locale),
                categories,
                initial=data.category.value if data else None,
            ),
            b.select(
                "sector",
                t("admin.resource.sector", locale),
                sectors,
                initial=data.sector.value if data else None,
            ),
            b.text_input(
                "contact",
                t("admin.resource.contact", locale),
                optional=True,
                max_length=200,
                initial=data.contact if data else None,
            ),
            b.text_input(
                "eligibility",
                t("admin.resource.eligibility", locale),
                optional=True,
                multiline=True,
                max_length=2000,
                initial=data.eligibility if data else None,
            ),
            b.text_input(
                "capacity",
                t("admin.resource.capacity", locale),
                optional=True,
                max_length=100,
                initial=data.capacity if data else None,
            ),
            b.checkboxes(
                "has_mou",
                t("admin.resource.mou", locale),
                [(t("admin.resource.mou_yes", locale), "yes")],
                initial=["yes"] if data and data.has_mou else [],
            ),
        ],
        submit=t("admin.resource.submit", locale),
        close=t("admin.close", locale),
        private_metadata=ResourceRef(resource_id=resource_id).dump() if resource_id else "",
    )


def done_modal(locale: str, text: str) -> dict:
    return b.modal(
        View.ADMIN_IMPORT, t("admin.done.title", locale), [b.section(text)], close=t("admin.close", locale)
    )
