"""The agent-facing surface (tools, prompts, resources) is snapshotted, so every change to it is deliberate.

Regenerate after an intended change with: UPDATE_SNAPSHOTS=1 python -m pytest tests/test_mcp_surface.py
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from mcp import Client

from incident_mcp.server import build_server

SNAPSHOT = Path(__file__).parent / "snapshots" / "mcp_surface.json"
DESIGN_TOOLS = {"load_context", "generate_runbook", "check_status", "classify_severity", "open_incident",
                "update_incident", "get_incident", "list_incidents", "rollback_plan", "draft_communication",
                "record_postmortem", "promote_artifact", "validate_artifacts", "publish_status_page",
                "recent_changes", "incident_metrics"}


def surface(read_only: bool) -> dict[str, Any]:
    """Names, annotations and input schemas of everything the server offers."""
    async def go() -> dict[str, Any]:
        async with Client(build_server(None, read_only=read_only)) as client:
            tools = (await client.list_tools()).tools
            prompts = (await client.list_prompts()).prompts
            resources = (await client.list_resources()).resources
            templates = (await client.list_resource_templates()).resource_templates
        return {
            "tools": {t.name: {"annotations": t.annotations.model_dump(exclude_none=True) if t.annotations else None,
                               "input_schema": t.input_schema} for t in sorted(tools, key=lambda t: t.name)},
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
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "the MCP surface changed; if intended, run UPDATE_SNAPSHOTS=1 python -m pytest tests/test_mcp_surface.py")
