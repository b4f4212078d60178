"""MCP tools ``validate_artifacts`` and ``promote_artifact`` through the real MCP client (in memory and stdio)."""

from __future__ import annotations

import sys
from pathlib import Path

from mcp import StdioServerParameters

from incident_mcp.server import build_server
from tests.support.artifact_repo import artifact
from tests.support.checkout import REPO, cli_env
from tests.support.mcp_client import call_tool, first_text, list_tools

RFC = "artifacts/rfcs/RFC-EXAMPLE-001-notification-system.md"


def test_the_tools_tell_the_truth_about_what_they_write(company_os_ws: Path) -> None:
    tools = list_tools(build_server(str(company_os_ws)))
    validate = tools["validate_artifacts"].annotations
    promote = tools["promote_artifact"].annotations
    assert validate is not None and promote is not None
    assert (validate.read_only_hint, validate.destructive_hint, validate.idempotent_hint) == (True, False, True)
    assert (promote.read_only_hint, promote.destructive_hint, promote.idempotent_hint) == (False, True, False)
    assert tools["promote_artifact"].input_schema["properties"]["to"]["enum"] == [
        "draft", "review", "approved", "archived"]


def test_a_read_only_server_has_no_promote_tool(company_os_ws: Path) -> None:
    tools = list_tools(build_server(str(company_os_ws), read_only=True))
    assert "validate_artifacts" in tools and "promote_artifact" not in tools


def test_validating_the_company_os_examples_returns_a_clean_structured_report(company_os_ws: Path) -> None:
    result = call_tool(build_server(str(company_os_ws)), "validate_artifacts", {"strict": True})
    assert not result.is_error
    assert result.structured_content["files_checked"] == 4
    assert (result.structured_content["errors"], result.structured_content.get("problems")) == (0, None)


def test_validating_by_id_and_path_returns_each_problem_with_its_rule(company_os_ws: Path) -> None:
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(
        artifact(id="RFC-002", depends_on="[RFC-404]"), encoding="utf-8")
    result = call_tool(build_server(str(company_os_ws)), "validate_artifacts", {"paths": ["RFC-002", RFC]})
    content = result.structured_content
    assert [f["file"] for f in content["files"]] == ["artifacts/rfcs/RFC-002-x.md", RFC]
    assert [(p["rule"], p["line"], p["severity"]) for p in content["problems"]] == [
        ("reference.dangling", 10, "error")]


def test_problems_beyond_the_limit_are_counted_not_returned(company_os_ws: Path) -> None:
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(
        artifact(id="RFC-002", depends_on="[A-1, A-2, A-3]"), encoding="utf-8")
    content = call_tool(build_server(str(company_os_ws)), "validate_artifacts", {"max_problems": 1}).structured_content
    assert (len(content["problems"]), content["problems_omitted"], content["errors"]) == (1, 2, 3)


def test_a_path_outside_the_workspace_is_a_readable_tool_error(company_os_ws: Path) -> None:
    result = call_tool(build_server(str(company_os_ws)), "validate_artifacts", {"paths": ["../../etc/passwd"]})
    assert result.is_error
    assert "path '../../etc/passwd' contains '.' or '..' segments" in first_text(result)


def test_promoting_through_the_tool_rewrites_the_status_and_logs_it(company_os_ws: Path) -> None:
    rel = "artifacts/rfcs/RFC-002-x.md"
    (company_os_ws / rel).write_text(artifact(id="RFC-002"), encoding="utf-8")
    server = build_server(str(company_os_ws))
    result = call_tool(server, "promote_artifact", {"artifact": "RFC-002", "to": "review"})
    assert not result.is_error
    assert result.structured_content["changed"] is True
    assert result.structured_content["log_line"].endswith(f"] {rel}: draft → review")
    assert "\nstatus: review\n" in (company_os_ws / rel).read_text(encoding="utf-8")


def test_a_refused_promotion_is_a_tool_error_with_the_reasons(company_os_ws: Path) -> None:
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(artifact(id="RFC-002"), encoding="utf-8")
    result = call_tool(build_server(str(company_os_ws)), "promote_artifact", {"artifact": "RFC-002", "to": "approved"})
    assert result.is_error
    assert "Cannot promote from 'draft' to 'approved'" in first_text(result)


def test_an_unknown_status_is_rejected_by_the_input_schema(company_os_ws: Path) -> None:
    result = call_tool(build_server(str(company_os_ws)), "promote_artifact", {"artifact": "RFC-002", "to": "done"})
    assert result.is_error


def test_validate_artifacts_over_stdio(company_os_ws: Path) -> None:
    (company_os_ws / "artifacts/rfcs/RFC-002-x.md").write_text(
        artifact(id="RFC-002", depends_on="", extra="").replace("depends_on: \n", "depends_on:\n  - GONE-1\n"),
        encoding="utf-8")
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "incident_mcp", "serve", "--workspace", str(company_os_ws)],
                                   env=cli_env(), cwd=str(REPO))
    result = call_tool(params, "validate_artifacts", {})
    assert not result.is_error
    [problem] = result.structured_content["problems"]
    assert problem["missed_by_company_os"] is True and "block-style list" in problem["message"]
