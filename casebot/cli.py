"""`casebot`: the command line for operators (schema, staff, resources, demo data)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine, select

from bot.i18n import t
from bot.settings import Settings, SettingsError, load_settings
from models import schema
from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import Profile, StaffRole, Surface
from models.errors import DomainError, InvalidInput, invalid_input_from
from models.schemas import StaffInput
from models.services import resources, staff
from models.services.context import Ctx
from models.staff import StaffMember


class CliError(Exception):
    """Printed as one line on stderr; the command exits with status 1."""


def _engine(settings: Settings, *, check_schema: bool = True) -> Engine:
    engine = make_engine(settings.database_url, keyring=settings.keyring())
    if check_schema:
        try:
            schema.ensure_current(engine)
        except schema.SchemaOutOfDate as exc:
            raise CliError(str(exc)) from None
    return engine


def _uow(settings: Settings) -> UnitOfWork:
    return UnitOfWork(make_session_factory(_engine(settings)))


def cmd_db(args: argparse.Namespace, settings: Settings) -> None:
    engine = _engine(settings, check_schema=False)
    if args.action == "upgrade":
        schema.upgrade(engine, args.revision)
        print(f"Database at revision {schema.current_revision(engine)} (head {schema.head_revision()}).")
    elif args.action == "downgrade":
        schema.downgrade(engine, args.revision)
        print(f"Database at revision {schema.current_revision(engine) or 'base (empty)'}.")
    else:
        current, head = schema.current_revision(engine), schema.head_revision()
        state = "up to date" if current == head else "out of date: run `casebot db upgrade`"
        print(f"current: {current or 'none'}  head: {head}  ({state})")


def _learn_language(db, settings: Settings, member: StaffMember) -> str:  # type: ignore[no-untyped-def]
    """Their language from Slack now, so that their first nudge is in it (unknown without a token)."""
    if settings.slack_bot_token is None:
        return f"{settings.default_locale} until Slack tells (no SLACK_BOT_TOKEN)"
    from bot.people import learn_language
    from bot.slack_client import make_web_client

    return learn_language(db, make_web_client(settings), member, settings.default_locale)


def cmd_staff(args: argparse.Namespace, settings: Settings) -> None:
    uow = _uow(settings)
    if args.action == "add":
        try:
            data = StaffInput(
                slack_user_id=args.slack_user_id, display_name=args.name, role=args.role, team=args.team
            )
        except ValidationError as exc:
            raise invalid_input_from(exc) from None
        with uow() as db:
            member = staff.add_staff(db, data)
            language = _learn_language(db, settings, member)
            print(
                f"Added #{member.id} {member.slack_user_id} {member.display_name} ({member.role.value}, {member.team.name})"
                f"; language: {language}"
            )
    elif args.action == "list":
        with uow() as db:
            school = _any_school_team(db, settings)
            rows = staff.list_staff(db)
            if not rows:
                print(
                    "No staff yet. Add someone with `casebot staff add SLACK_USER_ID --name ... --role ... --team ...`."
                )
            # Under the school profile, each person's head-of-school approval (학생맞춤통합지원법 §17⑦).
            standing = staff.approval_statuses(db, [m.id for m in rows], _today(settings)) if school else {}
            for m in rows:
                state = "active" if m.active else "inactive"
                line = f"#{m.id}\t{m.slack_user_id}\t{m.display_name}\t{m.role.value}\t{m.team.name}\t{state}"
                if school:
                    line += "\t" + ("-" if m.role == StaffRole.ADMIN else standing[m.id].describe())
                print(line)
    elif args.action in ("approve", "revoke", "approvals"):
        _staff_approvals(args, settings, uow)
    else:
        _deactivate(args, settings, uow)


def _deactivate(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> None:
    """Cases the person still manages go to `--reassign-to` (each one transferred: reminders follow, the
    timeline records it, both people told by DM with the case code) or, with `--leave-unassigned`, stay
    for the team's supervisors to transfer from their Home."""
    ctx = Ctx(
        actor=staff.operator_actor(_operator()),
        surface=Surface.CLI,
        now=datetime.now(UTC),
        policy=settings.policy(),
    )
    try:
        with uow() as db:
            done = staff.deactivate(
                db, ctx, args.id, reassign_to=args.reassign_to, leave_unassigned=args.leave_unassigned
            )
            member = done.member
            print(f"Deactivated #{member.id} {member.slack_user_id} {member.display_name}")
            if done.moved and done.to is not None:
                codes = " ".join(n.code for n in done.moved)
                print(f"Transferred to {done.to.slack_user_id} {done.to.display_name}: {codes}")
            if done.left:
                print(f"Left unassigned (the team's supervisors transfer them): {' '.join(done.left)}")
    except InvalidInput as exc:
        problem = exc.errors.get("reassign_to")
        if problem is None:
            raise
        hint = ""
        if problem.key == "staff.errors.still_holds_cases":
            hint = " Give --reassign-to <Slack user id or staff id>, or --leave-unassigned."
        raise CliError(problem.en + hint) from None
    if done.moved:
        _tell_transfers(settings, done.moved, done.to)


