"""load_context through the core, the real MCP client (in memory and over stdio) and the CLI."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters

from incident_mcp.context import load_context
from incident_mcp.server import build_server
from incident_mcp.workspace import Workspace
from tests.support.checkout import REPO, cli_env
from tests.support.mcp_client import call_tool, first_text


def test_the_example_company_context_names_its_stack_services_and_rfcs(example_ws: Path) -> None:
    ctx = load_context(Workspace.at(example_ws))
    assert ctx.company["name"] == "Brightdesk"
    assert ctx.critical_services == ["web", "api"]
    recognised = {p.field: p.recognised_as for p in ctx.providers}
    assert recognised["tech_stack.hosting"] == "fly"
    rfc1 = next(r for r in ctx.rfcs if r.id == "RFC-001")
    assert rfc1.depends_on == ["PRD-001", "RFC-002"] and rfc1.parent == "PRD-001"
    rfc3 = next(r for r in ctx.rfcs if r.id == "RFC-003")
    assert rfc3.depends_on == ["RFC-002"], "block-style lists are read too"
    assert "standards/ops/incident-runbook.md" in ctx.ops_standards_missing


def test_the_blank_company_os_template_lists_what_is_missing(company_os_ws: Path) -> None:
    ctx = load_context(Workspace.at(company_os_ws))
    missing = "\n".join(ctx.missing_config)
    for field in ("company.name", "tech_stack.hosting", "tech_stack.orm", "incident_response.services"):
        assert field in missing
    assert ctx.services == [] and [r.id for r in ctx.rfcs] == ["RFC-EXAMPLE-001"]


def test_load_context_over_the_in_memory_client_returns_structured_content(example_ws: Path) -> None:
    result = call_tool(build_server(str(example_ws)), "load_context")
    assert not result.is_error
    assert result.structured_content["company"]["name"] == "Brightdesk"


def test_load_context_without_a_workspace_is_a_readable_tool_error(tmp_path: Path) -> None:
    result = call_tool(build_server(str(tmp_path / "nope")), "load_context")
    assert result.is_error
    assert "is not a folder" in first_text(result)


def test_load_context_over_stdio_with_a_broken_config_names_the_line(example_ws: Path) -> None:
    (example_ws / "company.config.yaml").write_text("company:\n  name: [broken\n")
    params = StdioServerParameters(command=sys.executable, args=["-m", "incident_mcp", "serve", "--workspace",
                                                                 str(example_ws)],
                                   env=cli_env(), cwd=str(REPO))
    result = call_tool(params, "load_context")
    assert result.is_error
    assert "company.config.yaml:" in first_text(result) and "YAML syntax error" in first_text(result)


def test_the_context_command_prints_json_and_plain_text(example_ws: Path,
                                                         run_cli: Callable[..., Any]) -> None:
    done = run_cli("context", "--workspace", str(example_ws), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["critical_services"] == ["web", "api"]
    text = run_cli("context", cwd=example_ws / "artifacts")
    assert text.returncode == 0 and "Brightdesk" in text.stdout


def test_the_cli_reports_a_missing_workspace_in_one_line_without_traceback(tmp_path: Path,
                                                                           run_cli: Callable[..., Any]) -> None:
    done = run_cli("context", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_rfcs_carry_their_failure_domains_and_resolved_incidents_are_not_listed_as_open(example_ws: Path) -> None:
    from incident_mcp.incidents import open_incident, update_incident

    ws = Workspace.at(example_ws)
    first = open_incident(ws, title="Slow search", severity="P3")
    second = open_incident(ws, title="Checkout returns 500", severity="P1")
    update_incident(ws, first.id, event="resolved", text="fixed")
    ctx = load_context(ws)
    billing = next(r for r in ctx.rfcs if r.id == "RFC-001")
    assert "Payments" in billing.failure_domains
    assert [i.id for i in ctx.open_incidents] == [second.id]
