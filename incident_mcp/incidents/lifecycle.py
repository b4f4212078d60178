"""Opening an incident and updating it (timeline events, state, severity, services, cause, closing).

Ids are allocated in ``allocation``; duplicates and closing as not-real are decided in ``duplicates``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from pydantic import BaseModel, Field, ValidationError

from incident_mcp.artifacts import ID_PATTERN, render_artifact
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.allocation import create_record_file, known_ids
from incident_mcp.incidents.allocation import next_free_number as next_free_number
from incident_mcp.incidents.document import render_body
from incident_mcp.incidents.duplicates import closing, existing_incident, refuse_duplicate
from incident_mcp.incidents.events import insert_event, replay, state_after
from incident_mcp.incidents.next_actions import NextAction, TriageItem, next_actions, triage_checklist
from incident_mcp.incidents.record import (
    MAX_EVENT_BYTES,
    MAX_LIST,
    ClosedAs,
    IncidentRecord,
    IncidentState,
    MitigationKind,
    TimelineEvent,
    UpdateEventKind,
    event_time,
    format_timestamp,
    parse_timestamp,
    record_fields,
    utc_now,
    validation_message,
)
from incident_mcp.incidents.settings import IncidentSettings, check_services, load_settings
from incident_mcp.incidents.store import editing, save
from incident_mcp.severity import LEVELS, Severity, StatusRollup
from incident_mcp.workspace import Workspace

DEFAULT_AUTHOR = "ops-risk-agent"
EVENT_KINDS_FOR_UPDATE: tuple[str, ...] = get_args(UpdateEventKind)
STATE_NAMES: tuple[str, ...] = get_args(IncidentState)


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
    closed_as: ClosedAs | None = None
    duplicate_of: str | None = None
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
    closed_as: ClosedAs | None = None
    duplicate_of: str | None = None
    next_actions: list[NextAction]
    warnings: list[str] = Field(default_factory=list)


def _event_time(at: str | dt.datetime | None, now: dt.datetime, what: str) -> dt.datetime:
    try:
        return event_time(at, now, what)
    except ValueError as err:
        raise IncidentError(str(err)) from None


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


def _checked_opening(title: str, severity: str, services: list[str] | None, tags: list[str] | None,
                     settings: IncidentSettings) -> tuple[Severity, list[str], list[str]]:
    """The severity level, services and tags of a new incident, each checked (IncidentError says what is wrong)."""
    if not isinstance(title, str) or not title.strip():
        raise IncidentError("title: give the incident a short title (what is broken)")
    sev = severity.strip().upper() if isinstance(severity, str) else ""
    if sev not in LEVELS:
        raise IncidentError(f"severity {severity!r} is not one of P0, P1, P2, P3 (classify_severity helps)")
    services = list(services or [])
    if len(services) > MAX_LIST or any(not isinstance(s, str) or not s.strip() for s in services):
        raise IncidentError(f"services: give up to {MAX_LIST} non-empty service names")
    check_services(settings, services)
    tags = list(tags or [])
    if any(not isinstance(t, str) or not ID_PATTERN.match(t) for t in tags):
        raise IncidentError("tags: each tag is a plain word (letters, digits, '-', '_', '.')")
    return sev, services, tags


def _opening_fields(stamp: str, sev: Severity, duplicate_of: str | None) -> dict[str, Any]:
    """The timeline of a new record, plus, for a duplicate, the fields that close it at once."""
    timeline = [TimelineEvent(at=stamp, kind="detected", severity=sev)]
    if duplicate_of is None:
        return {"timeline": timeline}
    timeline.append(TimelineEvent(at=stamp, kind="resolved", text=f"Closed as a duplicate of {duplicate_of}"))
    return {"timeline": timeline, "incident_state": "resolved", "resolved_at": stamp, "closed_as": "duplicate",
            "duplicate_of": duplicate_of}


def _opened(record: IncidentRecord, rel: str, detected: dt.datetime, now: dt.datetime,
            settings: IncidentSettings) -> OpenedIncident:
    """What opening reports: the record's place, due times and, for a real incident, its triage."""
    due = detected + LEVELS[record.severity].resolution_target
    warnings = list(settings.warnings)
    duplicate_of = record.duplicate_of
    if duplicate_of is not None:
        warnings.append(f"{record.id} is closed as a duplicate of {duplicate_of}; keep working on {duplicate_of}")
    return OpenedIncident(
        id=record.id, path=rel, title=record.title, severity=record.severity,
        severity_label=LEVELS[record.severity].label, state=record.incident_state, detected_at=record.detected_at,
        resolution_due_at=format_timestamp(due),
        triage=triage_checklist(record, settings) if duplicate_of is None else [],
        next_actions=next_actions(record, now, settings) if duplicate_of is None else [],
        closed_as=record.closed_as, duplicate_of=duplicate_of, warnings=warnings)


