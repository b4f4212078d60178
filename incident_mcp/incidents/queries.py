"""Reading incidents: one record with its computed next actions (default: the latest open one), and a
filtered, paginated list. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from incident_mcp.errors import IncidentError, IncidentMCPError
from incident_mcp.incidents.document import duration_text
from incident_mcp.incidents.next_actions import NextAction, next_actions
from incident_mcp.incidents.postmortem import postmortem_missing
from incident_mcp.incidents.record import (
    STATES,
    Incident,
    IncidentRecord,
    IncidentState,
    format_timestamp,
    incident_files,
    parse_timestamp,
    read_incident,
    read_incident_file,
    utc_now,
)
from incident_mcp.incidents.settings import IncidentSettings, load_settings
from incident_mcp.severity import LEVELS, Severity
from incident_mcp.workspace import Workspace

MAX_PAGE = 100


class IncidentView(BaseModel):
    """One incident: the record as data, its file, and what is due next relative to ``now``."""

    id: str
    path: str
    now: str
    severity_label: str
    duration: str
    record: IncidentRecord
    next_actions: list[NextAction]
    overdue: list[str] = Field(description="Keys of next actions that are overdue")
    postmortem_missing: list[str] = Field(description="What the post-mortem still lacks (after resolution)")
    warnings: list[str] = Field(default_factory=list)


class IncidentSummary(BaseModel):
    """One line of an incident list."""

    id: str
    title: str
    severity: Severity
    state: IncidentState
    status: str
    detected_at: str
    resolved_at: str | None
    services: list[str]
    path: str


class IncidentList(BaseModel):
    """A page of incidents, newest first."""

    incidents: list[IncidentSummary]
    total: int = Field(description="How many incidents match the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(description="Offset of the next page (None: this is the last)")
    skipped: list[str] = Field(default_factory=list, description="Incident files that could not be read, and why")


def _all_incidents(ws: Workspace) -> tuple[list[Incident], list[str]]:
    found: list[Incident] = []
    skipped: list[str] = []
    for _number, path in incident_files(ws):
        try:
            found.append(read_incident_file(ws, path))
        except (IncidentMCPError, OSError) as err:
            skipped.append(f"{ws.rel(path)}: {err}")
    return found, skipped


def _newest_first(incident: Incident) -> tuple[dt.datetime, int]:
    return parse_timestamp(incident.record.detected_at), incident.record.number


def latest_open(ws: Workspace) -> Incident:
    """The most recently detected incident that is not resolved."""
    found, _ = _all_incidents(ws)
    open_ones = [i for i in found if i.record.is_open]
    if not open_ones:
        raise IncidentError("no open incident; pass an incident id (list_incidents shows them all)")
    return max(open_ones, key=_newest_first)


def get_incident(ws: Workspace, incident_id: str | None = None, *, now: dt.datetime | None = None,
                 settings: IncidentSettings | None = None) -> IncidentView:
    """The record plus computed next actions (done / due / overdue at ``now``); default the latest open one."""
    now = utc_now(now)
    settings = settings or load_settings(ws)
    incident = read_incident(ws, incident_id) if incident_id else latest_open(ws)
    record = incident.record
    actions = next_actions(record, now, settings)
    missing = postmortem_missing(record) if not record.is_open else []
    return IncidentView(
        id=record.id, path=incident.rel, now=format_timestamp(now), severity_label=LEVELS[record.severity].label,
        duration=duration_text(record.detected_at, record.resolved_at), record=record, next_actions=actions,
        overdue=[a.key for a in actions if a.status == "overdue"], postmortem_missing=missing,
        warnings=list(settings.warnings))


def list_incidents(ws: Workspace, *, states: list[str] | None = None, severities: list[str] | None = None,
                   since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
                   limit: int = 20, offset: int = 0) -> IncidentList:
    """Incidents matching every filter given (detected in [since, until)), newest first, one page."""
    if not 1 <= limit <= MAX_PAGE:
        raise IncidentError(f"limit must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise IncidentError("offset must be 0 or more")
    try:
        start = parse_timestamp(since) if since else None
        end = parse_timestamp(until) if until else None
    except ValueError as err:
        raise IncidentError(f"since/until: {err}") from None
    wanted_states = {s.strip().lower() for s in states or []}
    if "open" in wanted_states:
        wanted_states = (wanted_states - {"open"}) | set(STATES[:-1])
    if wanted_states - set(STATES):
        raise IncidentError(f"state filter {sorted(wanted_states - set(STATES))} is not one of "
                            f"open, {', '.join(STATES)}")
    wanted_severities = {s.strip().upper() for s in severities or []}
    if wanted_severities - set(LEVELS):
        raise IncidentError(f"severity filter {sorted(wanted_severities - set(LEVELS))} is not one of P0, P1, P2, P3")
    found, skipped = _all_incidents(ws)
    matches = []
    for incident in sorted(found, key=_newest_first, reverse=True):
        record = incident.record
        detected = parse_timestamp(record.detected_at)
        if wanted_states and record.incident_state not in wanted_states:
            continue
        if wanted_severities and record.severity not in wanted_severities:
            continue
        if (start and detected < start) or (end and detected >= end):
            continue
        matches.append(IncidentSummary(
            id=record.id, title=record.title, severity=record.severity, state=record.incident_state,
            status=record.status, detected_at=record.detected_at, resolved_at=record.resolved_at,
            services=record.services, path=incident.rel))
    page = matches[offset: offset + limit]
    following = offset + limit if offset + limit < len(matches) else None
    return IncidentList(incidents=page, total=len(matches), offset=offset, limit=limit, next_offset=following,
                        skipped=skipped)
