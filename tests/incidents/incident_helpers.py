"""Shared by the incident lifecycle tests: open the standard P0 incident on a test workspace."""

from __future__ import annotations

from incident_mcp import incidents
from incident_mcp.workspace import Workspace
from tests.support.incident_flow import at, stamp


def open_p0(ws: Workspace, **kwargs: object) -> incidents.OpenedIncident:
    args: dict[str, object] = {"title": "Checkout returns 500", "severity": "P0", "summary": "Nobody can pay",
                               "services": ["api"], "detected_at": stamp(0), "now": at(1), "force": True}
    args.update(kwargs)
    return incidents.open_incident(ws, **args)  # type: ignore[arg-type]
