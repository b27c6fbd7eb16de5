"""Every callback and action id, in one place (`<domain>.<flow>.<element>`).

Button values carry a `CaseRef`-style JSON (`{"code": "C-2026-0007", ...}`), never client data.
"""

from __future__ import annotations

from enum import StrEnum


class View(StrEnum):
    INTAKE = "case.intake.modal"
    DONE = "case.done.modal"
    SHOW = "case.show.modal"
    ASSESS = "case.assess.modal"
    PLAN = "case.plan.modal"
    REFER = "case.refer.modal"
    REFERRAL_STATUS = "case.referral_status.modal"
    NOTE = "case.note.modal"
    CLOSE = "case.close.modal"
    CLOSURE_RETURN = "case.closure_return.modal"
    AFTERCARE = "case.aftercare.modal"
    CLASSIFY = "case.classify.modal"
    CONFERENCE = "case.conference.modal"
    CONFERENCE_AGENDA = "case.conference.agenda.modal"
    CONFERENCE_RESCHEDULE = "case.conference.reschedule.modal"
    CONFERENCE_CANCEL = "case.conference.cancel.modal"
    CONFERENCE_RECORD = "case.conference.record.modal"
    ACTION_ITEM = "case.conference.item.modal"
    ACCESS = "case.access.modal"
    ACCESS_LOG = "team.access_log.modal"
    SERVE = "case.serve.modal"
    STATS = "team.stats.modal"
    ADMIN_ADD_STAFF = "admin.staff.add.modal"
    ADMIN_DEACTIVATE = "admin.staff.deactivate.modal"
    ADMIN_IMPORT = "admin.resources.import.modal"
    ADMIN_RESOURCE = "admin.resources.edit.modal"
    ADMIN_EDIT_STAFF = "admin.staff.edit.modal"


class Action(StrEnum):
    OPEN_INTAKE = "case.intake.open"
    OPEN_SHOW = "case.show.open"
    OPEN_ASSESS = "case.assess.open"
    OPEN_PLAN = "case.plan.open"
    AGREE_PLAN = "case.plan.agree"
    OPEN_REFER = "case.refer.open"
    REFERRAL_STATUS = "case.referral.status"
    OPEN_NOTE = "case.note.open"
    OPEN_CLOSE = "case.close.open"
    APPROVE_CLOSURE = "case.closure.approve"
    RETURN_CLOSURE = "case.closure.return"
    OPEN_AFTERCARE = "case.aftercare.open"
    OPEN_CLASSIFY = "case.classify.open"
    HOME_PAGE = "home.page"
    SNOOZE_REMINDER = "reminder.snooze"
    OPEN_CONFERENCE = "case.conference.open"
    CONFERENCE_LIST = "case.conference.list"
    CONFERENCE_AGENDA = "case.conference.agenda"
    CONFERENCE_RESCHEDULE = "case.conference.reschedule"
    CONFERENCE_CANCEL = "case.conference.cancel"
    CONFERENCE_RECORD = "case.conference.record"
    ACTION_ITEM_DONE = "case.conference.item.done"
    ACTION_ITEM_SHOW = "case.conference.item.show"
    ADMIN_ADD_STAFF = "admin.staff.add"
    ADMIN_DEACTIVATE = "admin.staff.deactivate"
    ADMIN_IMPORT = "admin.resources.import"
    ADMIN_VERIFY = "admin.resources.verify"
    ADMIN_ADD_RESOURCE = "admin.resources.add"
    ADMIN_EDIT_STAFF = "admin.staff.edit"
    ADMIN_EDIT_RESOURCE = "admin.resources.edit"


class Shortcut(StrEnum):
    ADD_AS_NOTE = "case.note.from_message"
