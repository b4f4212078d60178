"""Building the site: identical rebuilds, the folder written at once and kept ours, the CLI and MCP adapters,
overrides, unreadable records."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from incident_mcp.errors import TemplateError, WorkspaceError
from incident_mcp.server import build_server
from incident_mcp.statuspage import publish_status_page
from incident_mcp.statuspage.writer import MANIFEST
from incident_mcp.workspace import Workspace
from tests.learn.statuspage_helpers import build, site_files
from tests.support.mcp_client import first_text
from tests.support.statuspage_fixtures import CONFIG, NOW, make_workspace

RunCli = Callable[..., subprocess.CompletedProcess[str]]


# ---- identical rebuilds and the folder ---------------------------------------------------------------------


def test_two_builds_with_the_same_inputs_are_byte_identical(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    first = build(root, out=tmp_path / "one")
    second = build(root, out=tmp_path / "two")
    assert site_files(first) == site_files(second)
    again = publish_status_page(Workspace.at(root), now=NOW, out=first)
    assert again.changed == 0 and site_files(first) == site_files(second)


def test_a_rebuild_keeps_files_others_added_and_drops_pages_no_longer_published(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    site = build(root)
    (site / "CNAME").write_text("status.acme.example\n")
    (site / "extra").mkdir()
    (site / "extra" / "_headers").write_text("/*\n  X-Frame-Options: DENY\n")
    record = next((root / "artifacts" / "decision-memos").glob("INC-001-*.md"))
    record.write_text(record.read_text().replace("author: Sam", "author: Sam\nclosed_as: duplicate"))
    build(root)
    assert (site / "CNAME").read_text() == "status.acme.example\n"
    assert (site / "extra" / "_headers").is_file()
    assert not (site / "incidents" / "INC-001.html").exists() and (site / "incidents" / "INC-002.html").exists()
    assert "INC-001" not in (site / "feed.atom").read_text()
    assert not [p for p in site.parent.iterdir() if "incident-mcp-tmp" in p.name]


def test_a_folder_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.html").write_text("mine")
    with pytest.raises(WorkspaceError, match="not empty and was not written by status-page build"):
        publish_status_page(Workspace.at(root), now=NOW, out=docs)
    assert (docs / "index.html").read_text() == "mine"
    with pytest.raises(WorkspaceError, match="it is the workspace or holds it"):
        publish_status_page(Workspace.at(root), now=NOW, out=root)


def test_the_configured_folder_cannot_leave_the_workspace(tmp_path: Path) -> None:
    config = {**CONFIG, "incident_response": {**CONFIG["incident_response"], "status_page": {"out": "../outside"}}}
    root = make_workspace(tmp_path / "ws", config=config)
    with pytest.raises(WorkspaceError, match=r"'\.\.'"):
        publish_status_page(Workspace.at(root), now=NOW)
    assert not (tmp_path / "outside").exists()


# ---- adapters ----------------------------------------------------------------------------------------------


def test_the_cli_builds_as_of_now_and_says_where_the_page_is(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_workspace(tmp_path / "ws", config={**CONFIG, "incident_response": {
        **CONFIG["incident_response"], "status_page": {"out": "public/status"}}})
    done = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00:00Z")
    assert done.returncode == 0, done.stderr
    assert "Partial System Outage" in done.stdout and str(root / "public/status/index.html") in done.stdout
    first = site_files(root / "public" / "status")
    again = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00:00Z", "--json")
    assert json.loads(again.stdout)["changed"] == 0 and site_files(root / "public" / "status") == first
    out = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00Z",
                  "--out", str(tmp_path / "elsewhere"))
    assert out.returncode == 0 and (tmp_path / "elsewhere" / "index.html").is_file()


def test_the_cli_refuses_a_bad_time_in_one_line(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_workspace(tmp_path / "ws")
    done = run_cli("status-page", "build", "--workspace", str(root), "--now", "yesterday")
    assert done.returncode == 2 and "is not an ISO 8601 time" in done.stderr
    assert "Traceback" not in done.stderr


def call(server: Any, name: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return tools.get(name), await client.call_tool(name, args) if name in tools else None

    return asyncio.run(go())


def test_the_mcp_tool_writes_the_site_and_answers_leanly(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    tool, result = call(build_server(str(root)), "publish_status_page", {})
    assert tool.annotations.read_only_hint is False and tool.annotations.idempotent_hint is True
    assert tool.annotations.destructive_hint is False
    data = result.structured_content
    assert data["out"] == "status-site" and data["index"] == "status-site/index.html"
    assert data["components"] == 3 and data["open_incidents"] == 1
    assert (root / "status-site" / "index.html").is_file()
    assert len(json.dumps(data)) < 1000 and "<html" not in json.dumps(data) and "skipped" not in data


def test_a_read_only_server_does_not_offer_the_tool(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    tool, _ = call(build_server(str(root), read_only=True), "publish_status_page", {})
    assert tool is None and not (root / "status-site").exists()


def test_the_mcp_tool_reports_a_bad_config_as_a_tool_error(tmp_path: Path) -> None:
    config = {**CONFIG, "incident_response": {**CONFIG["incident_response"], "status_page": {"out": "/etc"}}}
    root = make_workspace(tmp_path / "ws", config=config)
    _, result = call(build_server(str(root)), "publish_status_page", {})
    assert result.is_error and "absolute" in first_text(result)
    assert MANIFEST not in {p.name for p in Path("/etc").iterdir()}


def test_a_workspace_override_of_the_incident_page_is_used_and_sees_only_the_public_model(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    override = root / "templates" / "incident-mcp" / "statuspage" / "incident.html.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{% autoescape true %}<h1>{{ incident.name }}</h1>{% endautoescape %}\n")
    site = build(root)
    assert (site / "incidents" / "INC-007.html").read_text() == "<h1>Elevated API errors</h1>"
    override.write_text("{{ incident.record.title }}\n")
    with pytest.raises(TemplateError, match=r"workspace override templates/incident-mcp/statuspage/incident"):
        publish_status_page(Workspace.at(root), now=NOW)
    assert (site / "incidents" / "INC-007.html").read_text() == "<h1>Elevated API errors</h1>"


def test_an_unreadable_record_is_reported_and_the_rest_is_published(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    (root / "artifacts" / "decision-memos" / "INC-030-broken.md").write_text("---\nid: INC-030\nseverity: P9\n---\n")
    result = publish_status_page(Workspace.at(root), now=NOW)
    assert len(result.skipped) == 1 and result.skipped[0].startswith("artifacts/decision-memos/INC-030-broken.md: ")
    assert result.model_dump()["skipped"] == result.skipped
    assert (root / "status-site" / "incidents" / "INC-007.html").is_file()


def test_a_temp_folder_left_by_a_build_that_died_is_swept(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    stale = root / ".status-site.4194305.0123abcd.incident-mcp-tmp"  # above Linux's largest pid: its writer is gone
    (stale / "incidents").mkdir(parents=True)
    (stale / "incidents" / "INC-001.html").write_text("half")
    build(root)
    assert not stale.exists() and (root / "status-site" / "index.html").is_file()
