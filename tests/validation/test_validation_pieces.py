"""The named pieces of a validation run: the typed problem collector, target choice and the graph checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.errors import ArtifactError
from incident_mcp.validation.graph import cycles, duplicate_ids
from incident_mcp.validation.model import SHELL, ProblemCollector
from incident_mcp.validation.targets import MAX_PATHS, folder_of, looks_like_id, resolve
from incident_mcp.workspace import Workspace


def _write(root: Path, art_id: str, extra: str = "", name: str | None = None) -> None:
    path = root / "artifacts" / "rfcs" / f"{name or art_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nid: {art_id}\ntitle: T\ntype: rfc\nstatus: draft\nauthor: a\ncreated: 2026-01-01\n"
                    f"{extra}---\n\nBody.\n", encoding="utf-8")


def test_the_collector_marks_what_the_shell_tool_misses_and_says_why() -> None:
    out = ProblemCollector("artifacts/x.md")
    out.add("a.rule", "plain")
    out.add("b.rule", "hidden", line=3, severity="warning", why_missed="it reads bytes")
    first, second = out.problems
    assert (first.missed_by_company_os, first.message, first.severity) == (False, "plain", "error")
    assert second.missed_by_company_os and second.message == f"hidden ({SHELL} misses this: it reads bytes)"
    assert (second.file, second.line) == ("artifacts/x.md", 3)


@pytest.mark.parametrize(("given", "is_id"), [("RFC-001", True), ("artifacts/", False), ("x.md", False),
                                              ("..", False), ("", False), ("a\\b", False)])
def test_an_argument_is_an_id_only_without_slashes_or_md(given: str, is_id: bool) -> None:
    assert looks_like_id(given) is is_id


def test_a_rule_prefix_stands_for_its_folder() -> None:
    assert (folder_of("standards/ops/"), folder_of("artifacts/decision-memos/INC-")) == \
        ("standards/ops", "artifacts/decision-memos")


def test_too_many_paths_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    with pytest.raises(ArtifactError, match="at most 1,000"):
        resolve(ws, ArtifactIndex.build(ws), ["x.md"] * (MAX_PATHS + 1))


def test_a_two_step_cycle_is_reported_on_both_artifacts_and_a_duplicate_id_on_both_files(tmp_path: Path) -> None:
    _write(tmp_path, "A", "depends_on: [B]\n")
    _write(tmp_path, "B", "depends_on: [A]\n")
    _write(tmp_path, "C", name="C-one")
    _write(tmp_path, "C", name="C-two")
    index = ArtifactIndex.build(Workspace.at(tmp_path))
    found = {(p.file.rpartition("/")[2], p.line) for p in cycles(index)}
    assert found == {("A.md", 8), ("B.md", 8)}
    assert sorted(p.file.rpartition("/")[2] for p in duplicate_ids(index)) == ["C-one.md", "C-two.md"]
