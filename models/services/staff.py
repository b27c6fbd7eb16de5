"""Staff and teams. A Slack user who is not active staff can do nothing.

Under the school profile staff also need the head of the school's approval to handle student data
(학생맞춤통합지원법 §17⑦): recorded here by an operator, revoked but never deleted, both audited.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import NullPool

from models.audit import AuditLog
from models.case import Case
from models.crypto import keyring_of
from models.db import make_engine
from models.enums import AuditAction, CaseStatus, Profile, StaffRole, Surface
from models.errors import InvalidInput, Message, NotFound
from models.schemas import StaffInput, check_free_text
from models.services import cases
from models.services.changes import case_changed
from models.services.context import Ctx
from models.staff import DataHandlingApproval, StaffMember, Team


def get_or_create_team(db: Session, name: str) -> Team:
    team = db.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.add(team)
        db.flush()
    return team


def team_by_name(db: Session, name: str) -> Team | None:
    return db.scalar(select(Team).where(Team.name == name))


def list_teams(db: Session) -> list[Team]:
    return list(db.scalars(select(Team).order_by(Team.name)))


def set_team_profile(db: Session, name: str, profile: Profile | None) -> tuple[Team, int]:
    """Set a team's practice profile (None: follow the deployment's PROFILE). The rules that differ by
    profile (classification list, public clocks, school consent and calendar) read the team's profile,
    so the team's open cases follow at once; returns the team and how many open cases it has."""
    team = team_by_name(db, name)
    if team is None:
        raise InvalidInput({"team": Message("profiles.errors.unknown_team", team=name)})
    team.profile = profile
    db.flush()
    open_count = db.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.team_id == team.id, Case.status.notin_((CaseStatus.CLOSED, CaseStatus.ARCHIVED)))
    )
    return team, int(open_count or 0)


def add_staff(db: Session, data: StaffInput) -> StaffMember:
    if db.scalar(select(StaffMember).where(StaffMember.slack_user_id == data.slack_user_id)) is not None:
        raise InvalidInput({"slack_user_id": Message("staff.errors.slack_user_already_registered")})
    team = get_or_create_team(db, data.team)
    member = StaffMember(
        slack_user_id=data.slack_user_id,
        display_name=data.display_name,
        role=data.role,
        team=team,
        active=True,
    )
    db.add(member)
    db.flush()
    return member


def list_staff(db: Session, *, include_inactive: bool = True) -> list[StaffMember]:
    query = select(StaffMember).order_by(StaffMember.team_id, StaffMember.display_name)
    if not include_inactive:
        query = query.where(StaffMember.active.is_(True))
    return list(db.scalars(query))


def find_staff(db: Session, ref: str) -> StaffMember:
    """By numeric id or Slack user id."""
    member = db.get(StaffMember, int(ref)) if ref.isdigit() else None
    member = member or db.scalar(select(StaffMember).where(StaffMember.slack_user_id == ref))
    if member is None:
        raise NotFound(Message("staff.errors.no_staff_member", ref=ref))
    return member


def open_cases_of(db: Session, member_id: int) -> list[Case]:
    """The cases a staff member still manages (not closed or archived), by code."""
    return list(
        db.scalars(
            select(Case)
            .where(Case.case_manager_id == member_id, Case.status.not_in(cases.FINISHED_STATUSES))
            .options(lazyload(Case.client))
            .order_by(Case.code)
        )
    )


@dataclass(frozen=True)
class Departure:
    """A deactivation and what became of the person's open cases: each one handed over (`moved`, with
    whom to tell by DM: case codes only) or left unassigned for the supervisors (`left`)."""

    member: StaffMember
    moved: list[cases.TransferNotice]
    left: list[str]
    to: StaffMember | None = None


def operator_actor(operator: str) -> StaffMember:
    """The command line's operator as the actor of a change: not staff, never stored; the timeline and
    the access log know them by their login (actor_ref), as for approvals and exports."""
    return StaffMember(
        id=None, slack_user_id=operator[:64], display_name=operator[:100], role=StaffRole.ADMIN, active=True
    )


