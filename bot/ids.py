"""Every callback and action id, in one place (`<domain>.<flow>.<element>`)."""

from __future__ import annotations

from enum import StrEnum


class View(StrEnum):
    INTAKE = "case.intake.modal"
    DONE = "case.done.modal"


class Action(StrEnum):
    OPEN_INTAKE = "case.intake.open"
