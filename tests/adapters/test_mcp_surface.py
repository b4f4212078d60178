"""The agent-facing surface (tools, prompts, resources) is snapshotted, so every change to it is deliberate.

Regenerate after an intended change with: UPDATE_SNAPSHOTS=1 python -m pytest tests/adapters/test_mcp_surface.py
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
from typing import Any

from jsonschema import Draft202012Validator
from mcp import Client

from incident_mcp.server import build_server
from incident_mcp.server.contract import unknown_keys
from tests.support.checkout import REPO

SNAPSHOT = REPO / "tests" / "snapshots" / "mcp_surface.json"
DESIGN_TOOLS = {"load_context", "generate_runbook", "check_status", "classify_severity", "open_incident",
                "update_incident", "get_incident", "list_incidents", "rollback_plan", "draft_communication",
                "record_postmortem", "promote_artifact", "validate_artifacts", "publish_status_page",
                "recent_changes", "incident_metrics"}


def surface(read_only: bool) -> dict[str, Any]:
    """Names, annotations, descriptions and schemas of everything the server offers."""
    async def go() -> dict[str, Any]:
        async with Client(build_server(None, read_only=read_only)) as client:
            tools = (await client.list_tools()).tools
            prompts = (await client.list_prompts()).prompts
            resources = (await client.list_resources()).resources
            templates = (await client.list_resource_templates()).resource_templates
        return {
            "tools": {t.name: {"annotations": t.annotations.model_dump(exclude_none=True) if t.annotations else None,
                               "description": t.description, "input_schema": t.input_schema,
                               "output_schema": t.output_schema} for t in sorted(tools, key=lambda t: t.name)},
            "prompts": {p.name: [a.name for a in p.arguments or []] for p in prompts},
            "resources": sorted(str(r.uri) for r in resources),
            "resource_templates": sorted(t.uri_template for t in templates),
        }
    return asyncio.run(go())


def test_the_server_offers_every_tool_design_md_names_each_with_a_description() -> None:
    async def go() -> Any:
        async with Client(build_server(None)) as client:
            return (await client.list_tools()).tools
    tools = asyncio.run(go())
    assert {t.name for t in tools} == DESIGN_TOOLS
    for tool in tools:
        assert tool.description and "Example" in tool.description, f"{tool.name} needs a description with an example"
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None, tool.name


def test_the_agent_facing_surface_matches_the_snapshot() -> None:
    current = {"full": surface(False), "read_only": surface(True)}
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    assert SNAPSHOT.exists(), (
        f"{SNAPSHOT.name} is missing; create it deliberately with UPDATE_SNAPSHOTS=1 python -m pytest "
        "tests/adapters/test_mcp_surface.py (it is never written on its own)")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8")), (
        "the MCP surface changed; if intended, run UPDATE_SNAPSHOTS=1 python -m pytest "
        "tests/adapters/test_mcp_surface.py")


def example_calls(description: str) -> list[str]:
    """Every ``Example: tool(...)`` call in a description, as written (line breaks joined)."""
    text = " ".join(description.split())
    calls = []
    for match in re.finditer(r"Example: (\w+)\(", text):
        depth, start = 0, match.start(1)
        for index in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[index], 0) if not _in_string(text, start, index) else 0
            if depth == 0:
                calls.append(text[start:index + 1])
                break
        else:
            calls.append(text[start:])
    return calls


def _in_string(text: str, start: int, index: int) -> bool:
    return text.count('"', start, index) % 2 == 1


def parse_call(call: str) -> tuple[str, dict[str, Any]]:
    """``tool(a=1, b=["x"])`` → ("tool", {"a": 1, "b": ["x"]}); JSON's true/false/null read as such."""
    tree = ast.parse(re.sub(r"\b(true|false|null)\b", lambda m: {"true": "True", "false": "False",
                                                                 "null": "None"}[m.group(1)], call), mode="eval")
    node = tree.body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args, call
    args = {}
    for keyword in node.keywords:
        assert keyword.arg is not None, f"{call}: **kwargs in an example"
        value = ast.literal_eval(keyword.value)
        assert value is not Ellipsis and "Ellipsis" not in repr(value), f"{call}: write real values, not ..."
        args[keyword.arg] = value
    return node.func.id, args


def test_every_example_in_every_description_calls_its_tool_with_valid_arguments() -> None:
    async def go() -> Any:
        async with Client(build_server(None)) as client:
            return (await client.list_tools()).tools
    checked = 0
    for tool in asyncio.run(go()):
        calls = example_calls(tool.description or "")
        assert calls, f"{tool.name}: no Example: line"
        for call in calls:
            name, args = parse_call(call)
            assert name == tool.name, f"{tool.name}'s example calls {name}"
            assert unknown_keys(args, tool.input_schema) == [], call
            errors = [e.message for e in Draft202012Validator(tool.input_schema).iter_errors(args)]
            assert errors == [], (call, errors)
            checked += 1
    assert checked >= len(DESIGN_TOOLS)


def test_the_example_checker_catches_a_wrong_name_and_a_wrong_value() -> None:
    schema = {"type": "object", "properties": {"state": {"type": "array", "items": {"enum": ["open"]}}}}
    _, args = parse_call('list_incidents(states=["open"])')
    assert unknown_keys(args, schema) != []
    _, args = parse_call('list_incidents(state=["opne"])')
    assert list(Draft202012Validator(schema).iter_errors(args)) != []
    assert example_calls('x\nExample: f(a="(", b=[1,\n 2]) → {"y": 1}') == ['f(a="(", b=[1, 2])']