def _tell_transfers(settings: Settings, moved: list, to: StaffMember | None) -> None:  # type: ignore[type-arg]
    """Both people of each transfer, by DM (case code only), as the transfer dialogue tells them."""
    if settings.slack_bot_token is None or to is None:
        print("Not told by DM (no SLACK_BOT_TOKEN).")
        return
    from bot.notify import tell_transfer
    from bot.slack_client import make_web_client

    client = make_web_client(settings)
    for notice in moved:
        tell_transfer(client, notice.code, notice.people, to.slack_user_id, settings.default_locale)


def cmd_team(args: argparse.Namespace, settings: Settings) -> None:
    """Teams and their practice profile (models/profiles.py: what differs by profile)."""
    uow = _uow(settings)
    with uow() as db:
        if args.action == "list":
            for team in staff.list_teams(db):
                own = team.profile.value if team.profile else f"{settings.profile.value} (PROFILE)"
                print(f"#{team.id}\t{team.name}\t{team.case_code_prefix}\t{own}")
            return
        profile = None if args.profile == "default" else Profile(args.profile)
        team, open_cases = staff.set_team_profile(db, args.team, profile)
        shown = profile.value if profile else f"{settings.profile.value} (PROFILE, the deployment's)"
        print(
            f"Team {team.name}: profile {shown}. Its {open_cases} open case(s) follow it from now on "
            "(classification list, clocks, consent and calendar rules); new cases are opened under it."
        )


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option}: {text!r} is not a date; write it as YYYY-MM-DD.") from None


def _any_school_team(db, settings: Settings) -> bool:  # type: ignore[no-untyped-def]
    """Whether any team works under the school profile (its own, or PROFILE for teams without one)."""
    return (
        any((team.profile or settings.profile) == Profile.SCHOOL for team in staff.list_teams(db))
        or settings.profile == Profile.SCHOOL
    )