def open_incident(ws: Workspace, *, title: str, severity: str, summary: str = "", services: list[str] | None = None,
                  detected_at: str | dt.datetime | None = None, depends_on: list[str] | None = None,
                  author: str | None = None, tags: list[str] | None = None, public_summary: str = "",
                  duplicate_of: str | None = None, force: bool = False, now: dt.datetime | None = None,
                  settings: IncidentSettings | None = None, opened_by: str | None = None) -> OpenedIncident:
    """Allocate the next INC-NNN and write its record; returns the triage checklist with due times.

    Refused while an open incident covers one of the services (or has the same title), unless ``force``
    (a genuinely separate incident) or ``duplicate_of`` (this report repeats that one: the record is kept,
    closed as its duplicate at once). ``opened_by`` names an automatic opener (``watch``); absent for
    incidents opened by a person or agent.
    """
    now = utc_now(now)
    settings = settings or load_settings(ws)
    sev, services, tags = _checked_opening(title, severity, services, tags, settings)
    detected = _event_time(detected_at, now, "detected_at")
    if duplicate_of is not None:
        duplicate_of = existing_incident(ws, duplicate_of, "duplicate_of")
    elif not force:
        refuse_duplicate(ws, title, services)
    known = known_ids(ws)
    refs = _check_reference_ids(list(depends_on or []), known)
    stamp = format_timestamp(detected)
    record = _new_record(**{
        "id": "INC-000", "title": title, "status": "draft", "author": author or settings.author or DEFAULT_AUTHOR,
        "depends_on": refs, "severity": sev, "incident_state": "investigating", "services": services,
        "summary": summary, "public_summary": public_summary, "detected_at": stamp, "opened_by": opened_by or None,
        **_opening_fields(stamp, sev, duplicate_of)})
    record, rel = create_record_file(ws, record, known, lambda numbered: _initial_text(numbered, now, tags))
    return _opened(record, rel, detected, now, settings)


def _initial_text(record: IncidentRecord, now: dt.datetime, tags: list[str]) -> str:
    meta: dict[str, Any] = {
        "id": record.id, "type": "decision-memo", "title": record.title, "status": "draft",
        "created": now.date(), "author": record.author, "parent": None, "children": [],
        "depends_on": list(record.depends_on), "blocks": [],
        "tags": ["incident", *(t for t in tags if t != "incident")],
    }
    meta.update(record_fields(record))
    return render_artifact(meta, render_body(record, replay(record.timeline, record.detected_at)))


def _check_event_kind(event: str | None) -> None:
    """IncidentError when ``event`` is not one a caller may add (with a hint when it names a state or change)."""
    if event is None or event in EVENT_KINDS_FOR_UPDATE:
        return
    hint = " (use state=... / severity=... with a reason)" if event in ("state_change", "severity_change") else ""
    if event in STATE_NAMES:
        hint = f" ({event!r} is a state: pass state=\"{event}\")"
    raise IncidentError(f"event {event!r} is not one of {', '.join(EVENT_KINDS_FOR_UPDATE)}{hint}")


