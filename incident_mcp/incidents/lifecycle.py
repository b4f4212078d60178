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
from incident_mcp.incidents.events import insert_event, replay, state_after
from incident_mcp.incidents.next_actions import NextAction, TriageItem, next_actions, triage_checklist
from incident_mcp.incidents.record import (
    ID_RE,
    INCIDENT_DIR,
    MAX_EVENT_BYTES,
    MAX_ID_NUMBER,
    MAX_LIST,
    ClosedAs,
    IncidentRecord,
    IncidentState,
    MitigationKind,
    TimelineEvent,
    UpdateEventKind,
    check_incident_id,
    event_time,
    format_id,
    format_timestamp,
    incident_files,
    parse_timestamp,
    read_incident_file,
    record_fields,
    slugify,
    utc_now,
    validation_message,
)
from incident_mcp.incidents.settings import IncidentSettings, check_services, load_settings
from incident_mcp.incidents.store import editing, save
from incident_mcp.severity import LEVELS, Severity, StatusRollup
from incident_mcp.workspace import Workspace, create_exclusive

MAX_ID_ATTEMPTS = 1000
DEFAULT_AUTHOR = "ops-risk-agent"
HEAD_BYTES = 8192  # where an artifact's id: line is looked for
_ID_LINE = re.compile(r"^id:\s*(.*?)\s*$")
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
    detected = _event_time(detected_at, now, "detected_at")
    if duplicate_of is not None:
        duplicate_of = _existing_incident(ws, duplicate_of, "duplicate_of")
    elif not force:
        _refuse_duplicate(ws, title, services)
    known = known_ids(ws)
    refs = _check_reference_ids(list(depends_on or []), known)
    stamp = format_timestamp(detected)
    timeline = [TimelineEvent(at=stamp, kind="detected", severity=sev)]
    closing: dict[str, Any] = {}
    if duplicate_of is not None:
        timeline.append(TimelineEvent(at=stamp, kind="resolved", text=f"Closed as a duplicate of {duplicate_of}"))
        closing = {"incident_state": "resolved", "resolved_at": stamp, "closed_as": "duplicate",
                   "duplicate_of": duplicate_of}
    record = _new_record(**{
        "id": "INC-000", "title": title, "status": "draft", "author": author or settings.author or DEFAULT_AUTHOR,
        "depends_on": refs, "severity": sev, "incident_state": "investigating", "services": services,
        "summary": summary, "public_summary": public_summary, "detected_at": stamp, "timeline": timeline,
        "opened_by": opened_by or None, **closing})
    slug = slugify(title)
    taken = {int(m.group(1)) for ident in known if (m := ID_RE.match(ident))}
    with ws.lock("incident-ids"):
        taken |= {number for number, _ in incident_files(ws)}
        number = next_free_number(taken)
        for _attempt in range(MAX_ID_ATTEMPTS):
            record = record.model_copy(update={"id": format_id(number)})
            rel = f"{INCIDENT_DIR}/{record.id}-{slug}.md"
            if create_exclusive(ws.path(rel), _initial_text(record, now, tags)):
                break
            taken.add(number)
            number = next_free_number(taken)
        else:
            raise IncidentError(f"could not allocate an incident id after {MAX_ID_ATTEMPTS} attempts")
    due = detected + LEVELS[record.severity].resolution_target
    warnings = list(settings.warnings)
    if duplicate_of is not None:
        warnings.append(f"{record.id} is closed as a duplicate of {duplicate_of}; keep working on {duplicate_of}")
    return OpenedIncident(
        id=record.id, path=rel, title=record.title, severity=record.severity,
        severity_label=LEVELS[record.severity].label, state=record.incident_state, detected_at=record.detected_at,
        resolution_due_at=format_timestamp(due),
        triage=triage_checklist(record, settings) if duplicate_of is None else [],
        next_actions=next_actions(record, now, settings) if duplicate_of is None else [],
        closed_as=record.closed_as, duplicate_of=record.duplicate_of, warnings=warnings)


def open_incidents(ws: Workspace) -> list[IncidentRecord]:
    """Every real incident not resolved yet and not archived, lowest id first (unreadable records skipped)."""
    found: list[IncidentRecord] = []
    for _number, path in incident_files(ws):
        try:
            incident = read_incident_file(ws, path)
        except (IncidentError, OSError):
            continue
        if incident.record.is_open and incident.record.is_real and incident.artifact.meta.get("status") != "archived":
            found.append(incident.record)
    return found


def _refuse_duplicate(ws: Workspace, title: str, services: list[str]) -> None:
    """IncidentError when an open incident covers one of ``services`` or has the same title."""
    wanted = {s.lower() for s in services}
    same_title = " ".join(title.split()).casefold()
    for other in open_incidents(ws):
        shared = [s for s in other.services if s.lower() in wanted]
        if not shared and " ".join(other.title.split()).casefold() != same_title:
            continue
        why = f"covers {', '.join(shared)}" if shared else "has the same title"
        raise IncidentError(
            f"{other.id} ({other.title!r}, {other.incident_state}) is open and {why}. If this is the same outage, "
            f"record what you see on it: update_incident(incident_id=\"{other.id}\", event=\"note\", text=...), "
            f"or keep this report as its duplicate with duplicate_of=\"{other.id}\"; if it is a separate "
            "incident, pass force=true")


