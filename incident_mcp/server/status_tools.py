"""MCP tool ``check_status``: live, concurrent health checks of configured services and public URLs."""

from __future__ import annotations

import time
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from incident_mcp.incidents import ID_PATTERN
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors
from incident_mcp.status import (
    ServiceResult,
    StatusReport,
    TargetPolicy,
    select_targets,
)
from incident_mcp.status_check import check_and_record, config_for_check

PROGRESS_EVERY = 0.25  # seconds between progress notifications on long sweeps


class CheckStatusResult(StatusReport):
    """The sweep, plus whether it was appended to an incident's timeline."""

    incident_id: str | None = None
    timeline_updated: bool = False


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
            pattern=ID_PATTERN)] = None,
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
            config, workspace = config_for_check(ctx.workspace, needed=bool(services) or not urls)
            targets = select_targets(config, services, urls)
            last = [0.0]

            async def progress(result: ServiceResult, done: int, total: int) -> None:
                now = time.monotonic()
                if done == total or now - last[0] >= PROGRESS_EVERY:
                    last[0] = now
                    await context.report_progress(done, total, f"{result.name}: {result.state}")

            recorded = await check_and_record(config, workspace, targets, policy=TargetPolicy.for_agent(config),
                                              incident_id=incident_id, read_only=ctx.read_only,
                                              on_result=progress)
            return CheckStatusResult(**{**recorded.report.model_dump(), "notes": recorded.notes},
                                     incident_id=incident_id, timeline_updated=recorded.timeline_updated)
