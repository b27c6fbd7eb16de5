"""No user-facing text is written into the code: Korean lives in the ko/en catalogs (models/i18n).

A string constant containing Hangul in a module of the application fails, wherever it is (a
`Message`, a label, an f-string part), except docstrings, which may keep Korean terms, and the
migrations, which are history. Comments are not string constants, so they may keep Korean terms too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "casebot", "handlers", "models", "scheduler", "sandbox")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")

# Not text anybody reads: how dates are written in Korean, matched to find identifiers in free text.
NOT_TEXT = {("models/privacy.py", "년 "), ("models/privacy.py", "월 "), ("models/privacy.py", "일")}


def modules() -> list[Path]:
    found = [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]
    assert len(found) > 50  # the scan sees the code, not an empty tree
    return found


def docstrings(tree: ast.AST) -> set[int]:
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, nodes)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def hangul_literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and HANGUL.search(node.value)
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hangul_string_in_the_code(path: Path) -> None:
    name = path.relative_to(ROOT).as_posix()
    found = [
        f"{name}:{line}: {text!r}"
        for line, text in hangul_literals(path.read_text(encoding="utf-8"))
        if (name, text) not in NOT_TEXT
    ]
    assert not found, "Korean text belongs in models/i18n/{ko,en}/*.toml:\n" + "\n".join(found)


def test_the_scan_finds_korean_in_code_but_not_in_docstrings_or_comments() -> None:
    source = '''
"""모듈 설명."""
# 주석
X = "사례"
def f(code):
    """함수 설명."""
    return f"사례 {code}를 찾을 수 없습니다."
class C:
    """클래스."""
    label = ("Case", "사례")
'''
    assert sorted({line for line, _ in hangul_literals(source)}) == [4, 7, 10]
