"""What an unexpected error may put in the log: never the values a user typed or a row held."""

from __future__ import annotations

import traceback

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, StatementError

# These messages quote data: SQL parameters, the server's DETAIL ("Key (name)=(…)"), pydantic inputs.
_VALUE_QUOTING = (DBAPIError, StatementError, ValidationError)


def loggable(error: BaseException) -> str:
    """The error's type and stack; its message only when it cannot carry client data."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    if isinstance(error, ValidationError):
        fields = ", ".join(".".join(map(str, e["loc"])) + f" ({e['type']})" for e in error.errors())
        return f"{stack}{type(error).__name__}: invalid fields {fields}"
    if isinstance(error, _VALUE_QUOTING):
        original = getattr(error, "orig", None)
        cause = f" from {type(original).__module__}.{type(original).__name__}" if original is not None else ""
        return f"{stack}{type(error).__name__}{cause} (message withheld: it may quote client data)"
    return f"{stack}{type(error).__name__}: {error}"