def deactivate(
    db: Session,
    ctx: Ctx,
    ref: str,
    *,
    reassign_to: str | None = None,
    leave_unassigned: bool = False,
) -> Departure:
    """Deactivate a staff member (by id or Slack user id). Cases they still manage are named (by code)
    and must be given to someone (`reassign_to`, a staff id or Slack user id: each case goes through
    the transfer's own rules, reminders readdressed, the timeline records it) or explicitly left
    unassigned (`leave_unassigned`: the team's supervisors see them on their Home and get their nudges
    until they transfer them). A bad choice is an InvalidInput under `reassign_to`, and nothing changes."""
    member = find_staff(db, ref)
    held = open_cases_of(db, member.id)
    target = _reassign_target(db, ctx, member, held, reassign_to, leave_unassigned)
    moved = []
    if target is not None:
        for case in held:
            previous = case.case_manager_id
            cases.hand_over(db, ctx, case, target, departed=member.id)
            moved.append(cases.transfer_notice(db, case, previous))  # while both are active: both told
    was_active = member.active  # if not, an earlier leaver's cases handed over now: the first date stays
    if was_active:
        member.active, member.deactivated_at = False, ctx.now
    db.flush()
    if target is None and was_active:
        for case in held:  # the timeline says so; the reminders go to the supervisors (refresh)
            case_changed(db, ctx, case, "manager_left", previous=member.id)
    return Departure(member, moved, [case.code for case in held] if target is None else [], target)


def _reassign_target(
    db: Session,
    ctx: Ctx,
    member: StaffMember,
    held: list[Case],
    reassign_to: str | None,
    leave_unassigned: bool,
) -> StaffMember | None:
    """Who takes the open cases over (None: nobody, as asked or as there are none); checked for every
    case before anything changes."""
    field = "reassign_to"
    reassign_to = (reassign_to or "").strip() or None
    if reassign_to and leave_unassigned:
        raise InvalidInput({field: Message("staff.errors.reassign_or_leave")})
    if not held or leave_unassigned:
        return None
    codes = ", ".join(case.code for case in held)
    if reassign_to is None:
        raise InvalidInput({field: Message("staff.errors.still_holds_cases", codes=codes)})
    try:
        target = find_staff(db, reassign_to)
    except NotFound:
        raise InvalidInput({field: Message("staff.errors.no_staff_member", ref=reassign_to)}) from None
    if target.id == member.id:
        raise InvalidInput({field: Message("staff.errors.reassign_to_self")})
    for case in held:
        problem = cases.transfer_problem(db, ctx, case, target)
        if problem is not None:
            raise InvalidInput(
                {field: Message("staff.errors.reassign_refused", code=case.code, problem=problem)}
            )
    return target


def actor_for_slack_user(db: Session, slack_user_id: str) -> StaffMember | None:
    """The active staff member behind a Slack user id, or None (the caller refuses politely)."""
    member = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_user_id))
    return member if member is not None and member.active else None


def _columns(model: type) -> list[tuple[str, Any]]:
    return [(prop.key, prop.columns[0]) for prop in model.__mapper__.column_attrs]  # type: ignore[attr-defined]


