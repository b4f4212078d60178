"""The generated standards pass our validator, and its standards/ops/ rule catches team language and broken blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.runbook import POSTMORTEM_PATH, RUNBOOK_PATH, generate_runbook
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace
from tests.support.checkout import stack_workspace


def make_ws(tmp_path: Path, stack: str) -> Workspace:
    return Workspace.at(stack_workspace(tmp_path / stack, stack))


@pytest.mark.parametrize("stack", ["vercel-prisma", "aws-ecs-alembic", "blank"])
def test_the_generated_files_pass_the_validator_when_named_explicitly(tmp_path: Path, stack: str) -> None:
    ws = make_ws(tmp_path, stack)
    generate_runbook(ws)
    report = validate_workspace(ws, [RUNBOOK_PATH, POSTMORTEM_PATH])
    assert report.files_checked == 2
    assert report.problems == []
    assert all(f.valid for f in report.files)


def test_a_whole_workspace_run_checks_the_ops_standards(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, "fly-django")
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    notes = "## Your Notes\n\nIf stuck, escalate to the team lead.\n"
    path.write_text(path.read_text().replace("## Your Notes\n", notes))
    report = validate_workspace(ws)
    problems = report.for_file(RUNBOOK_PATH)
    assert [(p.rule, p.severity) for p in problems] == [("standards.solo_voice", "warning")]
    line = path.read_text().splitlines().index("If stuck, escalate to the team lead.") + 1
    assert problems[0].line == line
    assert "'escalate to the team lead'" in problems[0].message
    assert report.ok  # a warning, not an error


def test_broken_block_markers_are_an_error(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, "heroku-rails")
    generate_runbook(ws)
    path = ws.root / POSTMORTEM_PATH
    path.write_text(path.read_text().replace("<!-- incident-mcp:end five-whys -->\n", ""))
    report = validate_workspace(ws, [POSTMORTEM_PATH])
    assert [(p.rule, p.severity) for p in report.problems] == [("standards.blocks", "error")]
    assert "five-whys" in report.problems[0].message
    assert not report.ok


def test_an_empty_or_unreadable_standard_is_an_error(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, "heroku-rails")
    folder = ws.root / "standards" / "ops"
    folder.mkdir(parents=True)
    (folder / "incident-runbook.md").write_text("\n")
    (folder / "post-mortem-template.md").write_bytes(b"\xff\xfe")
    report = validate_workspace(ws, ["standards/ops"])
    rules = {(p.file, p.rule) for p in report.problems}
    assert rules == {(RUNBOOK_PATH, "standards.empty"), (POSTMORTEM_PATH, "file.encoding")}
