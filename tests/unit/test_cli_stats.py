"""`casebot stats`: a month of known events gives the figures counted by hand, in every format, on both
databases; the run is in the access log; bad input writes nothing."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.settings import load_settings
from casebot.cli import main
from models import AuditLog, schema
from models.db import make_engine, make_session_factory
from models.services import stats_output
from tests.stats_fixture import (
    CLIENT_NAMES,
    NOTE_TEXT,
    REPORT_REFERENCE,
    TREND_TEAM_A,
    expected_team_a,
    seed_november,
)

PERIOD = ["--from", "2026-11-01", "--to", "2026-11-30"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, empty_database_url):
    url = empty_database_url(request.param)
    engine = make_engine(url)
    schema.upgrade(engine)
    with make_session_factory(engine)() as db:
        ids = seed_november(db)
        db.commit()
    engine.dispose()
    return url, ids


def run(url: str, *argv: str) -> int:
    return main(list(argv), settings_loader=lambda: load_settings(database_url=url))


def stats_runs(url: str) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        value = db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.record == "statistics"))
    engine.dispose()
    return value


def from_csv(text: str) -> dict[str, dict[tuple[str, ...], dict[str, float]]]:
    tables: dict[str, dict[tuple[str, ...], dict[str, float]]] = {}
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == stats_output.CSV_HEADER
    for table, d1, d2, d3, measure, value in rows[1:]:
        key = tuple(d for d in (d1, d2, d3) if d)
        tables.setdefault(table, {}).setdefault(key, {})[measure] = float(value)
    return tables


def by_label(expected: dict[tuple[str, ...], tuple], dims: tuple[str, ...], locale: str = "ko") -> dict:
    return {
        tuple(stats_output.label(d, v, locale) for d, v in zip(dims, key, strict=True)): tuple(
            float(x) for x in values
        )
        for key, values in expected.items()
    }


DIMS = {
    "intake": ("item",),
    "assessments": ("assessment_kind",),
    "open_by_intensity": ("intensity",),
    "open_by_stage": ("stage",),
    "closures": ("reason",),
    "contacts": ("contact_type", "kind"),
    "referrals": ("category", "sector", "status"),
    "unmet_needs": ("domain", "category"),
    "conferences": ("conference_type",),
    "mandatory_reports": ("agency",),
    "aftercare": ("item",),
    "deliveries": ("category", "funding_source"),
    "caseload": ("worker",),
}
MEASURES = {
    "contacts": ("contacts", "minutes"),
    "deliveries": ("deliveries", "times", "hours", "amount_won"),
    "caseload": ("open_cases", "weighted"),
}


def test_csv_equals_the_hand_count(seeded, tmp_path, capsys):
    url, ids = seeded
    before = stats_runs(url)
    out = tmp_path / "nov.csv"
    assert run(url, "stats", *PERIOD, "--team", "사례관리1팀", "--format", "csv", "--out", str(out)) == 0
    got = from_csv(out.read_text(encoding="utf-8"))
    for table, rows in expected_team_a(ids).items():
        measures = MEASURES.get(table)
        found = {key: tuple(values[m] for m in measures) if measures else tuple(values.values())
                 for key, values in got.get(table, {}).items()}  # fmt: skip
        assert found == {k: tuple(float(x) for x in v) for k, v in rows.items()}, table
    trend = {key[0]: tuple(v.values()) for key, v in got["trend"].items() if key[0] in TREND_TEAM_A}
    assert trend == {m: tuple(float(x) for x in v) for m, v in TREND_TEAM_A.items()}
    assert len(got["trend"]) == 12 and all(
        sum(v.values()) == 0 for k, v in got["trend"].items() if k[0] not in TREND_TEAM_A
    )
    assert stats_runs(url) == before + 1  # every run is in the access log


def test_the_whole_agency_adds_the_other_team(seeded, capsys):
    url, _ = seeded
    assert run(url, "stats", *PERIOD, "--format", "csv") == 0
    got = from_csv(capsys.readouterr().out)
    assert got["intake"][("NEW_INTAKES",)]["cases"] == 3
    assert got["deliveries"][("ECONOMIC", "PUBLIC_BENEFIT")]["amount_won"] == 100_000
    assert got["conferences"][("INTERNAL",)]["held"] == 2


def parse_markdown(text: str) -> dict[str, dict[tuple[str, ...], tuple[float, ...]]]:
    tables: dict[str, dict[tuple[str, ...], tuple[float, ...]]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = tables.setdefault(line[3:], {})
            header_seen = 0
        elif line.startswith("|") and current is not None:
            header_seen += 1
            if header_seen <= 2:
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] == "—":
                continue
            numbers = [c for c in cells if re.fullmatch(r"-?\d+(\.\d+)?", c)]
            labels = cells[: len(cells) - len(numbers)]
            current[tuple(labels)] = tuple(float(n) for n in numbers)
    return tables


def test_markdown_equals_the_hand_count(seeded, capsys):
    url, ids = seeded
    assert run(url, "stats", *PERIOD, "--team", "사례관리1팀", "--format", "md") == 0
    text = capsys.readouterr().out
    got = parse_markdown(text)
    for table, rows in expected_team_a(ids).items():
        title = stats_output.title(table, "ko")
        assert got[title] == by_label(rows, DIMS[table]), table
    # the unmet need counted by its domain and the declined resource's category, in Korean labels
    assert got[stats_output.title("unmet_needs", "ko")] == {("생활환경", "정신건강"): (1.0,)}


def test_markdown_in_english_takes_its_titles_headings_and_labels_from_the_catalogs(seeded, capsys):
    url, _ = seeded
    assert run(url, "stats", *PERIOD, "--format", "md", "--locale", "en") == 0
    text = capsys.readouterr().out
    assert text.startswith("# Case-management statistics · 2026-11-01 – 2026-11-30 · whole agency")
    assert "## Service deliveries by category and funding source" in text
    assert "| Category | Funding source | Deliveries |" in text and "Public benefits" in text
    assert not re.search(r"[\uac00-\ud7a3]", text.split("Unmet needs")[0])  # no Korean label before it


def test_xlsx_has_a_sheet_per_table_and_a_trend_chart(seeded, tmp_path):
    url, ids = seeded
    out = tmp_path / "nov.xlsx"
    assert run(url, "stats", *PERIOD, "--team", "사례관리1팀", "--format", "xlsx", "--out", str(out)) == 0
    book = load_workbook(out)
    for table, rows in expected_team_a(ids).items():
        sheet = book[table]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        header_at = 1  # row 1 the title, row 2 the header
        dims = len(DIMS[table])
        found = {
            tuple(r[:dims]): tuple(float(x) for x in r[dims:] if x is not None)
            for r in values[header_at + 1 :]
        }
        assert found == by_label(rows, DIMS[table]), table
    trend = book["trend"]
    assert len(trend._charts) == 1  # a native Excel chart, not a picture
    months = {r[0]: r[1:] for r in trend.iter_rows(min_row=3, values_only=True)}
    assert months["2026-11"] == TREND_TEAM_A["2026-11"]


def test_no_names_codes_or_notes_in_any_format(seeded, tmp_path, capsys):
    url, _ = seeded
    for fmt in ("csv", "md"):
        assert run(url, "stats", *PERIOD, "--format", fmt) == 0
        text = capsys.readouterr().out
        assert not re.search(r"[CD]-2026-\d{4}", text)
        assert NOTE_TEXT not in text and not any(name in text for name in CLIENT_NAMES)
        assert "담당1" not in text  # workers by staff number only
        assert REPORT_REFERENCE not in text  # a mandatory report is counted, never shown (R12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-11-30", "--to", "2026-11-01"], "ends (2026-11-01) before it starts"),
        ([*PERIOD, "--team", "없는팀"], "No team named '없는팀'"),
        (["--from", "2026-11-31", "--to", "2026-12-01"], "is not a date"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_written(seeded, tmp_path, capsys, argv, message):
    url, _ = seeded
    before = stats_runs(url)
    out = tmp_path / "never.csv"
    assert run(url, "stats", *argv, "--format", "csv", "--out", str(out)) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert stats_runs(url) == before
