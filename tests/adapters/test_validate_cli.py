"""``incident-mcp validate`` / ``promote`` and the ``tools/artifact/validate.sh`` drop-in, run as real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.artifact_repo import artifact
from tests.support.checkout import REPO, cli_env

SCRIPT = REPO / "tools" / "artifact" / "validate.sh"
RFC = "artifacts/rfcs/RFC-EXAMPLE-001-notification-system.md"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _sh(*args: str, cwd: Path, script: Path = SCRIPT, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(["bash", str(script), *args], cwd=cwd, capture_output=True, text=True,
                          env=env or cli_env(PYTHON=sys.executable), timeout=60, check=False)


def test_a_valid_artifact_prints_company_os_valid_block(company_os_ws: Path, run_cli: Run) -> None:
    done = run_cli("validate", RFC, cwd=company_os_ws)
    assert (done.returncode, done.stdout) == (0, f"✅ VALID: {RFC}\n  Type: rfc\n  Status: approved\n")


def test_an_invalid_artifact_prints_company_os_invalid_block_and_exits_1(company_os_ws: Path, run_cli: Run) -> None:
    rel = "artifacts/rfcs/RFC-002-x.md"
    (company_os_ws / rel).write_text(artifact(id="RFC-002", status="done", depends_on="[RFC-404]"), encoding="utf-8")
    done = run_cli("validate", rel, cwd=company_os_ws)
    assert done.returncode == 1
    assert done.stdout == (
        f"❌ INVALID: {rel}\n  Errors:\n"
        "    - Invalid status: 'done' (must be one of: draft, review, approved, archived)\n"
        "    - depends_on 'RFC-404' does not resolve to any artifact in artifacts/\n")


def test_strict_warnings_print_before_the_verdict_in_company_os_format(company_os_ws: Path, run_cli: Run) -> None:
    rel = "artifacts/rfcs/RFC-002-x.md"
    (company_os_ws / rel).write_text(artifact(id="RFC-002", parent="PRD-EXAMPLE-001"), encoding="utf-8")
    assert run_cli("validate", rel, cwd=company_os_ws).stdout.startswith("✅ VALID:")
    done = run_cli("validate", "--strict", rel, cwd=company_os_ws)
    assert done.returncode == 0
    assert done.stdout == (
        f"⚠️  WARNINGS: {rel}\n"
        "    - Bidirectional: parent 'PRD-EXAMPLE-001' does not list 'RFC-002' in its children\n"
        f"✅ VALID: {rel}\n  Type: rfc\n  Status: draft\n")


def test_the_whole_workspace_run_lists_problems_with_file_line_and_rule(company_os_ws: Path, run_cli: Run) -> None:
    assert run_cli("validate", cwd=company_os_ws).stdout == "✅ VALID: 4 files, 0 errors, 0 warnings\n"
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(artifact(id="RFC-002", depends_on="[X-1]"),
                                                              encoding="utf-8")
    done = run_cli("validate", "--workspace", str(company_os_ws), cwd=REPO)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "artifacts/rfcs/RFC-002-x.md:10: error [reference.dangling] depends_on 'X-1' does not resolve to any "
        "artifact in artifacts/",
        "❌ INVALID: 5 files, 1 error, 0 warnings"]


def test_json_output_is_the_report(company_os_ws: Path, run_cli: Run) -> None:
    done = run_cli("validate", "--format", "json", "RFC-EXAMPLE-001", cwd=company_os_ws)
    report = json.loads(done.stdout)
    assert done.returncode == 0
    assert report["files"] == [{"file": RFC, "id": "RFC-EXAMPLE-001", "type": "rfc", "status": "approved",
                                "valid": True}]


def test_paths_are_taken_relative_to_the_current_folder(company_os_ws: Path, run_cli: Run) -> None:
    done = run_cli("validate", "RFC-EXAMPLE-001-notification-system.md", cwd=company_os_ws / "artifacts" / "rfcs")
    assert done.stdout.startswith("✅ VALID: RFC-EXAMPLE-001-notification-system.md\n")


@pytest.mark.parametrize(("arg", "expected"), [
    ("artifacts/rfcs/nope.md", "ERROR: File not found: artifacts/rfcs/nope.md\n"),
    ("../../etc/passwd", "ERROR: ../../etc/passwd is outside the workspace"),
    ("NOPE-1", "ERROR: no artifact with id 'NOPE-1' under artifacts/\n"),
])
def test_bad_arguments_print_one_error_line_and_exit_1(company_os_ws: Path, run_cli: Run, arg: str,
                                                       expected: str) -> None:
    done = run_cli("validate", arg, cwd=company_os_ws)
    assert done.returncode == 1 and done.stdout.startswith(expected) and done.stdout.count("\n") == 1


def test_promote_prints_company_os_summary_and_refusals_exit_1(company_os_ws: Path, run_cli: Run) -> None:
    rel = "artifacts/rfcs/RFC-002-x.md"
    (company_os_ws / rel).write_text(artifact(id="RFC-002", parent="PRD-EXAMPLE-001"), encoding="utf-8")
    refused = run_cli("promote", "RFC-002", "approved", cwd=company_os_ws)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "expected next status: 'review'" in refused.stderr and refused.stderr.count("\n") == 1
    done = run_cli("promote", rel, "review", cwd=company_os_ws)
    assert done.returncode == 0
    assert done.stdout == (f"✅ Promoted: {rel}\n  draft → review\n  Logged to: artifacts/.audit-log/promotions.log\n")
    again = run_cli("promote", "RFC-002", "review", cwd=company_os_ws)
    assert (again.returncode, again.stdout) == (0, "WARNING: Artifact is already in status 'review'\n")
    approved = run_cli("promote", "RFC-002", "approved", cwd=company_os_ws)
    assert approved.stdout.startswith("  ✅ Parent 'PRD-EXAMPLE-001': approved\n✅ Promoted:")


# --- tools/artifact/validate.sh -------------------------------------------------------------------


def test_the_drop_in_script_matches_company_os_markers_and_exit_codes(company_os_ws: Path) -> None:
    done = _sh(RFC, cwd=company_os_ws)
    assert (done.returncode, done.stdout) == (0, f"✅ VALID: {RFC}\n  Type: rfc\n  Status: approved\n")
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(artifact(id="RFC-002", body=""), encoding="utf-8")
    bad = _sh("--strict", "artifacts/rfcs/RFC-002-x.md", cwd=company_os_ws)
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[-3:] == ["❌ INVALID: artifacts/rfcs/RFC-002-x.md", "  Errors:",
                                            "    - Artifact has no content body (only frontmatter)"]


def test_the_drop_in_script_without_a_path_prints_company_os_usage(company_os_ws: Path) -> None:
    done = _sh("--strict", cwd=company_os_ws)
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == ["ERROR: No artifact path provided",
                                            "Usage: ./tools/artifact/validate.sh [--strict] <artifact-path>"]


def test_the_drop_in_script_reports_a_missing_file_like_company_os(company_os_ws: Path) -> None:
    done = _sh("artifacts/nope.md", cwd=company_os_ws)
    assert (done.returncode, done.stdout) == (1, "ERROR: File not found: artifacts/nope.md\n")


def test_the_drop_in_script_copied_into_a_company_os_repo_validates_that_repo(company_os_ws: Path,
                                                                             tmp_path: Path) -> None:
    installed = company_os_ws / "tools" / "artifact" / "validate.sh"
    installed.parent.mkdir(parents=True)
    shutil.copy(SCRIPT, installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _sh(str(company_os_ws / RFC), cwd=elsewhere, script=installed)  # workspace = the script's repo
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"✅ VALID: {company_os_ws / RFC}\n")


def test_the_drop_in_script_says_clearly_when_incident_mcp_is_not_installed(company_os_ws: Path) -> None:
    installed = company_os_ws / "tools" / "artifact" / "validate.sh"
    installed.parent.mkdir(parents=True)
    shutil.copy(SCRIPT, installed)
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    done = _sh(RFC, cwd=company_os_ws, script=installed, env=env)
    assert done.returncode == 1
    assert "incident-mcp is not installed" in done.stderr
