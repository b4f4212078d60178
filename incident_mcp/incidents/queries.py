"""Reading incidents: one record with its computed next actions (default: the latest open one), and a
filtered, paginated list. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from incident_mcp.errors import IncidentError, IncidentMCPError
from incident_mcp.incidents.document import duration_text
from incident_mcp.incidents.frontmatter import read_fields
from incident_mcp.incidents.next_actions import NextAction, next_actions
from incident_mcp.incidents.postmortem import postmortem_missing
from incident_mcp.incidents.record import (
    ID_RE,
    INCIDENT_DIR,
    MAX_ID_DIGITS,
    MAX_RECORD_BYTES,
    STATES,
    Incident,
    IncidentRecord,
    IncidentState,
    Timestamp,
    as_list,
    format_timestamp,
    incident_files,
    json_safe,
    long_id_files,
    parse_timestamp,
    read_incident,
    read_incident_file,
    utc_now,
    validation_message,
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

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str
    severity: Severity
    state: IncidentState = Field(validation_alias=AliasChoices("state", "incident_state"))
    status: str = ""
    detected_at: Timestamp
    resolved_at: Timestamp | None = None
    services: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    path: str


class IncidentList(BaseModel):
    """A page of incidents, newest first."""

    incidents: list[IncidentSummary]
    total: int = Field(description="How many incidents match the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(description="Offset of the next page (None: this is the last)")
    skipped: list[str] = Field(default_factory=list, description="Incident files that could not be read, and why")


SUMMARY_KEYS = ("id", "title", "status", "severity", "incident_state", "services", "detected_at", "resolved_at")


def _summary(ws: Workspace, number: int, path: Path) -> IncidentSummary:
    """The list line of one record, from its summary fields only (the timeline is not parsed)."""
    rel = ws.rel(path)
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise IncidentError(f"file is larger than {MAX_RECORD_BYTES:,} bytes")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise IncidentError("file is not UTF-8 text") from None
    fields = read_fields(text, SUMMARY_KEYS)
    if fields is None:
        fields = read_incident_file(ws, path).artifact.meta
    try:
        summary = IncidentSummary.model_validate({**json_safe(fields), "path": rel})
    except ValidationError as err:
        raise IncidentError(f"not a valid incident record: {validation_message(err)}") from None
    if ID_RE.match(summary.id) is None or int(summary.id[4:]) != number:
        raise IncidentError(f"file name says INC-{number:03d} but its id is {summary.id}")
    return summary


def _summaries(ws: Workspace) -> tuple[list[IncidentSummary], list[str]]:
    found: list[IncidentSummary] = []
    skipped: list[str] = [f"{INCIDENT_DIR}/{name[:60]}…: more than {MAX_ID_DIGITS} digits; incident ids are "
                          f"INC- and 3 to {MAX_ID_DIGITS} digits, so this file is not read"
                          for name in long_id_files(ws)]
    for number, path in incident_files(ws):
        try:
            found.append(_summary(ws, number, path))
        except (IncidentMCPError, OSError) as err:
            skipped.append(f"{ws.rel(path)}: {err}")
    return found, skipped


def _newest_first(summary: IncidentSummary) -> tuple[dt.datetime, int]:
    return parse_timestamp(summary.detected_at), int(summary.id[4:])


def latest_open(ws: Workspace) -> Incident:
    """The most recently detected incident that is not resolved."""
    found, _ = _summaries(ws)
    open_ones = [s for s in found if s.state != "resolved"]
    if not open_ones:
        raise IncidentError("no open incident; pass an incident id (list_incidents shows them all)")
    return read_incident(ws, max(open_ones, key=_newest_first).id)


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
    found, skipped = _summaries(ws)
    matches = []
    for summary in sorted(found, key=_newest_first, reverse=True):
        detected = parse_timestamp(summary.detected_at)
        if wanted_states and summary.state not in wanted_states:
            continue
        if wanted_severities and summary.severity not in wanted_severities:
            continue
        if (start and detected < start) or (end and detected >= end):
            continue
        matches.append(summary)
    page = matches[offset: offset + limit]
    following = offset + limit if offset + limit < len(matches) else None
    return IncidentList(incidents=page, total=len(matches), offset=offset, limit=limit, next_offset=following,
                        skipped=skipped)
