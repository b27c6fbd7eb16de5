"""The layering holds without tricks: no module of the layers imports another of the project's modules
inside a function (the way a cycle is dodged). The layers themselves are import-linter's contracts
(pyproject.toml, run by `make test`); the composition root (casebot/) may defer imports for start-up
speed, and a heavy third-party import may wait until it is needed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "handlers", "models", "scheduler")
PROJECT = {"bot", "casebot", "handlers", "models", "scheduler", "sandbox"}


def _deferred_project_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [
                f"{path.relative_to(root)}:{node.lineno} {n}" for n in names if n.split(".")[0] in PROJECT
            ]
    return found


def test_no_module_of_the_layers_imports_the_project_inside_a_function() -> None:
    deferred = [
        found
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations" not in path.parts
        for found in _deferred_project_imports(path)
    ]
    assert deferred == []


def test_the_check_finds_a_deferred_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from models.services import desk\n    return desk\n", encoding="utf-8")
    assert _deferred_project_imports(module, tmp_path) == ["probe.py:2 models.services"]
