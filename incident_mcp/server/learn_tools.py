"""MCP tools for learning from incidents: recent_changes and incident_metrics, plus the incident://metrics
resource. Thin: each calls one core function.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import Field

from incident_mcp import changes, metrics
from incident_mcp.errors import IncidentMCPError
from incident_mcp.server.annotations import READ
from incident_mcp.server.common import ServerContext, tool_errors


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Register recent_changes, incident_metrics and the incident://metrics resource (all read-only)."""

    @server.tool(annotations=READ)
    def recent_changes(
        incident_id: Annotated[str | None, Field(
            description="Incident id, e.g. INC-007 (default: the latest open incident, else now)")] = None,
        at: Annotated[str | None, Field(description="Or an ISO 8601 time the window ends at")] = None,
        window_hours: Annotated[float, Field(gt=0, le=720, description="Hours before detection to look at")] = 24,
        limit: Annotated[int, Field(ge=1, le=100, description="How many changes to return")] = 10,
    ) -> changes.RecentChanges:
        """What changed before it broke: deploys (from the deploy log), company.config.yaml changes, other
        commits and artifact promotions in the window before detection, most likely cause first — deploys of
        an affected service, then config changes, other deploys, commits, promotions; nearest first within
        each. Each has its time, how long before detection, who, what and a one-line correlation; a deploy
        carries the rollback command back to the deploy before it for this company's host.

        Use right after open_incident, before rollback_plan; name the culprit later with
        update_incident(caused_by=...).
        Example: recent_changes(incident_id="INC-007", window_hours=6, limit=5) → {"changes": [{"kind":
        "deploy", "id": "dep-20260301-015000-ef563a", "before": "10 min", "rollback": "fly deploy ..."}], ...}
        """
        with tool_errors():
            return changes.recent_changes(ctx.workspace(), incident_id=incident_id or None, at=at or None,
                                          window_hours=window_hours, limit=limit)

    @server.tool(annotations=READ)
    def incident_metrics(
        since: Annotated[str | None, Field(description="Period start, ISO 8601 (default: 30 days before until)")]
        = None,
        until: Annotated[str | None, Field(description="Period end, ISO 8601, exclusive (default: now)")] = None,
    ) -> metrics.MetricsReport:
        """The numbers across incidents detected in [since, until): counts by severity and service; time to
        acknowledge (MTTA), mitigate (MTTM) and resolve as mean, median and p90 with n and who was excluded and
        why; time in each state; DORA change fail rate and failed deployment recovery time (from caused_by);
        uptime per service and the SLO error budget; trends against the previous period. Every figure
        carries its definition.

        Use in the post-incident review and to answer "are we getting better?".
        Example: incident_metrics(since="2026-01-01T00:00:00Z", until="2026-04-01T00:00:00Z") →
        {"time_to_resolve": {"overall": {"n": 4, "median_minutes": 52.5, "p90_minutes": 140.0}, ...}, ...}
        """
        with tool_errors():
            return metrics.incident_metrics(ctx.workspace(), since=since or None, until=until or None)

    @server.resource("incident://metrics", name="incident-metrics", mime_type="text/plain",
                     description="Incident metrics of the last 30 days with definitions and trends, to cite.")
    def metrics_resource() -> str:
        try:
            return metrics.format_report(metrics.incident_metrics(ctx.workspace()))
        except IncidentMCPError as err:
            raise ResourceError(str(err)) from err
