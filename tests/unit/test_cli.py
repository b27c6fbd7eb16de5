"""The operator's command line, run in-process against real databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.settings import load_settings
from casebot.cli import main
from models import Case, Client, Resource, StaffMember
from models.db import make_engine, make_session_factory
from models.enums import CaseStatus, Profile, ResourceCategory, StaffRole
from models.staff import Team


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, empty_database_url):
    return empty_database_url(request.param)


def run(url: str, *argv: str) -> int:
    return main(list(argv), settings_loader=lambda: load_settings(database_url=url))


def count(url: str, model) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        value = db.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return value


def test_commands_refuse_an_out_of_date_schema(database_url, capsys):
    assert run(database_url, "staff", "list") == 1
    assert "casebot db upgrade" in capsys.readouterr().err


def test_db_upgrade_then_current(database_url, capsys):
    assert run(database_url, "db", "upgrade") == 0
    assert run(database_url, "db", "current") == 0
    assert "up to date" in capsys.readouterr().out


def test_staff_add_list_deactivate(database_url, capsys):
    run(database_url, "db", "upgrade")
    assert (
        run(
            database_url,
            "staff",
            "add",
            "U012ABC",
            "--name",
            "김사례",
            "--role",
            "case_manager",
            "--team",
            "1팀",
        )
        == 0
    )
    assert (
        run(
            database_url,
            "staff",
            "add",
            "U012DEF",
            "--name",
            "박슈퍼",
            "--role",
            "supervisor",
            "--team",
            "1팀",
        )
        == 0
    )
    assert (
        run(database_url, "staff", "add", "U012ABC", "--name", "중복", "--role", "admin", "--team", "1팀")
        == 1
    )
    assert "already registered" in capsys.readouterr().err
    assert (
        run(database_url, "staff", "add", "not-a-slack-id", "--name", "x", "--role", "admin", "--team", "1팀")
        == 1
    )
    assert "slack_user_id" in capsys.readouterr().err
    assert run(database_url, "staff", "deactivate", "U012ABC") == 0
    capsys.readouterr()
    assert run(database_url, "staff", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2
    assert any("U012ABC" in line and "inactive" in line for line in listing)
    assert any("U012DEF" in line and "\tactive" in line for line in listing)


def test_resources_import_is_all_or_nothing_with_line_numbers(database_url, tmp_path, capsys):
    run(database_url, "db", "upgrade")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,category,sector,contact,eligibility,capacity\n"
        "가상 주거센터,HOUSING,PUBLIC,02-000-0000,누구나,10\n"
        "이상한 곳,NOT_A_CATEGORY,PUBLIC,,,\n"
        ",의료,민간,,,\n",
        encoding="utf-8",
    )
    assert run(database_url, "resources", "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and "category" in err
    assert "line 4" in err and "name" in err
    assert count(database_url, Resource) == 0

    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffname,category,sector,contact,eligibility,capacity,has_mou\n"
        "가상 주거센터,HOUSING,PUBLIC,02-000-0000,누구나,10,yes\n"
        "가상 의원,의료,민간,,,,\n",
        encoding="utf-8",
    )
    assert run(database_url, "resources", "import", str(good)) == 0
    assert "2 new" in capsys.readouterr().out
    assert run(database_url, "resources", "import", str(good)) == 0  # re-import updates, never duplicates
    assert "0 new and updated 2" in capsys.readouterr().out
    assert count(database_url, Resource) == 2

    assert run(database_url, "resources", "verify", "1") == 0
    assert "Verified #1" in capsys.readouterr().out
    assert run(database_url, "resources", "verify", "999") == 1
    assert "No such resource" in capsys.readouterr().err
    assert run(database_url, "resources", "list") == 0
    assert "verified" in capsys.readouterr().out


def test_resources_import_reports_missing_columns(database_url, tmp_path, capsys):
    run(database_url, "db", "upgrade")
    path = tmp_path / "r.csv"
    path.write_text("name,sector\nx,PUBLIC\n", encoding="utf-8")
    assert run(database_url, "resources", "import", str(path)) == 1
    assert "missing column(s): category" in capsys.readouterr().err


def test_demo_data_spreads_cases_over_all_stages(database_url, capsys):
    run(database_url, "db", "upgrade")
    assert run(database_url, "demo-data", "--cases", "24") == 0
    out = capsys.readouterr().out
    for stage in range(10):
        assert f"stage {stage}:" in out
    assert "stage closed:" in out
    assert count(database_url, Case) == 24
    assert count(database_url, StaffMember) == 13
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        categories = set(db.scalars(select(Resource.category).distinct()))
        names = list(db.scalars(select(Client.name)))
    engine.dispose()
    assert categories == set(ResourceCategory)
    assert names and all("(가상)" in name for name in names)  # clearly fictional
    assert run(database_url, "demo-data") == 1  # a second load is refused, not duplicated
    assert "already loaded" in capsys.readouterr().err


def test_settings_error_is_one_line_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    assert main(["staff", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "TIMEZONE" in err and "Mars/Olympus" in err


def test_reminders_due_and_send_as_of_a_time(database_url, capsys):
    from sandbox.slack import FakeSlack

    run(database_url, "db", "upgrade")
    run(database_url, "demo-data", "--cases", "12")
    capsys.readouterr()
    as_of = "2030-01-02T10:00"  # a Wednesday morning, long after every demo due date
    assert run(database_url, "reminders", "due", "--as-of", as_of) == 0
    listing = capsys.readouterr().out
    due_count = int(listing.strip().splitlines()[-1].split()[0])
    assert due_count > 0

    with FakeSlack() as slack:

        def settings():
            return load_settings(
                database_url=database_url, slack_bot_token="xoxb-cli", slack_api_url=slack.url
            )

        assert main(["reminders", "send", "--as-of", as_of], settings_loader=settings) == 0
        first = capsys.readouterr().out
        posted = slack.calls("chat.postMessage")
        assert posted and "sent " in first
        assert all("(가상)" not in str(call.params) for call in posted)  # demo names never reach Slack
        assert main(["reminders", "send", "--as-of", as_of], settings_loader=settings) == 0
        assert "sent 0 message" in capsys.readouterr().out
        assert len(slack.calls("chat.postMessage")) == len(posted)  # idempotent

        assert (
            main(["reminders", "send", "--as-of", "2030-01-05T10:00"], settings_loader=settings) == 0
        )  # Saturday
        assert "Outside working time" in capsys.readouterr().out
    assert run(database_url, "reminders", "due", "--as-of", as_of) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("0 reminder")


def test_reminders_due_names_conference_rows_and_their_channel(database_url, capsys):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from models.enums import ConferenceType
    from models.schemas import ConferenceInput
    from models.services import conferences
    from tests.factories import make_world

    run(database_url, "db", "upgrade")
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        world = make_world(db)
        seoul = ZoneInfo("Asia/Seoul")
        data = ConferenceInput(
            conference_type=ConferenceType.INTERNAL,
            scheduled_at=datetime(2026, 3, 17, 14, 0, tzinfo=seoul),
            duration_minutes=60,
            slack_channel_id="C0CLI",
            participant_ids=[],
            cases=[],
        )
        [conference] = conferences.schedule(db, world.ctx(), data)
        conference_id = conference.id
        db.commit()
    engine.dispose()
    capsys.readouterr()
    assert run(database_url, "reminders", "due", "--as-of", "2026-03-10T09:30") == 0  # D-7, 09:00
    lines = capsys.readouterr().out.splitlines()
    assert any(
        f"conference #{conference_id}" in line and "CONFERENCE_AGENDA" in line and "channel C0CLI" in line
        for line in lines
    ), lines


def test_reminders_send_exits_non_zero_when_the_sweep_had_failures(database_url, capsys):
    from sandbox.slack import FakeSlack

    run(database_url, "db", "upgrade")
    run(database_url, "demo-data", "--cases", "12")
    as_of = "2030-01-02T10:00"
    with FakeSlack() as slack:

        def settings():
            return load_settings(
                database_url=database_url, slack_bot_token="xoxb-cli", slack_api_url=slack.url
            )

        slack.fail("chat.postMessage", error="service_unavailable", status=503, retry_after=None, times=10**6)
        capsys.readouterr()
        assert main(["reminders", "send", "--as-of", as_of], settings_loader=settings) == 1
        captured = capsys.readouterr()
        assert "failed" in captured.out and "could not be sent" in captured.err
        slack.reset()  # Slack is back: the next run sends them and succeeds
        assert main(["reminders", "send", "--as-of", "2030-01-02T10:01"], settings_loader=settings) == 0
        assert slack.calls("chat.postMessage")


def test_staff_add_asks_slack_for_the_persons_language_and_the_first_nudge_is_in_it(database_url, capsys):
    """Registered by an operator, nudged before they ever used the bot: the nudge is in their language."""
    from sandbox.slack import FakeSlack

    run(database_url, "db", "upgrade")
    with FakeSlack() as slack:
        slack.set_user("UENGLISH", locale="en-US", tz="Europe/Berlin")

        def settings():
            return load_settings(
                database_url=database_url, slack_bot_token="xoxb-cli", slack_api_url=slack.url
            )

        argv = ["staff", "add", "UENGLISH", "--name", "Kim", "--role", "case_manager", "--team", "1팀"]
        assert main(argv, settings_loader=settings) == 0
        assert "language: en" in capsys.readouterr().out
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        member = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "UENGLISH"))
        assert (member.locale, member.tz) == ("en", "Europe/Berlin")
    engine.dispose()


def test_a_first_nudge_asks_slack_for_the_language_of_someone_who_never_used_the_bot(database_url, capsys):
    from sandbox.slack import FakeSlack

    run(database_url, "db", "upgrade")
    run(database_url, "demo-data", "--cases", "12")
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        people = list(db.scalars(select(StaffMember).where(StaffMember.active.is_(True))))
        for member in people:
            member.locale = None  # nobody has used the bot yet
        db.commit()
        ids = [member.slack_user_id for member in people]
    with FakeSlack() as slack:
        for slack_user_id in ids:
            slack.set_user(slack_user_id, locale="en-GB")

        def settings():
            return load_settings(
                database_url=database_url, slack_bot_token="xoxb-cli", slack_api_url=slack.url
            )

        assert main(["reminders", "send", "--as-of", "2030-01-02T10:00"], settings_loader=settings) == 0
        dms = [c for c in slack.calls("chat.postMessage") if c.params["channel"].startswith("U")]
        assert dms and all(not any("\uac00" <= ch <= "\ud7a3" for ch in c.params["text"]) for c in dms)
    with make_session_factory(engine)() as db:
        told = {c.params["channel"] for c in dms}
        stored = dict(db.execute(select(StaffMember.slack_user_id, StaffMember.locale)).all())
        assert {stored[user] for user in told} == {"en"}
    engine.dispose()


def test_deactivating_someone_with_open_cases_names_them_then_reassigns_or_leaves_them(database_url, capsys):
    from sandbox.slack import FakeSlack

    run(database_url, "db", "upgrade")
    run(database_url, "demo-data", "--cases", "12")
    capsys.readouterr()
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        held = db.execute(
            select(StaffMember.slack_user_id, StaffMember.team_id, Case.code)
            .join(Case, Case.case_manager_id == StaffMember.id)
            .where(
                Case.status.not_in((CaseStatus.CLOSED, CaseStatus.ARCHIVED)),
                StaffMember.role == StaffRole.CASE_MANAGER,
            )
            .order_by(StaffMember.id, Case.code)
        ).all()
        leaver, team_id = held[0][0], held[0][1]
        codes = [code for user, _, code in held if user == leaver]
        heirs = db.scalars(
            select(StaffMember.slack_user_id).where(
                StaffMember.team_id == team_id,
                StaffMember.role == StaffRole.CASE_MANAGER,
                StaffMember.slack_user_id != leaver,
            )
        ).all()
        other_team = db.scalars(
            select(StaffMember.slack_user_id).where(
                StaffMember.team_id != team_id, StaffMember.role == StaffRole.CASE_MANAGER
            )
        ).first()
    engine.dispose()
    assert codes and heirs and other_team

    def managers() -> dict[str, str]:
        engine = make_engine(database_url)
        with make_session_factory(engine)() as db:
            found = dict(
                db.execute(
                    select(Case.code, StaffMember.slack_user_id)
                    .join(StaffMember, StaffMember.id == Case.case_manager_id)
                    .where(Case.code.in_(codes))
                ).all()
            )
        engine.dispose()
        return found

    assert run(database_url, "staff", "deactivate", leaver) == 1
    err = capsys.readouterr().err
    assert all(code in err for code in codes) and "--reassign-to" in err and "--leave-unassigned" in err
    for bad in (leaver, other_team):
        assert run(database_url, "staff", "deactivate", leaver, "--reassign-to", bad) == 1
        assert capsys.readouterr().err.startswith("casebot: ")
    assert set(managers().values()) == {leaver}  # nothing changed

    with FakeSlack() as slack:

        def settings():
            return load_settings(
                database_url=database_url, slack_bot_token="xoxb-cli", slack_api_url=slack.url
            )

        argv = ["staff", "deactivate", leaver, "--reassign-to", heirs[0]]
        assert main(argv, settings_loader=settings) == 0
        out = capsys.readouterr().out
        assert "Deactivated" in out and all(code in out for code in codes)
        dms = [call.params for call in slack.calls("chat.postMessage")]
    assert set(managers().values()) == {heirs[0]}
    assert {dm["channel"] for dm in dms} == {leaver, heirs[0]} and len(dms) == 2 * len(codes)
    assert all(any(code in dm["text"] for code in codes) for dm in dms)
    assert all("(가상)" not in str(dm) for dm in dms)  # case codes only

    # Someone holding the cases now leaves them for the supervisors.
    assert run(database_url, "staff", "deactivate", heirs[0], "--leave-unassigned") == 0
    assert "Left unassigned" in capsys.readouterr().out
    assert run(database_url, "staff", "list") == 0
    listing = capsys.readouterr().out
    assert all(f"{user}\t" in listing for user in (leaver, heirs[0]))


def test_team_profile_sets_and_resets_a_teams_profile(database_url, capsys):
    run(database_url, "db", "upgrade")
    for user, team in (("U0PUB", "희망복지1팀"), ("U0WEL", "사례관리1팀")):
        assert (
            run(database_url, "staff", "add", user, "--name", user, "--role", "case_manager", "--team", team)
            == 0
        )
    assert run(database_url, "team", "profile", "희망복지1팀", "public") == 0
    assert "profile public" in capsys.readouterr().out

    def profiles() -> dict[str, Profile | None]:
        engine = make_engine(database_url)
        with make_session_factory(engine)() as db:
            found = {t.name: t.profile for t in db.scalars(select(Team))}
        engine.dispose()
        return found

    assert profiles() == {"희망복지1팀": Profile.PUBLIC, "사례관리1팀": None}
    assert run(database_url, "team", "list") == 0
    listed = capsys.readouterr().out
    assert "희망복지1팀\tC\tpublic" in listed and "사례관리1팀\tC\twelfare_centre (PROFILE)" in listed
    assert run(database_url, "team", "profile", "희망복지1팀", "default") == 0
    assert profiles()["희망복지1팀"] is None
    assert run(database_url, "team", "profile", "없는팀", "school") == 1
    assert "없는팀" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # not a profile: argparse refuses it
        run(database_url, "team", "profile", "사례관리1팀", "hospital")
