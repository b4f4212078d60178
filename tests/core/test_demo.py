"""The demo runs end to end on the bundled company, from a checkout and from an installed wheel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace


def test_the_demo_copies_the_example_company_and_walks_through_every_step(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "demo"
    done = run_cli("demo", "--into", str(target), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Brightdesk" in done.stdout and str(target) in done.stdout
    assert "✗" not in done.stdout
    ws = Workspace.at(target)
    assert validate_workspace(ws).errors == 0
    for standard in ("incident-runbook.md", "post-mortem-template.md"):
        assert (target / "standards" / "ops" / standard).is_file()
    record = next((target / "artifacts" / "decision-memos").glob("INC-001-*.md")).read_text()
    assert "status: review" in record and "incident_state: resolved" in record
    assert "```mermaid" in record
    assert "api" in done.stdout and "down" in done.stdout, "the status check found the failing local service"
    log = (target / "artifacts" / ".audit-log" / "promotions.log").read_text()
    assert "draft → review" in log
    index = target / "status-site" / "index.html"
    assert index.as_uri() in done.stdout and "Checkout fails" not in index.read_text()
    assert "incidents/INC-001.html" in index.read_text()


def test_the_demo_refuses_to_write_into_a_folder_that_is_not_empty(tmp_path: Path,
                                                                   run_cli: Callable[..., Any]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = run_cli("demo", "--into", str(tmp_path))
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