def _check_event_options(event: str | None, text: str, mitigation: str | None, channel: str | None,
                         overall: str | None) -> None:
    """IncidentError when an option is given without the event it belongs to, or a note has no text."""
    if mitigation is not None and event != "mitigation":
        raise IncidentError("mitigation (rollback, hotfix, flag_disable, other) goes with event 'mitigation'")
    if channel is not None and event != "communication":
        raise IncidentError("channel goes with event 'communication'")
    if overall is not None and event != "status_check":
        raise IncidentError("overall (healthy, degraded, down) goes with event 'status_check'")
    if event == "note" and not text.strip():
        raise IncidentError("a note needs text")


def _event_item(when: str, event: str, text: str, mitigation: str | None, channel: str | None,
                overall: str | None) -> dict[str, Any]:
    """The caller's event as timeline data."""
    item: dict[str, Any] = {"at": when, "kind": event, "text": text}
    if event == "mitigation":
        item["mitigation"] = mitigation or "other"
    if channel is not None:
        item["channel"] = channel
    if overall is not None:
        item["overall"] = overall
    return item


def _state_event(when: str, event: str | None, state: str, text: str) -> list[dict[str, Any]]:
    """The event that moves the incident to ``state`` (none when the caller's event already resolves it)."""
    if state != "resolved":
        return [{"at": when, "kind": "state_change", "state": state, "text": "" if event else text}]
    if event == "resolved":
        return []
    return [{"at": when, "kind": "resolved", "text": "" if event else text}]


def _severity_event(when: str, severity: str, reason: str) -> dict[str, Any]:
    """The severity change to ``severity``, which must be a level and have a reason."""
    sev = severity.strip().upper()
    if sev not in LEVELS:
        raise IncidentError(f"severity {severity!r} is not one of P0, P1, P2, P3")
    if not reason.strip():
        raise IncidentError("a severity change needs a reason (it is kept in the timeline)")
    return {"at": when, "kind": "severity_change", "severity_to": sev, "text": reason}


def _new_events(record: IncidentRecord, when: str, *, event: str | None, text: str, mitigation: str | None,
                channel: str | None, overall: str | None, state: str | None, severity: str | None,
                reason: str, closing: bool = False) -> list[dict[str, Any]]:
    """The timeline events an update asks for, checked against each other and the record."""
    _check_event_kind(event)
    if event is None and state is None and severity is None and not closing:
        raise IncidentError("nothing to update: give an event, a state, a severity, services or a public_summary")
    _check_event_options(event, text, mitigation, channel, overall)
    if (event == "resolved" or state == "resolved") and record.resolved_at:
        raise IncidentError(f"{record.id} is already resolved (at {record.resolved_at}); open a new incident if "
                            "it came back, or add a note")
    new: list[dict[str, Any]] = []
    implied = record.incident_state
    if event is not None:
        new.append(_event_item(when, event, text, mitigation, channel, overall))
        implied = state_after(_timeline_events(new[:1])[0], record.incident_state)
    # A state the event already implies (root_cause → identified) is what the caller expects, not a second change.
    if state is not None and not (event is not None and state == implied and implied != record.incident_state):
        new += _state_event(when, event, state, text)
    if severity is not None:
        new.append(_severity_event(when, severity, reason))
    return new


def _update_time(record: IncidentRecord, at: str | dt.datetime | None, now: dt.datetime) -> str:
    """The checked time of an update's events: not in the future, not before detection."""
    when = _event_time(at, now, "at")
    if when < parse_timestamp(record.detected_at):
        raise IncidentError(f"{record.id}: an event at {format_timestamp(when)} would be before the incident "
                            f"was detected ({record.detected_at})")
    return format_timestamp(when)


