"""An unexpected error is logged with its type and stack, never with the client data it quotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from bot.errors import loggable
from models.schemas import ClientInput
from models.staff import Team

# Built at run time so that the value never stands in a source line the stack would show.
SECRET = "".join(["비밀", "이름", "홍길동"])
BAD_DATE = "-".join(["not", "a", "date"])


def test_database_errors_keep_parameters_and_server_detail_out_of_the_log(db):
    db.add(Team(name=SECRET))
    db.flush()
    with pytest.raises(IntegrityError) as caught, db.begin_nested():
        db.add(Team(name=SECRET))
        db.flush()
    # SQLAlchemy hides the bound parameters; PostgreSQL's DETAIL would still quote the key.
    assert "SQL parameters hidden" in str(caught.value)
    text = loggable(caught.value)
    assert SECRET not in text
    assert "IntegrityError" in text and "withheld" in text
    assert "test_database_errors_keep" in text  # the stack is kept


def test_validation_errors_name_fields_not_inputs():
    with pytest.raises(ValidationError) as caught:
        ClientInput(name=SECRET, birth_date=BAD_DATE)
    assert BAD_DATE in str(caught.value)  # pydantic quotes the input
    text = loggable(caught.value)
    assert "birth_date" in text
    assert SECRET not in text and BAD_DATE not in text


def test_other_errors_keep_their_message():
    try:
        raise RuntimeError("worker pool exhausted")
    except RuntimeError as error:
        assert "RuntimeError: worker pool exhausted" in loggable(error)


def test_code_that_may_hold_client_data_logs_errors_through_loggable():
    """`log.exception` prints the error's message, which may quote a row's values (a database error) or a
    field typed in a modal: the layers that handle case records log through `loggable` instead. The leader
    election touches no record (scheduler/runner.py)."""
    root = Path(__file__).resolve().parents[2]
    allowed = {root / "scheduler" / "runner.py"}
    found = [
        f"{path.relative_to(root)}:{number}"
        for layer in ("bot", "handlers", "scheduler", "casebot", "models")
        for path in sorted((root / layer).rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "log.exception(" in line or "logger.exception(" in line
    ]
    assert found == []