def _staff_approvals(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> None:
    """The head of the school's approvals to handle student data (학교장 승인, 학생맞춤통합지원법 §17⑦)."""
    if args.action != "approvals":
        with uow() as db:
            school = _any_school_team(db, settings)
        if not school:
            print(
                f"Note: PROFILE is {settings.profile.value} and no team has the school profile; approvals are "
                "required only under PROFILE=school or for teams with the school profile.",
                file=sys.stderr,
            )
    today = _today(settings)
    if args.action == "approve":
        with uow() as db:
            approval = staff.approve(
                db,
                args.id,
                approved_by=args.by,
                approved_on=_date(args.on, "--on") or today,
                reference=args.ref,
                valid_until=_date(args.until, "--until"),
                entered_by=_operator(),
                today=today,
                now=datetime.now(UTC),
            )
            member = db.get_one(StaffMember, approval.staff_id)
            until = f" until {approval.valid_until.isoformat()}" if approval.valid_until else ""
            print(
                f"Approved #{member.id} {member.slack_user_id} {member.display_name} to handle student data: "
                f"{approval.approved_by}, {approval.approved_on.isoformat()}{until}, ref {approval.reference} "
                f"(approval #{approval.id})"
            )
    elif args.action == "revoke":
        with uow() as db:
            approval = staff.revoke_approval(
                db, args.id, revoked_by=_operator(), reason=args.reason, now=datetime.now(UTC)
            )
            member = db.get_one(StaffMember, approval.staff_id)
            print(
                f"Revoked approval #{approval.id} of #{member.id} {member.slack_user_id} {member.display_name}: "
                "no more access to student cases."
            )
    else:
        with uow() as db:
            rows = staff.approval_history(db, args.id)
            if not rows:
                print(
                    "No approvals on record. Record one with `casebot staff approve USERID --by ... --ref ...`."
                )
            people = {m.id: m for m in staff.list_staff(db)}
            for a in rows:
                member = people[a.staff_id]
                until = a.valid_until.isoformat() if a.valid_until else "-"
                entered = a.entered_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
                state = a.standing_on(today)
                if a.revoked_at is not None:
                    revoked = a.revoked_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
                    state += f" {revoked} by {a.revoked_by}" + (
                        f" ({a.revoke_reason})" if a.revoke_reason else ""
                    )
                print(
                    f"#{a.id}\t{member.slack_user_id}\t{member.display_name}\t{a.approved_by}\t"
                    f"{a.approved_on.isoformat()}\tuntil {until}\tref {a.reference}\t"
                    f"entered {entered} by {a.entered_by}\t{state}"
                )


def cmd_resources(args: argparse.Namespace, settings: Settings) -> None:
    uow = _uow(settings)
    if args.action == "import":
        text = Path(args.file).read_text(encoding="utf-8-sig")
        try:
            with uow() as db:
                report = resources.import_csv(db, text, now=datetime.now(UTC))
        except resources.ImportFailed as exc:
            lines = "\n".join(f"  line {line}: {problem}" for line, problem in exc.problems)
            raise CliError(f"Nothing imported; fix these rows and try again:\n{lines}") from None
        print(f"Imported {report.created} new and updated {report.updated} resources.")
    elif args.action == "verify":
        with uow() as db:
            resource = resources.verify(db, args.id, now=datetime.now(UTC))
            print(
                f"Verified #{resource.id} {resource.name} on {resource.last_verified_at.date().isoformat()}"
            )
    else:
        with uow() as db:
            for r in resources.by_category(db):
                verified = r.last_verified_at.date().isoformat()
                print(f"#{r.id}\t{r.category.value}\t{r.sector.value}\t{r.name}\tverified {verified}")


def _as_of(text: str | None, settings: Settings) -> datetime:
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.zone)  # a bare time is local time


