"""Opening an incident (safe INC-NNN allocation) and updating it (timeline events, state, severity).

IDs: the highest INC number found (file names, plus any artifact id) plus one, created with an
exclusive create under the ``incident-ids`` lock, moving on to the next number on collision.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Protocol, get_args

from pydantic import BaseModel, Field, ValidationError

from incident_mcp.artifacts import ID_PATTERN, iter_artifact_files, render_artifact
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.document import render_body
from incident_mcp.incidents.events import insert_event, replay
from incident_mcp.incidents.next_actions import NextAction, TriageItem, next_actions, triage_checklist
from incident_mcp.incidents.record import (
    ID_RE,
    INCIDENT_DIR,
    MAX_LIST,
    IncidentRecord,
    IncidentState,
    MitigationKind,
    TimelineEvent,
    UpdateEventKind,
    format_id,
    format_timestamp,
    incident_files,
    parse_timestamp,
    record_fields,
    slugify,
    utc_now,
    validation_message,
)
from incident_mcp.incidents.settings import IncidentSettings, load_settings
from incident_mcp.incidents.store import Saved, editing, save
from incident_mcp.severity import LEVELS, Severity, StatusRollup
from incident_mcp.workspace import Workspace, create_exclusive

CLOCK_SKEW = dt.timedelta(minutes=5)  # an event may be this far "in the future" (clocks differ)
MAX_ID_ATTEMPTS = 1000
DEFAULT_AUTHOR = "ops-risk-agent"
HEAD_BYTES = 8192  # where an artifact's id: line is looked for
_ID_LINE = re.compile(r"^id:\s*(.*?)\s*$")
EVENT_KINDS_FOR_UPDATE: tuple[str, ...] = get_args(UpdateEventKind)


class OpenedIncident(BaseModel):
    """A newly opened incident: where it is, its triage checklist with due times, what is due next."""

    id: str
    path: str
    title: str
    severity: Severity
    severity_label: str
    state: IncidentState
    detected_at: str
    resolution_due_at: str
    triage: list[TriageItem]
    next_actions: list[NextAction]
    warnings: list[str] = Field(default_factory=list)


class UpdatedIncident(BaseModel):
    """The incident after an update: events added, current state and severity, what is due next."""

    id: str
    path: str
    state: IncidentState
    severity: Severity
    added: list[TimelineEvent]
    acknowledged_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    next_actions: list[NextAction]
    warnings: list[str] = Field(default_factory=list)


def _event_time(at: str | dt.datetime | None, now: dt.datetime, what: str) -> dt.datetime:
    if at is None or at == "":
        return now
    try:
        when = parse_timestamp(at)
    except ValueError as err:
        raise IncidentError(f"{what}: {err}") from None
    if when > now + CLOCK_SKEW:
        raise IncidentError(f"{what} {format_timestamp(when)} is in the future (now is {format_timestamp(now)})")
    return when


def known_ids(ws: Workspace) -> set[str]:
    """Every artifact id under artifacts/, read from its ``id:`` line as Company OS's tools do (fast: only
    the head of each file is read, nothing is parsed as a whole)."""
    ids: set[str] = set()
    for path in iter_artifact_files(ws):
        try:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        lines = head.split("\n")
        if not lines or lines[0].rstrip("\r") != "---":
            continue
        for line in lines[1:]:
            if line.rstrip("\r") == "---":
                break
            match = _ID_LINE.match(line)
            if match:
                ids.add(match.group(1).strip().strip("\"'"))
                break
    return ids


def _check_reference_ids(ids: list[str], known: set[str]) -> list[str]:
    checked = []
    for ref in ids:
        if not isinstance(ref, str) or not ID_PATTERN.match(ref):
            raise IncidentError(f"depends_on: {ref!r} is not an artifact id (e.g. RFC-001)")
        if ref not in known:
            raise IncidentError(f"depends_on: no artifact with id {ref!r} under artifacts/")
        if ref not in checked:
            checked.append(ref)
    return checked


def _new_record(**fields: Any) -> IncidentRecord:
    try:
        return IncidentRecord.model_validate(fields)
    except ValidationError as err:
        raise IncidentError(validation_message(err)) from None


def open_incident(ws: Workspace, *, title: str, severity: str, summary: str = "", services: list[str] | None = None,
                  detected_at: str | dt.datetime | None = None, depends_on: list[str] | None = None,
                  author: str | None = None, tags: list[str] | None = None, now: dt.datetime | None = None,
                  settings: IncidentSettings | None = None, opened_by: str | None = None) -> OpenedIncident:
    """Allocate the next INC-NNN and write its record; returns the triage checklist with due times.

    ``opened_by`` names an automatic opener (``watch``); absent for incidents opened by a person or agent.
    """
    now = utc_now(now)
    settings = settings or load_settings(ws)
    if not isinstance(title, str) or not title.strip():
        raise IncidentError("title: give the incident a short title (what is broken)")
    sev = severity.strip().upper() if isinstance(severity, str) else ""
    if sev not in LEVELS:
        raise IncidentError(f"severity {severity!r} is not one of P0, P1, P2, P3 (classify_severity helps)")
    services = list(services or [])
    if len(services) > MAX_LIST or any(not isinstance(s, str) or not s.strip() for s in services):
        raise IncidentError(f"services: give up to {MAX_LIST} non-empty service names")
    tags = list(tags or [])
    if any(not isinstance(t, str) or not ID_PATTERN.match(t) for t in tags):
        raise IncidentError("tags: each tag is a plain word (letters, digits, '-', '_', '.')")
    detected = _event_time(detected_at, now, "detected_at")
    known = known_ids(ws)
    refs = _check_reference_ids(list(depends_on or []), known)
    stamp = format_timestamp(detected)
    record = _new_record(
        id="INC-000", title=title, status="draft", author=author or settings.author or DEFAULT_AUTHOR, depends_on=refs,
        severity=sev, incident_state="investigating", services=services, summary=summary, detected_at=stamp,
        timeline=[TimelineEvent(at=stamp, kind="detected", severity=sev)], opened_by=opened_by or None)
    slug = slugify(title)
    taken = {int(m.group(1)) for ident in known if (m := ID_RE.match(ident))}
    with ws.lock("incident-ids"):
        taken |= {number for number, _ in incident_files(ws)}
        number = max(taken, default=0) + 1
        for _attempt in range(MAX_ID_ATTEMPTS):
            record = record.model_copy(update={"id": format_id(number)})
            rel = f"{INCIDENT_DIR}/{record.id}-{slug}.md"
            if create_exclusive(ws.path(rel), _initial_text(record, now, tags)):
                break
            number += 1
        else:
            raise IncidentError(f"could not allocate an incident id after {MAX_ID_ATTEMPTS} attempts")
    due = detected + LEVELS[record.severity].resolution_target
    return OpenedIncident(
        id=record.id, path=rel, title=record.title, severity=record.severity,
        severity_label=LEVELS[record.severity].label, state=record.incident_state, detected_at=record.detected_at,
        resolution_due_at=format_timestamp(due), triage=triage_checklist(record, settings),
        next_actions=next_actions(record, now, settings), warnings=list(settings.warnings))


def _initial_text(record: IncidentRecord, now: dt.datetime, tags: list[str]) -> str:
    meta: dict[str, Any] = {
        "id": record.id, "type": "decision-memo", "title": record.title, "status": "draft",
        "created": now.date(), "author": record.author, "parent": None, "children": [],
        "depends_on": list(record.depends_on), "blocks": [],
        "tags": ["incident", *(t for t in tags if t != "incident")],
    }
    meta.update(record_fields(record))
    return render_artifact(meta, render_body(record, replay(record.timeline, record.detected_at)))


def _new_events(record: IncidentRecord, when: str, *, event: str | None, text: str, mitigation: str | None,
                channel: str | None, overall: str | None, state: str | None, severity: str | None,
                reason: str) -> list[dict[str, Any]]:
    if event is not None and event not in EVENT_KINDS_FOR_UPDATE:
        hint = " (use state=... / severity=... with a reason)" if event in ("state_change", "severity_change") else ""
        raise IncidentError(f"event {event!r} is not one of {', '.join(EVENT_KINDS_FOR_UPDATE)}{hint}")
    if event is None and state is None and severity is None:
        raise IncidentError("nothing to update: give an event, a state or a severity")
    if mitigation is not None and event != "mitigation":
        raise IncidentError("mitigation (rollback, hotfix, flag_disable, other) goes with event 'mitigation'")
    if channel is not None and event != "communication":
        raise IncidentError("channel goes with event 'communication'")
    if overall is not None and event != "status_check":
        raise IncidentError("overall (healthy, degraded, down) goes with event 'status_check'")
    if event == "note" and not text.strip():
        raise IncidentError("a note needs text")
    resolving = event == "resolved" or state == "resolved"
    if resolving and record.resolved_at:
        raise IncidentError(f"{record.id} is already resolved (at {record.resolved_at})")
    new: list[dict[str, Any]] = []
    if event is not None:
        item: dict[str, Any] = {"at": when, "kind": event, "text": text}
        if event == "mitigation":
            item["mitigation"] = mitigation or "other"
        if channel is not None:
            item["channel"] = channel
        if overall is not None:
            item["overall"] = overall
        new.append(item)
    if state is not None and not (state == "resolved" and event == "resolved"):
        if state == "resolved":
            new.append({"at": when, "kind": "resolved", "text": "" if event else text})
        else:
            new.append({"at": when, "kind": "state_change", "state": state, "text": "" if event else text})
    if severity is not None:
        sev = severity.strip().upper()
        if sev not in LEVELS:
            raise IncidentError(f"severity {severity!r} is not one of P0, P1, P2, P3")
        if not reason.strip():
            raise IncidentError("a severity change needs a reason (it is kept in the timeline)")
        new.append({"at": when, "kind": "severity_change", "severity_to": sev, "text": reason})
    return new


def update_incident(ws: Workspace, incident_id: str, *, event: UpdateEventKind | str | None = None, text: str = "",
                    at: str | dt.datetime | None = None, mitigation: MitigationKind | str | None = None,
                    channel: str | None = None, overall: StatusRollup | str | None = None,
                    state: IncidentState | str | None = None, severity: Severity | str | None = None,
                    reason: str = "", force: bool = False, now: dt.datetime | None = None,
                    settings: IncidentSettings | None = None, caused_by: str | None = None,
                    services: list[str] | None = None) -> UpdatedIncident:
    """Add timeline events (default time: now), change state or severity; back-filled times land in order.

    ``caused_by`` names the change that caused it (a deploy id or commit sha, checked by ``changes``).
    ``services`` are added to the record's services (a service found failing joins the incident).
    """
    now = utc_now(now)
    settings = settings or load_settings(ws)
    cause = _cause(ws, caused_by)
    with editing(ws, incident_id) as incident:
        record = incident.record
        if cause is not None and event is None and state is None and severity is None:
            saved = save(ws, incident, record.model_copy(update={"caused_by": cause}), force=force)
            return _updated(saved, [], now, settings)
        if cause is not None:
            record = record.model_copy(update={"caused_by": cause})
        when = _event_time(at, now, "at")
        detected = parse_timestamp(record.detected_at)
        if when < detected:
            raise IncidentError(f"{record.id}: an event at {format_timestamp(when)} would be before the incident "
                                f"was detected ({record.detected_at})")
        raw = _new_events(record, format_timestamp(when), event=event, text=text, mitigation=mitigation,
                          channel=channel, overall=overall, state=state, severity=severity, reason=reason)
        try:
            added = [TimelineEvent.model_validate(item) for item in raw]
        except ValidationError as err:
            raise IncidentError(validation_message(err)) from None
        timeline = list(record.timeline)
        for item in added:
            timeline = insert_event(timeline, item)
        changes: dict[str, Any] = {"timeline": timeline}
        if services:
            changes["services"] = list(dict.fromkeys([*record.services, *services]))[:MAX_LIST]
        saved = save(ws, incident, record.model_copy(update=changes), force=force)
    return _updated(saved, added, now, settings)


def _updated(saved: Saved, added: list[TimelineEvent], now: dt.datetime, settings: IncidentSettings
             ) -> UpdatedIncident:
    new = saved.record
    return UpdatedIncident(
        id=new.id, path=saved.rel, state=new.incident_state, severity=new.severity, added=added,
        acknowledged_at=new.acknowledged_at, mitigated_at=new.mitigated_at, resolved_at=new.resolved_at,
        next_actions=next_actions(new, now, settings), warnings=[*settings.warnings, *saved.warnings])


def _cause(ws: Workspace, caused_by: str | None) -> str | None:
    """The checked deploy id or commit sha (``changes`` imports this package, so it is imported late)."""
    if caused_by is None:
        return None
    from incident_mcp.changes.cause import resolve_cause

    return resolve_cause(ws, caused_by)


class StatusSummary(Protocol):
    """What a status report must offer to be recorded (check_status's StatusReport has these)."""

    @property
    def summary(self) -> str: ...

    @property
    def overall(self) -> str: ...


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
        summary = summary.summary
    if overall is None:
        raise IncidentError("a status check needs its overall result (healthy, degraded, down, …)")
    update_incident(ws, incident_id, event="status_check", text=summary, overall=overall, at=at, now=now)
