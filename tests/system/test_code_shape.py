"""The size limits the README's Architecture section promises: every Python module under 400 lines and every
function at most 60, in the package, the tests and the benchmarks. Ruff's complexity rules cover branching;
this covers length, which ruff does not measure."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.checkout import REPO

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
FOLDERS = ("incident_mcp", "tests", "bench")


def _modules() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_under_400_lines() -> None:
    long = {str(p.relative_to(REPO)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_longer_than_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(REPO)}:{node.lineno} {node.name}"] = size
    assert long == {}


def test_the_walk_sees_the_package_the_tests_and_the_benchmarks() -> None:
    names = {p.relative_to(REPO).parts[0] for p in _modules()}
    assert names == set(FOLDERS)
    assert len(_modules()) > 250
