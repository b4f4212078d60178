"""Records that are not separate incidents: refusing a second record of an open outage, and closing a
record as a duplicate of another incident or as a false alarm.
"""

from __future__ import annotations

from typing import Any

from incident_mcp.errors import IncidentError
from incident_mcp.incidents.record import IncidentRecord, check_incident_id, incident_files, read_incident_file
from incident_mcp.workspace import Workspace


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


def refuse_duplicate(ws: Workspace, title: str, services: list[str]) -> None:
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


def existing_incident(ws: Workspace, incident_id: str, what: str) -> str:
    """The normalised id of an incident that exists; IncidentError naming ``what`` otherwise."""
    wanted = check_incident_id(incident_id)
    if not any(number == int(wanted[4:]) for number, _ in incident_files(ws)):
        raise IncidentError(f"{what}: no incident {wanted} (list_incidents shows them)")
    return wanted


def _duplicate_target(ws: Workspace, record: IncidentRecord, duplicate_of: str | None) -> str:
    """The checked incident a duplicate repeats: it exists and is not ``record`` itself."""
    if duplicate_of is None:
        raise IncidentError("closed_as=\"duplicate\" needs duplicate_of=\"INC-NNN\" (the incident it repeats)")
    target = existing_incident(ws, duplicate_of, "duplicate_of")
    if target == record.id:
        raise IncidentError("duplicate_of names this incident itself")
    return target


def closing(ws: Workspace, record: IncidentRecord, closed_as: str | None, duplicate_of: str | None,
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
        fields["duplicate_of"] = target = _duplicate_target(ws, record, duplicate_of)
        label = f"Closed as a duplicate of {target}"
    elif duplicate_of is not None:
        raise IncidentError("duplicate_of goes with closed_as=\"duplicate\", not \"false_alarm\"")
    events = [] if record.resolved_at else [{"at": when, "kind": "resolved", "text": label}]
    return fields, events
