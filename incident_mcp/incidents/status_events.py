"""A status check's result on an incident's timeline: the overall verdict and which services are not up."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from incident_mcp.errors import IncidentError
from incident_mcp.incidents.lifecycle import update_incident
from incident_mcp.workspace import Workspace


class StatusSummary(Protocol):
    """What a status report must offer to be recorded (check_status's StatusReport has these)."""

    @property
    def summary(self) -> str: ...

    @property
    def overall(self) -> str: ...


STATUS_LINE_CHARS = 160  # one service's line in a status-check event


def _service_lines(services: Any) -> list[str]:
    """"api down: HTTP 503 …" for every service not up, so the timeline keeps which one and why."""
    lines: list[str] = []
    for service in services if isinstance(services, list) else []:
        state, name = getattr(service, "state", None), getattr(service, "name", None)
        if state in (None, "up") or not name:
            continue
        why = str(getattr(service, "message", "") or getattr(service, "reason", ""))
        line = f"{name} {state}: {why}" if why else f"{name} {state}"
        lines.append(line if len(line) <= STATUS_LINE_CHARS else line[:STATUS_LINE_CHARS - 1] + "…")
    return lines


def record_status_check(ws: Workspace, incident_id: str, summary: str | StatusSummary, *,
                        overall: str | None = None, now: dt.datetime | None = None) -> None:
    """Append a status-check result to an incident's timeline (called by check_status with an incident id).

    ``summary`` is the one-line result, or a whole report with ``summary`` and ``overall`` (and, if it has
    one, ``checked_at``, used as the event time).
    """
    at: str | None = None
    if not isinstance(summary, str):
        overall = overall or summary.overall
        checked = getattr(summary, "checked_at", None)
        at = checked if isinstance(checked, str) and checked else None
        summary = summary.summary + "".join(f"; {line}" for line in _service_lines(getattr(summary, "services", [])))
    if overall is None:
        raise IncidentError("a status check needs its overall result (healthy, degraded, down, …)")
    update_incident(ws, incident_id, event="status_check", text=summary, overall=overall, at=at, now=now)