def _timeline_events(raw: list[dict[str, Any]]) -> list[TimelineEvent]:
    """``raw`` events as typed ones, each within MAX_EVENT_BYTES of text."""
    try:
        added = [TimelineEvent.model_validate(item) for item in raw]
    except ValidationError as err:
        raise IncidentError(validation_message(err)) from None
    for item in added:
        size = len(item.text.encode("utf-8", "surrogatepass")) + len((item.channel or "").encode("utf-8",
                                                                                                 "surrogatepass"))
        if size > MAX_EVENT_BYTES:
            raise IncidentError(f"{item.kind} text is {size:,} bytes as UTF-8; one timeline event holds at most "
                                f"{MAX_EVENT_BYTES:,} bytes (keep long logs in a file and give its path or link)")
    return added


def _changed_record(record: IncidentRecord, added: list[TimelineEvent], fields: dict[str, Any],
                    added_services: list[str], public_summary: str | None, cause: str | None) -> IncidentRecord:
    """``record`` with the events placed in its timeline and the other changed fields set."""
    timeline = list(record.timeline)
    for item in added:
        timeline = insert_event(timeline, item)
    update: dict[str, Any] = {"timeline": timeline, **fields}
    if added_services:
        update["services"] = [*record.services, *(s for s in added_services if s not in record.services)]
    if public_summary is not None:
        update["public_summary"] = public_summary
    if cause is not None:
        update["caused_by"] = cause
    try:
        return IncidentRecord.model_validate({**record.model_dump(), **update})
    except ValidationError as err:
        raise IncidentError(validation_message(err)) from None


def update_incident(ws: Workspace, incident_id: str, *, event: UpdateEventKind | str | None = None, text: str = "",
                    at: str | dt.datetime | None = None, mitigation: MitigationKind | str | None = None,
                    channel: str | None = None, overall: StatusRollup | str | None = None,
                    state: IncidentState | str | None = None, severity: Severity | str | None = None,
                    reason: str = "", services: list[str] | None = None, public_summary: str | None = None,
                    closed_as: ClosedAs | str | None = None, duplicate_of: str | None = None,
                    caused_by: str | None = None, force: bool = False, now: dt.datetime | None = None,
                    settings: IncidentSettings | None = None) -> UpdatedIncident:
    """Add timeline events (default time: now), change state or severity; back-filled times land in order.

    Also adds affected ``services`` (checked against the config), sets the customer-facing ``public_summary``,
    names the change that caused it (``caused_by``: a deploy id or commit sha, checked by ``changes``), and
    closes a record as a duplicate (``duplicate_of``) or a false alarm (``closed_as``).
    """
    now = utc_now(now)
    settings = settings or load_settings(ws)
    added_services = check_services(settings, list(services or []))
    cause = _cause(ws, caused_by)
    with editing(ws, incident_id) as incident:
        record = incident.record
        stamp = _update_time(record, at, now)
        closing_fields, closing_events = closing(ws, record, closed_as, duplicate_of, stamp)
        edits = bool(added_services or public_summary is not None or cause is not None or closing_fields)
        raw: list[dict[str, Any]] = []
        if event is not None or state is not None or severity is not None or not edits:
            raw = _new_events(record, stamp, event=event, text=text, mitigation=mitigation, channel=channel,
                              overall=overall, state=state, severity=severity, reason=reason, closing=edits)
        if not any(item["kind"] == "resolved" for item in raw):
            raw += closing_events
        added = _timeline_events(raw)
        changed = _changed_record(record, added, closing_fields, added_services, public_summary, cause)
        saved = save(ws, incident, changed, force=force)
    new = saved.record
    return UpdatedIncident(
        id=new.id, path=saved.rel, state=new.incident_state, severity=new.severity, added=added,
        acknowledged_at=new.acknowledged_at, mitigated_at=new.mitigated_at, resolved_at=new.resolved_at,
        closed_as=new.closed_as, duplicate_of=new.duplicate_of,
        next_actions=next_actions(new, now, settings) if new.is_real else [],
        warnings=[*settings.warnings, *saved.warnings])


def _cause(ws: Workspace, caused_by: str | None) -> str | None:
    """The checked deploy id or commit sha (``changes`` imports this package, so it is imported late)."""
    if caused_by is None:
        return None
    from incident_mcp.changes.cause import resolve_cause

    return resolve_cause(ws, caused_by)