def cmd_reminders(args: argparse.Namespace, settings: Settings) -> None:
    from models.case import Case
    from models.services import sweeper

    uow = _uow(settings)
    now = _as_of(args.as_of, settings)
    if args.action == "due":
        with uow() as db:
            rows = sweeper.due(db, now)
            wanted = select(Case.id, Case.code).where(Case.id.in_({r.case_id for r in rows}))
            codes = dict(db.execute(wanted).all())
            for r in rows:
                local = r.due_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
                about = codes.get(r.case_id) or (f"conference #{r.conference_id}" if r.conference_id else "-")
                to = f"staff #{r.recipient_id}" if r.recipient_id else f"channel {r.slack_channel_id or '-'}"
                print(f"#{r.id}\t{about}\t{r.kind.value}\t{to}\tdue {local}")
            print(f"{len(rows)} reminder(s) due as of {now.astimezone(settings.zone):%Y-%m-%d %H:%M %Z}")
        return
    from bot.slack_client import make_web_client
    from models.services.calendar import WorkCalendar
    from scheduler.jobs import Runtime, run_due

    if settings.slack_bot_token is None:
        raise CliError("SLACK_BOT_TOKEN is not set: reminders are sent through Slack.")
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    runtime = Runtime(
        uow,
        make_web_client(settings),
        settings.policy(),
        calendar,
        settings.default_locale,
        channel_interval=settings.slack_channel_interval_seconds,
    )
    # The due reminders, then the team channels' boards for that time (posted once a day, then updated).
    done = run_due(runtime, now)
    for line in done:
        print(line)
    if done.failures:  # cron notices: the failed ones are retried by the next sweep
        raise CliError(f"{done.failures} reminder message(s) could not be sent; see the log.")


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Written to {out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> None:
    """The access log for a case, a person or a team; exporting it is itself logged."""
    import csv
    import io

    from models.services import audit

    if not (args.case or args.person or args.team):
        raise CliError("Say whose trail: --case CODE, --person SLACK_USER_ID or --team NAME.")
    since = _as_of(args.since, settings) if args.since else None
    until = _as_of(args.until, settings) if args.until else None
    uow = _uow(settings)
    with uow() as db:
        team_id = None
        if args.team:
            team = staff.team_by_name(db, args.team)
            if team is None:
                raise CliError(f"No team named {args.team!r}.")
            team_id = team.id
        rows = audit.trail(
            db, case_code=args.case, person=args.person, team_id=team_id, since=since, until=until
        )
        names = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
        header = ["at", "actor", "slack_user", "action", "record", "case", "surface", "detail"]
        table = [
            [
                r.at.astimezone(settings.zone).isoformat(timespec="seconds"),
                names.get(r.actor_id, "") if r.actor_id else "",
                r.actor_ref or "",
                r.action.value,
                r.record,
                r.case_code or "",
                r.surface.value,
                r.detail or "",
            ]
            for r in rows
        ]
        scope = " ".join(
            f"{k}={v}" for k, v in (("case", args.case), ("person", args.person), ("team", args.team)) if v
        )
        audit.record_operator_export(
            db, _operator(), "audit_log", f"{scope} rows={len(rows)}", datetime.now(UTC)
        )
    if args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(table)
        return _write(buffer.getvalue(), args.out)
    lines = ["\t".join(row) for row in table]
    lines.append(f"{len(table)} access record(s) for {scope}")
    _write("\n".join(lines) + "\n", args.out)


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    """A client's whole record as a readable document, for an access request (열람 청구)."""
    from models.services.export import export_case

    uow = _uow(settings)
    with uow() as db:
        text = export_case(
            db,
            args.code,
            operator=_operator(),
            reason=args.reason,
            now=datetime.now(UTC),
            zone=settings.zone,
            locale=args.locale,
        )
    _write(text, args.out)


def cmd_print(args: argparse.Namespace, settings: Settings) -> None:
    """A printable form of a case (A4 PDF, Korean fonts embedded) for signature; the printing is logged."""
    from models.enums import Surface
    from models.services.forms import Form, print_form

    uow = _uow(settings)
    with uow() as db:
        pdf = print_form(
            db,
            args.code,
            Form(args.form),
            actor_ref=_operator(),
            actor_id=None,
            surface=Surface.CLI,
            locale=args.locale,
            zone=settings.zone,
            agency=settings.agency_name,
            now=datetime.now(UTC),
            font=settings.print_font,
            bold_font=settings.print_bold_font,
        )
    Path(args.out).write_bytes(pdf)
    print(f"Written to {args.out}.", file=sys.stderr)


def cmd_retention(args: argparse.Namespace, settings: Settings) -> None:
    """R10: hold a case's destruction (an investigation, a court order) or release it; both logged."""
    from models.services import retention

    now = datetime.now(UTC)
    uow = _uow(settings)
    with uow() as db:
        if args.action == "hold":
            until = _date(args.until, "--until")
            assert until is not None  # a required option
            case = retention.hold(
                db, args.code, reason=args.reason, until=until, operator=_operator(), now=now,
                today=now.astimezone(settings.zone).date(),
            )  # fmt: skip
            print(
                f"{case.code}: on hold until {until.isoformat()} (retention date {case.retention_until or '-'})"
            )
        else:
            case = retention.release(db, args.code, operator=_operator(), now=now)
            print(f"{case.code}: released; the retention date {case.retention_until or '-'} applies again")


def cmd_stats(args: argparse.Namespace, settings: Settings) -> None:
    """사례관리 실적: the period's aggregates as csv, md or xlsx; every run is in the access log."""
    from models.services import audit, stats, stats_output

    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    assert start is not None and end is not None  # both options are required
    span = stats.period(start, end)  # InvalidInput before anything is read or written
    uow = _uow(settings)
    with uow() as db:
        report = stats.compute(db, span, zone=settings.zone, team=args.team)
        scope = f"from={start.isoformat()} to={end.isoformat()} team={args.team or '*'} format={args.format}"
        audit.record_operator_export(db, _operator(), "statistics", scope, datetime.now(UTC))
    if args.format == "xlsx":
        data = stats_output.to_xlsx(report, args.locale)
        if args.out:
            Path(args.out).write_bytes(data)
            print(f"Written to {args.out}.", file=sys.stderr)
        else:
            sys.stdout.buffer.write(data)
        return
    text = (
        stats_output.to_csv(report) if args.format == "csv" else stats_output.to_markdown(report, args.locale)
    )
    _write(text, args.out)


def cmd_keys(args: argparse.Namespace, settings: Settings) -> None:
    """Encryption keys: make one, see how the stored values stand, re-encrypt with the newest key."""
    from models.crypto import generate_key
    from models.services import encryption

    if args.action == "generate":
        print(generate_key())
        return
    keyring = settings.keyring()
    if keyring is None:
        raise CliError("ENCRYPTION_KEYS is not set: there is no key to encrypt with.")
    uow = _uow(settings)
    with uow() as db:
        act = encryption.status if args.action == "status" else encryption.rotate
        report = act(db, keyring)
    print(report)


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> None:
    from models.services import demo

    uow = _uow(settings)
    with uow() as db:
        summary = demo.load(db, settings.policy(), cases=args.cases, seed=args.seed, now=datetime.now(UTC))
    print(summary)


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    import logging

    from casebot.server import StartupError, run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    no_slack = settings.slack_bot_token is None and settings.slack_app_token is None
    try:
        if args.sandbox or (no_slack and settings.slack_signing_secret is None):
            from sandbox.runner import run as run_sandbox

            if not args.sandbox:
                print("No Slack tokens are set: starting the sandbox (see README).", flush=True)
            run_sandbox(settings)
        else:
            run(settings)
    except StartupError as exc:
        raise CliError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casebot", description=t("cli.description", "en"))
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema (Alembic)")
    db_actions = db.add_subparsers(dest="action", required=True)
    up = db_actions.add_parser("upgrade", help="bring the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    down = db_actions.add_parser("downgrade", help="go back to an earlier schema revision")
    down.add_argument("revision")
    db_actions.add_parser("current", help="show the schema revision")
    db.set_defaults(handler=cmd_db)

    people = commands.add_parser("staff", help="staff members and teams")
    people_actions = people.add_subparsers(dest="action", required=True)
    add = people_actions.add_parser(
        "add", help="register a Slack user as staff (the team is created on first use)"
    )
    add.add_argument("slack_user_id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--team", required=True)
    people_actions.add_parser("list", help="list staff")
    off = people_actions.add_parser("deactivate", help="deactivate a staff member (by id or Slack user id)")
    off.add_argument("id")
    off.add_argument(
        "--reassign-to",
        help="who takes over the cases they still manage (Slack user id or staff id; same team)",
    )
    off.add_argument(
        "--leave-unassigned",
        action="store_true",
        help="leave those cases unassigned: the team's supervisors transfer them from their Home",
    )
    approve = people_actions.add_parser(
        "approve",
        help=t("cli.approve_help", "en"),
    )
    approve.add_argument("id", help="staff id or Slack user id")
    approve.add_argument("--by", required=True, help=t("cli.approved_by_help", "en"))
    approve.add_argument("--ref", required=True, help="the approval's document or register number")
    approve.add_argument("--on", help="approval date, YYYY-MM-DD (default today)")
    approve.add_argument("--until", help="last day the approval holds, YYYY-MM-DD (default: open-ended)")
    revoke = people_actions.add_parser(
        "revoke", help="revoke a staff member's approval (kept as history; access ends at once)"
    )
    revoke.add_argument("id", help="staff id or Slack user id")
    revoke.add_argument("--reason", help="why (logged), e.g. moved to another school")
    history = people_actions.add_parser(
        "approvals", help="every approval on record, revoked ones too (of one person if given)"
    )
    history.add_argument("id", nargs="?", help="staff id or Slack user id")
    people.set_defaults(handler=cmd_staff)

    teams = commands.add_parser("team", help="teams and their practice profile")
    team_actions = teams.add_subparsers(dest="action", required=True)
    team_actions.add_parser("list", help="list teams with their profile")
    set_profile = team_actions.add_parser(
        "profile", help="set a team's profile (default: follow the deployment's PROFILE setting)"
    )
    set_profile.add_argument("team", help="the team's name")
    set_profile.add_argument("profile", choices=[*(p.value for p in Profile), "default"])
    teams.set_defaults(handler=cmd_team)

    res = commands.add_parser("resources", help="the community resource directory")
    res_actions = res.add_subparsers(dest="action", required=True)
    imp = res_actions.add_parser(
        "import", help="import resources from CSV (name,category,sector,contact,...)"
    )
    imp.add_argument("file")
    res_actions.add_parser("list", help="list resources")
    checked = res_actions.add_parser("verify", help="record that a resource's details were checked today")
    checked.add_argument("id", type=int)
    res.set_defaults(handler=cmd_resources)

    rem = commands.add_parser("reminders", help="due reminders: list them or send them (idempotent)")
    rem_actions = rem.add_subparsers(dest="action", required=True)
    for name, text in (("due", "list what a sweep at that time would send"), ("send", "send what is due")):
        sub = rem_actions.add_parser(name, help=text)
        sub.add_argument(
            "--as-of", help="ISO time, e.g. 2026-03-10T09:30 (local time unless an offset is given)"
        )
    rem.set_defaults(handler=cmd_reminders)

    trail = commands.add_parser("audit", help="the access log of a case, a person or a team (R9)")
    trail.add_argument("--case", help="case code")
    trail.add_argument("--person", help="Slack user id of a staff member")
    trail.add_argument("--team", help="team name: every access to the team's cases")
    trail.add_argument("--since", help="ISO date or time (local unless an offset is given)")
    trail.add_argument("--until", help="ISO date or time, exclusive")
    trail.add_argument("--format", choices=["text", "csv"], default="text")
    trail.add_argument("--out", help="write to this file instead of standard output")
    trail.set_defaults(handler=cmd_audit)

    export = commands.add_parser("export", help="a client's whole record as a readable document")
    export.add_argument("code", help="case code")
    export.add_argument("--reason", required=True, help="why, e.g. the access request's date (logged)")
    export.add_argument("--locale", choices=["ko", "en"], default="ko")
    export.add_argument("--out", help="write to this file instead of standard output")
    export.set_defaults(handler=cmd_export)

    printing = commands.add_parser("print", help="a printable form of a case (A4 PDF) for signature")
    printing.add_argument("code", help="case code")
    printing.add_argument(
        "--form",
        required=True,
        choices=["consent", "intake", "assessment", "plan", "referral", "conference", "closure"],
    )
    printing.add_argument("--locale", choices=["ko", "en"], default="ko")
    printing.add_argument("--out", required=True, help="the PDF file to write")
    printing.set_defaults(handler=cmd_print)

    keep = commands.add_parser("retention", help="hold a case's destruction (R10) or release the hold")
    keep_actions = keep.add_subparsers(dest="action", required=True)
    held = keep_actions.add_parser("hold", help="stop the retention clock of a case until a date (logged)")
    held.add_argument("code")
    held.add_argument("--reason", required=True, help="why the record must be kept (logged, encrypted)")
    held.add_argument("--until", required=True, help="last day of the hold, YYYY-MM-DD")
    freed = keep_actions.add_parser("release", help="end a hold: the retention date applies again (logged)")
    freed.add_argument("code")
    keep.set_defaults(handler=cmd_retention)

    figures = commands.add_parser("stats", help=t("cli.stats_help", "en"))
    figures.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    figures.add_argument("--to", dest="end", required=True, help="last day (inclusive), YYYY-MM-DD")
    figures.add_argument("--team", help="one team's cases (default: the whole agency)")
    figures.add_argument("--format", choices=["csv", "xlsx", "md"], default="md")
    figures.add_argument("--locale", choices=["ko", "en"], default="ko", help="labels of md and xlsx")
    figures.add_argument("--out", help="write to this file instead of standard output")
    figures.set_defaults(handler=cmd_stats)

    keys = commands.add_parser("keys", help="encryption at rest: generate a key, status, rotate")
    keys_actions = keys.add_subparsers(dest="action", required=True)
    keys_actions.add_parser("generate", help="print a new key (put it first in ENCRYPTION_KEYS)")
    keys_actions.add_parser("status", help="count stored values by key: current, older, not encrypted")
    keys_actions.add_parser(
        "rotate", help="re-encrypt every value with the first key (and encrypt unencrypted ones)"
    )
    keys.set_defaults(handler=cmd_keys)

    run = commands.add_parser(
        "run",
        help="start the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP; with no Slack tokens, the sandbox)",
    )
    run.add_argument(
        "--sandbox", action="store_true", help="the sandbox even if Slack tokens are set: Slack in a browser"
    )
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo-data", help="fill the database with a clearly fictional data set")
    demo.add_argument("--cases", type=int, default=50)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=cmd_demo_data)
    return parser


def main(
    argv: Sequence[str] | None = None, *, settings_loader: Callable[[], Settings] = load_settings
) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_loader()
        args.handler(args, settings)
    except SettingsError as exc:
        print(f"casebot: {exc}", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        problems = "; ".join(f"{field}: {message.en}" for field, message in exc.errors.items())
        print(f"casebot: invalid input: {problems}", file=sys.stderr)
        return 1
    except (CliError, DomainError) as exc:
        print(f"casebot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