def _existing_incident(ws: Workspace, incident_id: str, what: str) -> str:
    """The normalised id of an incident that exists; IncidentError naming ``what`` otherwise."""
    wanted = check_incident_id(incident_id)
    if not any(number == int(wanted[4:]) for number, _ in incident_files(ws)):
        raise IncidentError(f"{what}: no incident {wanted} (list_incidents shows them)")
    return wanted


def next_free_number(taken: set[int]) -> int:
    """One more than the highest id in use, or, when that would pass INC-999999999999 (an id planted at the
    top of the range), one more than the highest id below it that has a free successor."""
    for number in sorted(taken, reverse=True):
        if number < MAX_ID_NUMBER and number + 1 not in taken:
            return number + 1
    return 1 if 1 not in taken else min(set(range(1, len(taken) + 2)) - taken)


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
                reason: str, closing: bool = False) -> list[dict[str, Any]]:
    if event is not None and event not in EVENT_KINDS_FOR_UPDATE:
        hint = " (use state=... / severity=... with a reason)" if event in ("state_change", "severity_change") else ""
        if event in STATE_NAMES:
            hint = f" ({event!r} is a state: pass state=\"{event}\")"
        raise IncidentError(f"event {event!r} is not one of {', '.join(EVENT_KINDS_FOR_UPDATE)}{hint}")
    if event is None and state is None and severity is None and not closing:
        raise IncidentError("nothing to update: give an event, a state, a severity, services or a public_summary")
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
        raise IncidentError(f"{record.id} is already resolved (at {record.resolved_at}); open a new incident if "
                            "it came back, or add a note")
    new: list[dict[str, Any]] = []
    implied = record.incident_state
    if event is not None:
        item: dict[str, Any] = {"at": when, "kind": event, "text": text}
        if event == "mitigation":
            item["mitigation"] = mitigation or "other"
        if channel is not None:
            item["channel"] = channel
        if overall is not None:
            item["overall"] = overall
        new.append(item)
        implied = state_after(TimelineEvent.model_validate(item), record.incident_state)
    # A state the event already implies (root_cause → identified) is what the caller expects, not a second change.
    if state is not None and not (event is not None and state == implied and implied != record.incident_state):
        if state == "resolved":
            if event != "resolved":
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


def _closing(ws: Workspace, record: IncidentRecord, closed_as: str | None, duplicate_of: str | None,
             when: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Record fields and the resolving event for closing as a duplicate or false alarm (none without closed_as)."""
    if closed_as is None:
        if duplicate_of is not None:
            raise IncidentError("duplicate_of goes with closed_as=\"duplicate\"")
        return {}, []
    if closed_as not in ("duplicate", "false_alarm"):
        raise IncidentError(f"closed_as {closed_as!r} is not one of duplicate, false_alarm")
    fields: dict[str, Any] = {"closed_as": closed_as, "duplicate_of": None}
    label = "Closed as a false alarm"
    if closed_as == "duplicate":
        if duplicate_of is None:
            raise IncidentError("closed_as=\"duplicate\" needs duplicate_of=\"INC-NNN\" (the incident it repeats)")
        target = _existing_incident(ws, duplicate_of, "duplicate_of")
        if target == record.id:
            raise IncidentError("duplicate_of names this incident itself")
        fields["duplicate_of"] = target
        label = f"Closed as a duplicate of {target}"
    elif duplicate_of is not None:
        raise IncidentError("duplicate_of goes with closed_as=\"duplicate\", not \"false_alarm\"")
    events = [] if record.resolved_at else [{"at": when, "kind": "resolved", "text": label}]
    return fields, events


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
        when = _event_time(at, now, "at")
        detected = parse_timestamp(record.detected_at)
        if when < detected:
            raise IncidentError(f"{record.id}: an event at {format_timestamp(when)} would be before the incident "
                                f"was detected ({record.detected_at})")
        stamp = format_timestamp(when)
        closing_fields, closing_events = _closing(ws, record, closed_as, duplicate_of, stamp)
        edits = bool(added_services or public_summary is not None or cause is not None or closing_fields)
        raw: list[dict[str, Any]] = []
        if event is not None or state is not None or severity is not None or not edits:
            raw = _new_events(record, stamp, event=event, text=text, mitigation=mitigation, channel=channel,
                              overall=overall, state=state, severity=severity, reason=reason, closing=edits)
        if not any(item["kind"] == "resolved" for item in raw):
            raw += closing_events
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
        timeline = list(record.timeline)
        for item in added:
            timeline = insert_event(timeline, item)
        update: dict[str, Any] = {"timeline": timeline, **closing_fields}
        if added_services:
            update["services"] = [*record.services, *(s for s in added_services if s not in record.services)]
        if public_summary is not None:
            update["public_summary"] = public_summary
        if cause is not None:
            update["caused_by"] = cause
        try:
            changed = IncidentRecord.model_validate({**record.model_dump(), **update})
        except ValidationError as err:
            raise IncidentError(validation_message(err)) from None
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
