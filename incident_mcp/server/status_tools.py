"""MCP tool ``check_status``: live, concurrent health checks of configured services and public URLs."""

from __future__ import annotations

import time
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from incident_mcp.config import CompanyConfig
from incident_mcp.errors import IncidentMCPError, WorkspaceError
from incident_mcp.incidents import record_status_check
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors
from incident_mcp.status import (
    CheckOptions,
    ServiceResult,
    StatusReport,
    TargetPolicy,
    check_targets,
    select_targets,
    unchecked_services,
)
from incident_mcp.workspace import Workspace

PROGRESS_EVERY = 0.25  # seconds between progress notifications on long sweeps


class CheckStatusResult(StatusReport):
    """The sweep, plus whether it was appended to an incident's timeline."""

    incident_id: str | None = None
    timeline_updated: bool = False


def record_in_incident(workspace: Workspace, incident_id: str, report: StatusReport) -> tuple[bool, str]:
    """Append the report to the incident's timeline; a failed write becomes a note, the results still return."""
    try:
        record_status_check(workspace, incident_id, report)
    except IncidentMCPError as err:
        return False, f"could not append to {incident_id}: {err}"
    return True, f"appended this check to the timeline of {incident_id}"


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``check_status`` to the server."""

    # It writes only with incident_id, and never on a read-only server: there it says it is read-only, so
    # the most needed tool of a live incident stays available.
    @server.tool(name="check_status", annotations=hints(
        "Check live service status", read_only=ctx.read_only, idempotent=False, open_world=True))
    async def check_status(
        context: Context,
        services: Annotated[list[str] | None, Field(
            description="configured service names (incident_response.services[].name); omitted: the critical "
                        "services, unless urls are given", max_length=200)] = None,
        urls: Annotated[list[str] | None, Field(
            description="extra http(s) URLs to check; only public addresses unless the config declares the "
                        "origin (a service's scheme, host and port) or the host (allow_private_targets)",
            max_length=50)] = None,
        incident_id: Annotated[str | None, Field(
            description="INC-NNN: append the result to that incident's timeline (the only write)",
            pattern=r"^INC-\d{3,}$")] = None,
    ) -> CheckStatusResult:
        """Check which services are really up, concurrently, with one whole-request deadline each.

        Each service gets a state (up / degraded / down / unknown), a reason code (dns, refused, timeout,
        tls, status, health, slow, …), status code, latency, certificate days left and a flapping flag;
        nothing is called down before a re-check on a fresh connection agrees. Also the overall state
        and a severity hint for classify_severity. Response bodies are never returned. Read-only unless
        incident_id is given: then the result is appended to that incident's timeline.
        Example: check_status() → {"overall": "major_outage", "services": [{"name": "api", "state":
        "down", "reason": "timeout", ...}], "severity_hint": {"severity": "P0", ...}}
        """
        with tool_errors():
            config, workspace = _config_or_none(ctx, needed=bool(services) or not urls)
            targets = select_targets(config, services, urls)
            last = [0.0]

            async def progress(result: ServiceResult, done: int, total: int) -> None:
                now = time.monotonic()
                if done == total or now - last[0] >= PROGRESS_EVERY:
                    last[0] = now
                    await context.report_progress(done, total, f"{result.name}: {result.state}")

            report = await check_targets(targets, policy=TargetPolicy.for_agent(config), options=CheckOptions(),
                                         on_result=progress)
            notes = list(report.notes)
            left_out = unchecked_services(config, targets)
            if left_out:
                notes.append(f"not checked: {', '.join(left_out)} (pass services=[...] to include them)")
            updated = False
            if incident_id is not None:
                if ctx.read_only:
                    notes.append(f"the server is read-only: {incident_id} was not updated")
                elif workspace is None:
                    notes.append(f"no workspace: {incident_id} was not updated")
                else:
                    updated, note = record_in_incident(workspace, incident_id, report)
                    notes.append(note)
            return CheckStatusResult(**{**report.model_dump(), "notes": notes}, incident_id=incident_id,
                                     timeline_updated=updated)


def _config_or_none(ctx: ServerContext, *, needed: bool) -> tuple[CompanyConfig | None, Workspace | None]:
    """The config (and workspace); without a workspace only ad-hoc URLs can be checked."""
    try:
        workspace = ctx.workspace()
    except WorkspaceError:
        if needed:
            raise
        return None, None
    if not workspace.config_path.is_file() and not needed:
        return None, workspace
    return ctx.config(workspace).config, workspace
