"""Builds the MCPServer and registers every area's tools."""

from __future__ import annotations

from types import ModuleType

from mcp.server import MCPServer

from incident_mcp import __version__
from incident_mcp.server import (
    artifact_tools,
    context_tools,
    guide,
    incident_tools,
    learn_tools,
    rollback_tools,
    runbook_tools,
    status_tools,
    statuspage_tools,
)
from incident_mcp.server.common import ServerContext
from incident_mcp.server.contract import ContractServer

INSTRUCTIONS = (
    "incident-mcp helps a solo founder run incident response in their Company OS repository. "
    "Start with load_context to learn the company's stack, services and open incidents. "
    "Live incident: check_status → classify_severity → open_incident → recent_changes → get_incident (what is "
    "due) → rollback_plan → update_incident → draft_communication. Afterwards: record_postmortem → "
    "promote_artifact → validate_artifacts → incident_metrics. publish_status_page rebuilds the public status "
    "page from the records. Setting up: generate_runbook. The prompts "
    "establish_incident_process, handle_live_incident and post_incident_review walk through each workflow."
)

AREAS: tuple[ModuleType, ...] = (
    context_tools,
    runbook_tools,
    status_tools,
    incident_tools,
    rollback_tools,
    artifact_tools,
    statuspage_tools,
    learn_tools,
    guide,
)


def build_server(workspace: str | None = None, *, read_only: bool = False) -> MCPServer:
    """An MCPServer for the workspace (located per call from ``workspace``, env or cwd)."""
    server = ContractServer("incident-mcp", version=__version__, instructions=INSTRUCTIONS)
    server.read_only = read_only  # set before registering: a read-only server never gets a write tool
    ctx = ServerContext(workspace_hint=workspace, read_only=read_only)
    for area in AREAS:
        area.register(server, ctx)
    return server
