"""The generate_runbook MCP tool (in memory and over stdio) and the ``incident-mcp runbook`` command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from incident_mcp.render import OVERRIDE_DIR
from incident_mcp.runbook import POSTMORTEM_PATH, RUNBOOK_PATH
from incident_mcp.server import build_server
from tests.support.checkout import cli_env, stack_workspace
from tests.support.mcp_client import call_tool, first_text

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def make_ws(tmp_path: Path, stack: str = "railway-drizzle") -> Path:
    return stack_workspace(tmp_path / "ws", stack)


def test_the_tool_is_annotated_truthfully(tmp_path: Path) -> None:
    async def go() -> Any:
        async with Client(build_server(str(make_ws(tmp_path)))) as client:
            return await client.list_tools()

    tools = {t.name: t for t in asyncio.run(go()).tools}
    annotations = tools["generate_runbook"].annotations
    assert annotations is not None
    assert annotations.read_only_hint is False
    assert annotations.destructive_hint is False
    assert annotations.idempotent_hint is True
    schema = tools["generate_runbook"].input_schema
    assert set(schema["properties"]) == {"dry_run", "full_text", "force"}


def test_a_read_only_server_does_not_offer_it(tmp_path: Path) -> None:
    async def go() -> Any:
        async with Client(build_server(str(make_ws(tmp_path)), read_only=True)) as client:
            return await client.list_tools()

    assert "generate_runbook" not in {t.name for t in asyncio.run(go()).tools}


def test_dry_run_then_write_through_the_tool(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    server = build_server(str(root))
    summary = call_tool(server, "generate_runbook", {"dry_run": True})
    assert not summary.is_error
    assert [(f["action"], "text" in f, "diff" in f) for f in summary.structured_content["files"]] == [
        ("created", False, False), ("created", False, False)], "a summary: no full text, no diff of a new file"
    assert summary.structured_content["files"][0]["chars"] > 1000
    dry = call_tool(server, "generate_runbook", {"dry_run": True, "full_text": True})
    assert not dry.is_error
    files = dry.structured_content["files"]
    assert [f["action"] for f in files] == ["created", "created"]
    assert files[0]["path"] == RUNBOOK_PATH and files[0]["diff"].startswith("--- /dev/null")
    assert not (root / "standards").exists()

    real = call_tool(server, "generate_runbook", {})
    assert not real.is_error
    assert [f["action"] for f in real.structured_content["files"]] == ["created", "created"]
    assert (root / RUNBOOK_PATH).read_text() == files[0]["text"]
    assert (root / POSTMORTEM_PATH).is_file()

    again = call_tool(server, "generate_runbook", {})
    assert [f["action"] for f in again.structured_content["files"]] == ["unchanged", "unchanged"]

    path = root / RUNBOOK_PATH
    path.write_text(path.read_text().replace("## At a Glance", "## At a Glance\n\nMy own note.", 1))
    (root / "company.config.yaml").write_text((root / "company.config.yaml").read_text() + "\n")
    edited = call_tool(server, "generate_runbook", {"dry_run": True})
    [runbook, _] = edited.structured_content["files"]
    assert runbook["action"] == "unchanged" and "diff" not in runbook and "text" not in runbook
    assert len(first_text(edited)) <= 1024


def test_a_broken_override_reaches_the_client_as_a_clear_error(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    override = root / OVERRIDE_DIR / "incident-runbook.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("# Runbook\n{% if %}\n")
    result = call_tool(build_server(str(root)), "generate_runbook", {})
    assert result.is_error
    text = first_text(result)
    assert "'incident-runbook.md.j2'" in text and "line 2" in text


def test_the_tool_works_over_stdio(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "incident_mcp", "serve", "--workspace", str(root)], env=cli_env())

    async def go() -> Any:
        async with Client(params) as client:
            return await client.call_tool("generate_runbook", {"dry_run": True})

    result = asyncio.run(go())
    assert not result.is_error
    assert result.structured_content["files"][0]["action"] == "created"


def test_the_cli_creates_then_reports_unchanged(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_ws(tmp_path)
    first = run_cli("runbook", "--workspace", str(root))
    assert first.returncode == 0, first.stderr
    assert f"created: {RUNBOOK_PATH}" in first.stdout
    assert f"created: {POSTMORTEM_PATH}" in first.stdout
    assert "not configured: set `tech_stack.cache`" in first.stderr
    second = run_cli("runbook", "--workspace", str(root))
    assert second.returncode == 0
    assert f"unchanged: {RUNBOOK_PATH}" in second.stdout


def test_the_cli_dry_run_prints_a_diff_and_writes_nothing(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_ws(tmp_path)
    result = run_cli("runbook", "--dry-run", cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"would create: {RUNBOOK_PATH}" in result.stdout
    assert f"+++ b/{RUNBOOK_PATH}" in result.stdout
    assert not (root / "standards").exists()


def test_the_cli_reports_kept_edits_and_force(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_ws(tmp_path)
    assert run_cli("runbook", "--workspace", str(root)).returncode == 0
    path = root / RUNBOOK_PATH
    path.write_text(path.read_text().replace("Log the issue in the backlog.", "Log it in Linear."))
    kept = run_cli("runbook", "--workspace", str(root))
    assert "kept your edits in: triage" in kept.stdout
    assert "Log it in Linear." in path.read_text()
    forced = run_cli("runbook", "--force", "--json", "--workspace", str(root))
    assert forced.returncode == 0
    assert '"blocks_updated": [\n        "triage"' in forced.stdout
    assert "Log it in Linear." not in path.read_text()


def test_a_cli_error_is_one_line_on_stderr(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_ws(tmp_path)
    (root / "company.config.yaml").write_text("company: [unclosed\n")
    result = run_cli("runbook", "--workspace", str(root))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "company.config.yaml" in result.stderr