class StaffLookup:
    """`actor_for_slack_user` for the path before the ack: every request is checked against the database
    (a deactivated user is refused from the next request on), but as cheaply as that can be.

    - One SELECT of the staff row and its team, no Session, on a connection the calling thread keeps in
      autocommit mode. Checking a pooled connection out and back in (ping, isolation level set and
      reset) cost four times the query itself. Those connections come from an engine of the lookup's
      own, so the app's pool keeps all its connections (on PostgreSQL one more connection per request
      thread). A connection that broke (a database restart) is replaced once, at once.
    - The SELECT runs on the DBAPI cursor, and its raw row is compared with the one the last answer for
      that user was built from: the same row gives the same StaffMember again, a changed row (or none)
      goes through SQLAlchemy (types, decryption) and builds a new one. Building the instance and
      SQLAlchemy's statement execution were three quarters of the lookup's CPU.

    The answer is a detached StaffMember, team loaded, shared by the requests that read the same row:
    callers read it and never attach it to a session. (With one connection for the whole engine, an
    in-memory SQLite database, every call goes through SQLAlchemy and builds a new one.)
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = _own_engine(engine).execution_options(isolation_level="AUTOCOMMIT")
        self.keeps_connections = self.engine is not engine
        self.staff_columns = _columns(StaffMember)
        self.team_columns = _columns(Team)
        self.statement = (
            select(*[c for _, c in self.staff_columns], *[c for _, c in self.team_columns])
            .join_from(StaffMember, Team, StaffMember.team_id == Team.id)
            .where(StaffMember.slack_user_id == bindparam("slack_user_id"))
        )
        compiled = self.statement.compile(dialect=self.engine.dialect)
        self._sql = compiled.string
        self._positional = compiled.positional  # SQLite's ?, or psycopg's %(slack_user_id)s
        self._driver_error = self.engine.dialect.loaded_dbapi.Error
        self._built: dict[str, tuple[tuple[Any, ...], StaffMember | None]] = {}
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()

    def __call__(self, slack_user_id: str) -> StaffMember | None:
        if not self.keeps_connections:
            return self._member(self._first(slack_user_id))
        try:
            raw = self._raw_row(slack_user_id)
        except self._driver_error:  # most likely a connection that broke: drop it without a reset
            broken = self._local.connection
            broken.invalidate()
            self._forget(broken)
            return self._member(self._first(slack_user_id))  # on a new connection, errors as SQLAlchemy's
        if raw is None:
            return None
        known = self._built.get(slack_user_id)
        if known is not None and known[0] == raw:
            return known[1]
        # Read after `raw`: never older than it, so a row changed in between is only built once more.
        member = self._member(self._first(slack_user_id))
        self._built[slack_user_id] = (raw, member)
        return member

    def close(self) -> None:
        """Close the connections the threads kept (the lookup still works: they are opened again)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()

    def _member(self, row: Row | None) -> StaffMember | None:
        if row is None:
            return None
        split = len(self.staff_columns)
        member = _detached(StaffMember, self.staff_columns, row[:split])
        if not member.active:  # the same rule as actor_for_slack_user
            return None
        set_committed_value(member, "team", _detached(Team, self.team_columns, row[split:]))
        return member

    def _raw_row(self, slack_user_id: str) -> tuple[Any, ...] | None:
        """The row as the driver gives it (no type processing), on this thread's connection."""
        dbapi_connection = self._connection().connection.dbapi_connection
        cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(
                self._sql, (slack_user_id,) if self._positional else {"slack_user_id": slack_user_id}
            )
            row = cursor.fetchone()
        finally:
            cursor.close()
        return tuple(row) if row is not None else None

    def _first(self, slack_user_id: str) -> Row | None:
        parameters = {"slack_user_id": slack_user_id}
        if not self.keeps_connections:
            with self.engine.connect() as connection:
                return connection.execute(self.statement, parameters).first()
        connection = self._connection()
        try:
            return connection.execute(self.statement, parameters).first()
        except DBAPIError as error:
            self._forget(connection)
            if not error.connection_invalidated:
                raise
        return self._connection().execute(self.statement, parameters).first()  # once, on a new one

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self._local.connection = self.engine.connect()
            with self._opened_lock:
                self._opened.append(connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        self._local.connection = None
        with self._opened_lock:
            if connection in self._opened:
                self._opened.remove(connection)
        connection.close()


def _own_engine(engine: Engine) -> Engine:
    """An engine like `engine` whose connections stay with the thread that opened them (NullPool: the
    lookup keeps them itself). An in-memory SQLite database exists only in `engine`'s own connection."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine
    return make_engine(
        url.render_as_string(hide_password=False), keyring=keyring_of(engine.dialect), poolclass=NullPool
    )


def _detached(model: type, columns: list[tuple[str, Any]], values: Any) -> Any:
    """An instance as a Session would have loaded and expunged it (public SQLAlchemy API only)."""
    instance = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    for (key, _), value in zip(columns, values, strict=True):
        set_committed_value(instance, key, value)
    make_transient_to_detached(instance)
    return instance


def staff_ids_for(
    db: Session,
    slack_user_ids: list[str],
    field: str,
    unknown: Callable[[str], Message] | None = None,
) -> list[int]:
    """Active staff ids of Slack users picked in a modal, in order; anyone else is an error on `field`
    naming them (`unknown(mentions)` words it for the dialogue, e.g. where outside members go)."""
    if not slack_user_ids:
        return []
    found = dict(
        db.execute(
            select(StaffMember.slack_user_id, StaffMember.id).where(
                StaffMember.slack_user_id.in_(slack_user_ids), StaffMember.active.is_(True)
            )
        ).all()
    )
    missing = [user for user in slack_user_ids if user not in found]
    if missing:
        mentions = ", ".join(f"<@{user}>" for user in missing)
        message = (
            unknown(mentions)
            if unknown
            else Message("staff.errors.not_active_casebot_staff", mentions=mentions)
        )
        raise InvalidInput({field: message})
    return [found[user] for user in slack_user_ids]


def slack_ids_of(db: Session, staff_ids: list[int]) -> dict[int, str]:
    """Slack user ids of staff members by staff id (those not found are left out)."""
    rows = db.execute(select(StaffMember.id, StaffMember.slack_user_id).where(StaffMember.id.in_(staff_ids)))
    return dict(rows.all())


# --- the head of the school's approval (학교장 승인) ------------------------------------------------

APPROVAL_RECORD = "staff_approval"  # the access log's name for these rows


def _log_approval(
    db: Session, at: datetime, operator: str, action: AuditAction, detail: str, surface: Surface
) -> None:
    # The operator is not staff (a CLI user): known by reference only, like an unknown Slack user.
    db.add(
        AuditLog(
            at=at,
            actor_id=None,
            actor_ref=operator[:64],
            action=action,
            record=APPROVAL_RECORD,
            surface=surface,
            detail=detail[:300],
        )
    )


def open_approval(db: Session, staff_id: int) -> DataHandlingApproval | None:
    """The person's unrevoked approval (at most one), whether or not its dates cover today."""
    return db.scalar(
        select(DataHandlingApproval).where(
            DataHandlingApproval.staff_id == staff_id, DataHandlingApproval.revoked_at.is_(None)
        )
    )


def approve(
    db: Session,
    ref: str,
    *,
    approved_by: str,
    approved_on: date,
    reference: str,
    valid_until: date | None,
    entered_by: str,
    today: date,
    now: datetime,
    surface: Surface = Surface.CLI,
) -> DataHandlingApproval:
    """Record the head of the school's approval for a staff member (by id or Slack user id).

    A person's earlier unrevoked approval is closed as superseded, so the history shows each one.
    """
    member = find_staff(db, ref)
    approved_by, reference = approved_by.strip(), reference.strip()
    problems: dict[str, Message] = {}
    if not member.active:
        problems["staff"] = Message("staff.errors.staff_member_deactivated")
    elif member.role == StaffRole.ADMIN:
        problems["staff"] = Message("staff.errors.administrators_not_handle_case")
    if not approved_by or len(approved_by) > 100:
        problems["approved_by"] = Message("staff.errors.give_approving_head_s")
    if not reference or len(reference) > 100:
        problems["reference"] = Message("staff.errors.give_approval_s_document")
    if approved_on > today:
        problems["approved_on"] = Message("staff.errors.approval_date_after_today")
    if valid_until is not None and (valid_until < approved_on or valid_until < today):
        problems["valid_until"] = Message("staff.errors.end_date_must_not")
    if problems:
        raise InvalidInput(problems)
    check_free_text("approved_by", approved_by)
    check_free_text("reference", reference)
    previous = open_approval(db, member.id)
    if previous is not None:
        previous.revoked_at = now
        previous.revoked_by = entered_by[:64]
        previous.revoke_reason = "superseded"
        db.flush()  # closed before the new one opens: one open approval per person
    approval = DataHandlingApproval(
        staff_id=member.id,
        approved_by=approved_by,
        approved_on=approved_on,
        reference=reference,
        valid_until=valid_until,
        entered_by=entered_by[:64],
        entered_at=now,
    )
    db.add(approval)
    db.flush()
    until = valid_until.isoformat() if valid_until else "open-ended"
    replaced = f", supersedes #{previous.id}" if previous is not None else ""
    _log_approval(
        db,
        now,
        entered_by,
        AuditAction.CREATE,
        f"approval #{approval.id} for staff #{member.id} {member.slack_user_id}: by {approved_by}, "
        f"ref {reference}, from {approved_on.isoformat()} until {until}{replaced}",
        surface,
    )
    return approval


def revoke_approval(
    db: Session,
    ref: str,
    *,
    revoked_by: str,
    reason: str | None = None,
    now: datetime,
    surface: Surface = Surface.CLI,
) -> DataHandlingApproval:
    """Revoke a staff member's approval: the row stays as history, the person loses access at once."""
    member = find_staff(db, ref)
    approval = open_approval(db, member.id)
    if approval is None:
        raise NotFound(Message("staff.errors.staff_member_no_approval", slack_user_id=member.slack_user_id))
    reason = (reason or "").strip() or None
    if reason is not None:
        check_free_text("reason", reason)
    approval.revoked_at = now
    approval.revoked_by = revoked_by[:64]
    approval.revoke_reason = reason[:300] if reason else None
    db.flush()
    why = f": {reason}" if reason else ""
    _log_approval(
        db,
        approval.revoked_at,
        revoked_by,
        AuditAction.UPDATE,
        f"approval #{approval.id} for staff #{member.id} {member.slack_user_id} revoked{why}",
        surface,
    )
    return approval


@dataclass(frozen=True)
class ApprovalStatus:
    """A staff member's approval as the staff list shows it."""

    state: str  # "approved", "expired", "not yet", "revoked", "none"
    approval: DataHandlingApproval | None

    def describe(self) -> str:
        a = self.approval
        if a is None:
            return "not approved"
        if self.state == "revoked":
            return f"approval revoked {a.revoked_at.date().isoformat() if a.revoked_at else ''}".rstrip()
        if self.state == "expired":
            return f"approval ended {a.valid_until.isoformat() if a.valid_until else ''} (ref {a.reference})"
        if self.state == "not yet":
            return f"approval starts {a.approved_on.isoformat()} (ref {a.reference})"
        until = f" until {a.valid_until.isoformat()}" if a.valid_until else ""
        return f"approved {a.approved_on.isoformat()}{until} by {a.approved_by} (ref {a.reference})"


def approval_statuses(db: Session, staff_ids: list[int], today: date) -> dict[int, ApprovalStatus]:
    """Each person's standing: their open approval if any (in force, ended or not begun), else their
    latest revoked one, else none."""
    rows = db.scalars(
        select(DataHandlingApproval)
        .where(DataHandlingApproval.staff_id.in_(staff_ids))
        .order_by(DataHandlingApproval.entered_at, DataHandlingApproval.id)
    )
    latest: dict[int, DataHandlingApproval] = {}
    for row in rows:  # the open one wins; otherwise the last revoked
        if latest.get(row.staff_id) is None or latest[row.staff_id].revoked_at is not None:
            latest[row.staff_id] = row
    statuses = {}
    for staff_id in staff_ids:
        approval = latest.get(staff_id)
        statuses[staff_id] = ApprovalStatus(approval.standing_on(today) if approval else "none", approval)
    return statuses


def approval_history(db: Session, ref: str | None = None) -> list[DataHandlingApproval]:
    """Every approval on record (revoked and superseded ones too), oldest first; of one person if given."""
    query = select(DataHandlingApproval).order_by(DataHandlingApproval.entered_at, DataHandlingApproval.id)
    if ref is not None:
        query = query.where(DataHandlingApproval.staff_id == find_staff(db, ref).id)
    return list(db.scalars(query))


def set_language(db: Session, member: StaffMember, locale: str, tz: str | None) -> None:
    """Keep what Slack says of the person's language and zone (asked once, bot.people)."""
    stored = db.get(StaffMember, member.id)
    if stored is not None:
        stored.locale, stored.tz = locale, tz
    member.locale, member.tz = locale, tz
