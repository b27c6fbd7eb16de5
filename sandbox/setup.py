"""The sandbox's people and channels, and its first start: the fictional demo data set, a few shared
cases and the team channels, all made through the real services (and so audited like anything else)."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import t
from models.case import Case, CaseWorker
from models.clock import Clock
from models.db import UnitOfWork
from models.enums import Surface
from models.services import board, cases, demo, staff
from models.services.cases import CLOSED_STATUSES
from models.services.context import Ctx, Policy
from models.staff import StaffMember
from sandbox.workspace import Channel, Person

DEMO_CASES = 30
SHARED_CASES = 3  # the co-worker shares this many of the case manager's open cases

# (Slack id, Slack locale): one of each role the privacy rules tell apart, named in the catalogs
# (`sandbox.persona.<id>`). Two of them use English, so both languages are on show.
PERSONAS = (
    ("UDEMO01", "ko-KR"),
    ("UDEMO02", "en-US"),
    ("UDEMO00", "ko-KR"),
    ("UDEMOADMIN", "ko-KR"),
    ("UDEMO11", "en-US"),
)
CASE_MANAGER, COWORKER = PERSONAS[0][0], PERSONAS[1][0]
# One channel per demo team, named after it; each team's channel carries its board.
TEAM_CHANNELS = (("C0SANDBOX1", 0), ("C0SANDBOX2", 1))


def is_fresh(uow: UnitOfWork) -> bool:
    """No demo data yet: this start makes the sandbox's data afresh."""
    with uow() as db:
        return db.scalar(select(StaffMember).where(StaffMember.slack_user_id == CASE_MANAGER)) is None


def prepare(uow: UnitOfWork, policy: Policy, clock: Clock) -> list[str]:
    """Idempotent: what is missing is made, what exists is left alone; returns what was done. Dated by
    the sandbox's clock, like everything the bot records there."""
    done: list[str] = []
    if is_fresh(uow):
        with uow() as db:
            done.append(demo.load(db, policy, cases=DEMO_CASES, now=clock.now()))
    with uow() as db:
        done += _share_cases(db, policy, clock)
    with uow() as db:
        done += _link_channels(db, policy, clock)
    return done


def _share_cases(db, policy: Policy, clock: Clock) -> list[str]:  # type: ignore[no-untyped-def]
    manager, coworker = staff.find_staff(db, CASE_MANAGER), staff.find_staff(db, COWORKER)
    shared = db.scalar(select(CaseWorker).where(CaseWorker.staff_id == coworker.id))
    if shared is not None:
        return []
    open_cases = db.scalars(
        select(Case.code)
        .where(Case.case_manager_id == manager.id, Case.status.not_in(CLOSED_STATUSES))
        .order_by(Case.id)
        .limit(SHARED_CASES)
    ).all()
    ctx = Ctx(actor=manager, surface=Surface.SYSTEM, now=clock.now(), policy=policy)
    for code in open_cases:
        cases.add_coworker(db, ctx, code, coworker.id)
    return [f"{coworker.display_name} shares {len(open_cases)} case(s) with {manager.display_name}"]


def _link_channels(db, policy: Policy, clock: Clock) -> list[str]:  # type: ignore[no-untyped-def]
    done = []
    for channel_id, team_index in TEAM_CHANNELS:
        supervisor = staff.find_staff(db, f"UDEMO{team_index}0")
        if supervisor.team.slack_channel_id is None:
            ctx = Ctx(actor=supervisor, surface=Surface.SYSTEM, now=clock.now(), policy=policy)
            board.link_channel(db, ctx, channel_id)
            done.append(f"{supervisor.team.name} linked to its channel")
    return done


def people(uow: UnitOfWork) -> list[Person]:
    with uow() as db:
        found = []
        for slack_user_id, locale in PERSONAS:
            member = staff.find_staff(db, slack_user_id)
            found.append(
                Person(
                    slack_user_id,
                    member.display_name,
                    member.role.value,
                    t(f"sandbox.persona.{slack_user_id}", "ko"),
                    t(f"sandbox.persona.{slack_user_id}", "en"),
                    member.team.name,
                    locale,
                )
            )
        return found


def channels(uow: UnitOfWork) -> list[Channel]:
    with uow() as db:
        found = []
        for channel_id, team_index in TEAM_CHANNELS:
            team = staff.find_staff(db, f"UDEMO{team_index}0").team
            members = {m.slack_user_id for m in team.members}
            if team_index == 0:
                members.add("UDEMOADMIN")  # the admin sits in the first team (demo.py)
            found.append(Channel(channel_id, team.name, frozenset(members)))
        return found
