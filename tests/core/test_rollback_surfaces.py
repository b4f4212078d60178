"""rollback_plan through its MCP tool and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from incident_mcp.server import build_server
from tests.core.rollback_helpers import STACKS
from tests.support.checkout import cli_env
from tests.support.mcp_client import first_text

# ---- MCP tool ------------------------------------------------------------------------------------------


def _workspace(tmp_path: Path, text: str) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "company.config.yaml").write_text(text, encoding="utf-8")
    return ws


def _call(ws: Path, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with Client(build_server(str(ws))) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            return tools["rollback_plan"], await client.call_tool("rollback_plan", arguments)

    return anyio.run(run)


def test_the_mcp_tool_is_read_only_and_returns_the_structured_plan(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, STACKS["fly-django-bugsnag"][0])
    tool, result = _call(ws, {"kinds": ["deployment"]})
    assert tool.annotations.read_only_hint is True and tool.annotations.destructive_hint is False
    assert not result.is_error
    plan = result.structured_content
    assert [s["kind"] for s in plan["sections"]] == ["deployment"]
    assert "docs" not in plan["sections"][0]["providers"][0], "docs links only on request"
    _, with_docs = _call(ws, {"kinds": ["deployment"], "docs": True})
    assert with_docs.structured_content["sections"][0]["providers"][0]["docs"]
    commands = [step.get("command") for p in plan["sections"][0]["providers"] for step in p["steps"]]
    assert "fly deploy --app acme-api --image registry.fly.io/acme-api:deployment-DEPLOYMENT_ID" in commands


def test_the_mcp_tool_rejects_an_unknown_section(tmp_path: Path) -> None:
    _, result = _call(_workspace(tmp_path, "tech_stack: {hosting: fly}\n"), {"kinds": ["flags"]})
    assert result.is_error
    assert "feature_flag" in first_text(result)


def test_the_mcp_tool_reports_a_broken_config_with_its_field(tmp_path: Path) -> None:
    _, result = _call(_workspace(tmp_path, "incident_response: {dns: {ttl: -5}}\n"), {})
    assert result.is_error
    assert "incident_response.dns.ttl" in first_text(result)


# ---- CLI -----------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "incident_mcp", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=60, check=False)


def test_the_cli_prints_the_plan_as_text_and_as_json(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, STACKS["heroku-rails"][0])
    text = _cli("rollback", "--workspace", str(ws))
    assert text.returncode == 0, text.stderr
    assert "## 1. Deployment rollback — Heroku" in text.stdout
    assert "$ heroku releases:rollback RELEASE -a acme" in text.stdout
    as_json = _cli("rollback", "--workspace", str(ws), "--json", "--kind", "database", "--kind", "dns")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert [s["kind"] for s in data["sections"]] == ["database", "dns"]


def test_the_cli_fails_with_one_line_when_there_is_no_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _cli("rollback", "--workspace", str(empty))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("incident-mcp: error:") and "company.config.yaml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
