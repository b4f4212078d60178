"""Reading incidents: one record with its computed next actions (default: the latest open one), and a
filtered, paginated list. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from incident_mcp.errors import IncidentError, IncidentMCPError
from incident_mcp.frontmatter.partial import read_fields
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.incidents.document import duration_text
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
    TimelineEvent,
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


RECENT_EVENTS = 8  # timeline events get_incident shows by default (the whole timeline on request)
RECENT_TEXT_CHARS = 280  # an event's text in that recent view (a pasted stack trace is cut; "all" has it whole)


class IncidentView(BaseModel):
    """One incident: the record as data (its recent timeline by default), its file, and what is due next."""

    id: str
    path: str
    now: str
    severity_label: str
    duration: str
    record: IncidentRecord
    timeline_events: int = Field(description="Events on the whole timeline")
    timeline_omitted: int = Field(default=0, description="Older events left out (pass timeline=\"all\")")
    event_counts: dict[str, int] = Field(default_factory=dict, description="Events per kind, whole timeline")
    next_actions: list[NextAction]
    overdue: list[str] = Field(description="Keys of next actions that are overdue")
    postmortem_missing: list[str] = Field(description="What the post-mortem still lacks (after resolution)")
    chosen: str = Field(default="", description="Why this incident was chosen when no id was given")
    other_open: list[str] = Field(default_factory=list, description="Other open incidents (id: title)")
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
    closed_as: str | None = None
    services: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    path: str

    @property
    def is_live(self) -> bool:
        """Open, a real incident, and not archived: what "the latest open incident" may be."""
        return self.state != "resolved" and not self.closed_as and self.status != "archived"


class IncidentList(BaseModel):
    """A page of incidents, newest first."""

    incidents: list[IncidentSummary]
    total: int = Field(description="How many incidents match the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(description="Offset of the next page (None: this is the last)")
    skipped: list[str] = Field(default_factory=list, description="Incident files that could not be read, and why")


SUMMARY_KEYS = ("id", "title", "status", "severity", "incident_state", "services", "detected_at", "resolved_at",
                "closed_as")


def _summary(ws: Workspace, number: int, path: Path) -> IncidentSummary:
    """The list line of one record, from its summary fields only (the timeline is not parsed)."""
    rel = ws.rel(path)
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise IncidentError(f"file is larger than {MAX_RECORD_BYTES:,} bytes")
    text = read_utf8(path, IncidentError)
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


def latest_open(ws: Workspace) -> tuple[Incident, list[IncidentSummary]]:
    """The most recently detected open incident (never a resolved, closed or archived one), and the others open."""
    found, _ = _summaries(ws)
    open_ones = sorted((s for s in found if s.is_live), key=_newest_first, reverse=True)
    if not open_ones:
        raise IncidentError("no open incident; pass an incident id (list_incidents shows them all)")
    return read_incident(ws, open_ones[0].id), open_ones[1:]


def _cut(event: TimelineEvent) -> TimelineEvent:
    if len(event.text) <= RECENT_TEXT_CHARS:
        return event
    return event.model_copy(update={"text": event.text[:RECENT_TEXT_CHARS - 1] + "…"})


def get_incident(ws: Workspace, incident_id: str | None = None, *, now: dt.datetime | None = None,
                 settings: IncidentSettings | None = None, timeline: str = "recent") -> IncidentView:
    """The record plus computed next actions (done / due / overdue at ``now``); default the latest open one.

    ``timeline="recent"`` keeps the last few events (with counts of the whole timeline) so the answer stays
    small however long the incident runs; ``"all"`` returns every event.
    """
    if timeline not in ("recent", "all"):
        raise IncidentError(f"timeline {timeline!r} is not one of recent, all")
    now = utc_now(now)
    settings = settings or load_settings(ws)
    others: list[IncidentSummary] = []
    if incident_id:
        incident = read_incident(ws, incident_id)
    else:
        incident, others = latest_open(ws)
    record = incident.record
    actions = next_actions(record, now, settings) if record.is_real else []
    missing = postmortem_missing(record) if not record.is_open else []
    events = record.timeline
    shown = events if timeline == "all" else [_cut(event) for event in events[-RECENT_EVENTS:]]
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    chosen = ""
    if not incident_id:
        chosen = f"no id given: {record.id} is the most recently detected open incident"
        if others:
            chosen += f"; {len(others)} other{'s are' if len(others) > 1 else ' is'} open too"
    return IncidentView(
        id=record.id, path=incident.rel, now=format_timestamp(now), severity_label=LEVELS[record.severity].label,
        duration=duration_text(record.detected_at, record.resolved_at),
        record=record.model_copy(update={"timeline": list(shown)}), timeline_events=len(events),
        timeline_omitted=len(events) - len(shown), event_counts=counts, next_actions=actions,
        overdue=[a.key for a in actions if a.status == "overdue"], postmortem_missing=missing, chosen=chosen,
        other_open=[f"{o.id}: {o.title}" for o in others], warnings=list(settings.warnings))


def _wanted_states(states: list[str] | None) -> set[str]:
    """The states a filter names ("open" stands for every state but resolved); IncidentError for others."""
    wanted = {s.strip().lower() for s in states or []}
    if "open" in wanted:
        wanted = (wanted - {"open"}) | set(STATES[:-1])
    if wanted - set(STATES):
        raise IncidentError(f"state filter {sorted(wanted - set(STATES))} is not one of open, {', '.join(STATES)}")
    return wanted


def _wanted_severities(severities: list[str] | None) -> set[str]:
    """The severity levels a filter names; IncidentError for anything else."""
    wanted = {s.strip().upper() for s in severities or []}
    if wanted - set(LEVELS):
        raise IncidentError(f"severity filter {sorted(wanted - set(LEVELS))} is not one of P0, P1, P2, P3")
    return wanted


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
    wanted_states = _wanted_states(states)
    wanted_severities = _wanted_severities(severities)
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
