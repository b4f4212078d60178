"""The timeline as the history of an incident: replaying its events in time order gives the state,
the severity and the acknowledged/mitigated/resolved times, and says which histories make no sense.

Because state is derived from a replay (not from the order of calls), an event back-filled at an
earlier time lands in its place and later events still win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from incident_mcp.incidents.record import STATES, IncidentState, TimelineEvent, format_timestamp, parse_timestamp
from incident_mcp.severity import Severity

# Kinds that only make sense while the incident is still open.
ACTIVE_ONLY = frozenset({"acknowledged", "mitigation", "monitoring", "state_change", "severity_change", "resolved"})
LABELS: dict[str, str] = {
    "detected": "Issue first detected",
    "acknowledged": "Incident acknowledged, investigation started",
    "status_check": "Status check",
    "root_cause": "Root cause identified",
    "mitigation": "Mitigation applied",
    "communication": "Communication sent",
    "monitoring": "Fix applied, monitoring",
    "state_change": "State changed",
    "severity_change": "Severity changed",
    "resolved": "Incident marked resolved",
    "note": "Note",
}


@dataclass
class Segment:
    """A stretch of time the incident spent in one state (``end`` None: still in it)."""

    state: IncidentState
    start: dt.datetime
    end: dt.datetime | None


@dataclass
class Replay:
    """What the timeline says: current state and severity, key times, and what is wrong with it."""

    state: IncidentState
    severity: Severity | None
    acknowledged_at: str | None = None
    mitigated_at: str | None = None
    resolved_at: str | None = None
    segments: list[Segment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def sort_key(event: TimelineEvent) -> dt.datetime:
    """Events sort by time; equal times keep the order they were recorded in (sorts are stable)."""
    return parse_timestamp(event.at)


def insert_event(events: list[TimelineEvent], event: TimelineEvent) -> list[TimelineEvent]:
    """A new list with ``event`` placed after every event at or before its time."""
    when = sort_key(event)
    index = len(events)
    while index > 0 and sort_key(events[index - 1]) > when:
        index -= 1
    return [*events[:index], event, *events[index:]]


def _after_resolution(result: Replay, event: TimelineEvent, stamp: str) -> bool:
    """Whether ``event`` comes after the resolution although only an open incident can have it (a problem then)."""
    if result.resolved_at is None or event.kind not in ACTIVE_ONLY:
        return False
    what = "resolved again" if event.kind == "resolved" else f"a {event.kind} event at {stamp}"
    result.problems.append(f"the incident was resolved at {result.resolved_at}; {what} cannot follow "
                           "(open a new incident if it came back)")
    return True


def _note_times(result: Replay, event: TimelineEvent, stamp: str, first: bool) -> None:
    """Detection (with the opening severity), acknowledgement, first mitigation and resolution times."""
    if event.kind == "detected":
        if not first:
            result.problems.append(f"a second 'detected' event at {stamp}")
        result.severity = event.severity or result.severity
    elif event.kind == "acknowledged":
        if result.acknowledged_at is not None:
            result.problems.append(f"acknowledged twice ({result.acknowledged_at} and {stamp})")
        result.acknowledged_at = result.acknowledged_at or stamp
    elif event.kind == "mitigation":
        result.mitigated_at = result.mitigated_at or stamp
    elif event.kind == "resolved":
        result.resolved_at = stamp


def _check_change(result: Replay, event: TimelineEvent, stamp: str, current: IncidentState) -> None:
    """A severity or state change must change something; a severity change takes effect here."""
    if event.kind == "severity_change":
        if event.severity_to is None:
            result.problems.append(f"severity change at {stamp} has no new severity")
        elif event.severity_to == result.severity:
            result.problems.append(f"severity change at {stamp}: the severity was already {event.severity_to}")
        else:
            event.severity_from = result.severity
            result.severity = event.severity_to
    elif event.kind == "state_change":
        if event.state is None:
            result.problems.append(f"state change at {stamp} has no new state")
        elif event.state == current:
            result.problems.append(f"state change at {stamp}: the incident was already {current}")


def replay(events: list[TimelineEvent], detected_at: str) -> Replay:
    """Replay events in time order; ``problems`` lists every event that contradicts the ones before it.

    Also normalises ``severity_from`` of severity changes to the severity in force at their time.
    """
    detected = parse_timestamp(detected_at)
    ordered = sorted(events, key=sort_key)
    result = Replay(state="investigating", severity=None)
    if not ordered or ordered[0].kind != "detected":
        result.problems.append("the timeline does not start with the 'detected' event")
    current: IncidentState = "investigating"
    start = detected
    for event in ordered:
        when = parse_timestamp(event.at)
        stamp = format_timestamp(when)
        if when < detected:
            result.problems.append(f"{event.kind} event at {stamp} is before detection ({detected_at})")
        if _after_resolution(result, event, stamp):
            continue
        new_state = state_after(event, current)
        _note_times(result, event, stamp, event is ordered[0])
        _check_change(result, event, stamp, current)
        if new_state != current:
            result.segments.append(Segment(current, start, when))
            current, start = new_state, when
    result.segments.append(Segment(current, start, None if current != "resolved" else start))
    result.state = current
    return result


def state_after(event: TimelineEvent, current: IncidentState) -> IncidentState:
    if event.kind == "resolved":
        return "resolved"
    if event.kind == "state_change" and event.state is not None:
        return event.state
    if event.kind == "root_cause" and current == "investigating":
        return "identified"
    if event.kind == "monitoring" and current in ("investigating", "identified"):
        return "monitoring"
    return current


def state_index(state: IncidentState) -> int:
    """Position of a state along investigating → identified → monitoring → resolved."""
    return STATES.index(state)
