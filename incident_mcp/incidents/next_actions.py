"""What is due next on an incident, from its severity's triage procedure, relative to an injectable ``now``.

Acknowledge by, status check, first communication by, next update by (cadence counted from the last
communication), resolution target, the "resolved" communication, then the post-mortem — each done,
due or overdue.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from incident_mcp.incidents.document import human_duration
from incident_mcp.incidents.postmortem import postmortem_missing
from incident_mcp.incidents.record import IncidentRecord, format_timestamp, parse_timestamp
from incident_mcp.incidents.settings import IncidentSettings
from incident_mcp.severity import LEVELS, acknowledge_due, describe, step_due

# done; due (not yet late); overdue (late, still to do); missed (never done, and the incident is resolved so it
# no longer can be); optional (the triage says "if applicable").
ActionStatus = Literal["done", "due", "overdue", "missed", "optional"]


class NextAction(BaseModel):
    """One thing to do (or already done) for an incident."""

    key: str = Field(description="acknowledge, status_check, first_communication, next_update, resolve, "
                                 "resolution_communication, communicate_workaround, postmortem")
    title: str
    status: ActionStatus
    due_at: str | None = None
    done_at: str | None = None
    detail: str = ""


class TriageItem(BaseModel):
    """One step of the severity's triage checklist with its due time (if it has one)."""

    step: str
    due_at: str | None = None


def triage_checklist(record: IncidentRecord, settings: IncidentSettings | None = None) -> list[TriageItem]:
    """The severity's triage steps with due times counted from detection."""
    tz = (settings or IncidentSettings()).timezone
    detected = parse_timestamp(record.detected_at)
    items = []
    for step in LEVELS[record.severity].triage:
        due = step_due(step, detected, tz)
        items.append(TriageItem(step=step.text, due_at=format_timestamp(due) if due else None))
    return items


def _status(done_at: str | None, due: dt.datetime | None, now: dt.datetime, *,
            resolved: str | None = None) -> ActionStatus:
    if done_at:
        return "done"
    if resolved:
        return "missed"
    if due is not None and now > due:
        return "overdue"
    return "due"


def _late(done_at: str | None, due: dt.datetime | None, now: dt.datetime) -> str:
    """``(12 minutes late)`` / ``(overdue by 3 minutes)`` / ``(in 4 minutes)``."""
    if due is None:
        return ""
    if done_at:
        done = parse_timestamp(done_at)
        return f" ({human_duration(done - due)} late)" if done > due else ""
    if now > due:
        return f" (overdue by {human_duration(now - due)})"
    return f" (in {human_duration(due - now)})"


def _stamp(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value else None


def next_actions(record: IncidentRecord, now: dt.datetime,
                 settings: IncidentSettings | None = None) -> list[NextAction]:
    """Every triage action for the record's severity with its status at ``now``, earliest due first."""
    tz = (settings or IncidentSettings()).timezone
    row = LEVELS[record.severity]
    detected = parse_timestamp(record.detected_at)
    events = sorted(record.timeline, key=lambda e: parse_timestamp(e.at))
    comms = [e for e in events if e.kind == "communication"]
    checks = [e for e in events if e.kind == "status_check"]
    resolved = record.resolved_at
    actions: list[NextAction] = []

    ack_due = acknowledge_due(record.severity, detected, tz)
    if ack_due is not None or record.acknowledged_at:
        hours = " business hours" if row.acknowledge_in_business_hours else ""
        actions.append(NextAction(
            key="acknowledge", title="Acknowledge the incident",
            status=_status(record.acknowledged_at, ack_due, now, resolved=resolved), due_at=_stamp(ack_due),
            done_at=record.acknowledged_at,
            detail=(f"{record.severity}: acknowledge within {describe(row.acknowledge_within)}{hours} of detection"
                    + _late(record.acknowledged_at, ack_due, now))))

    if record.severity in ("P0", "P1") and (checks or not resolved):
        check_due = detected + (row.first_communication_within or dt.timedelta(0))
        done_at = checks[0].at if checks else None
        if done_at:
            detail = f"last status check {checks[-1].at}: {(checks[-1].overall or 'unknown').upper()}"
        else:
            detail = ("No status check recorded yet: run check_status against the critical services "
                      "(or ./tools/ops/status-check.sh) to see what is really down")
        actions.append(NextAction(key="status_check", title="Run a status check of the critical services",
                                  status=_status(done_at, check_due, now, resolved=resolved),
                                  due_at=_stamp(check_due), done_at=done_at, detail=detail))

    first_due = detected + row.first_communication_within if row.first_communication_within else None
    first_done = comms[0].at if comms else None
    if first_due is not None:
        actions.append(NextAction(
            key="first_communication", title="Communicate status to users (status page / email)",
            status=_status(first_done, first_due, now, resolved=resolved), due_at=_stamp(first_due),
            done_at=first_done,
            detail=(f"{record.severity}: first communication within "
                    f"{describe(row.first_communication_within)} of detection; draft it with draft_communication"
                    + _late(first_done, first_due, now))))
    elif record.severity == "P2":
        actions.append(NextAction(
            key="communicate_workaround", title="Communicate the workaround to affected users, if applicable",
            status="done" if first_done else "optional", done_at=first_done,
            detail="P2 triage: tell affected users about the workaround when there is one"))

    if not resolved and row.update_every is not None and (comms or first_due is None):
        base = parse_timestamp(comms[-1].at) if comms else detected
        update_due = base + row.update_every
        since = f"the last communication ({comms[-1].at})" if comms else "detection"
        actions.append(NextAction(
            key="next_update", title="Post the next status update",
            status=_status(None, update_due, now), due_at=_stamp(update_due),
            detail=f"{record.severity}: update every {describe(row.update_every)}, counted from {since}"
                   + _late(None, update_due, now)))

    resolve_due = detected + row.resolution_target
    resolve_detail = f"{record.severity} resolution target: {describe(row.resolution_target)} from detection"
    if resolved:
        late = parse_timestamp(resolved) - resolve_due
        resolve_detail += (f"; missed by {human_duration(late)}" if late > dt.timedelta(0) else "; met")
    else:
        resolve_detail += _late(None, resolve_due, now)
    actions.append(NextAction(key="resolve", title="Resolve the incident", status=_status(resolved, resolve_due, now),
                              due_at=_stamp(resolve_due), done_at=resolved, detail=resolve_detail))

    if resolved and (comms or first_due is not None):
        after = [e for e in comms if parse_timestamp(e.at) >= parse_timestamp(resolved)]
        final_due = parse_timestamp(resolved) + (row.update_every or dt.timedelta(hours=1))
        done_at = after[0].at if after else None
        actions.append(NextAction(
            key="resolution_communication", title="Tell users it is resolved (status page: Resolved)",
            status=_status(done_at, final_due, now), due_at=_stamp(final_due), done_at=done_at,
            detail="draft it with draft_communication(kind=status_page, phase=resolved) or the user email"))

    if resolved:
        missing = postmortem_missing(record)
        actions.append(NextAction(
            key="postmortem", title="Record the post-mortem (record_postmortem), then promote to review",
            status="done" if not missing else "due",
            detail="complete" if not missing else "missing: " + "; ".join(missing)))

    order = {"done": 3, "missed": 2, "optional": 1}
    actions.sort(key=lambda a: (order.get(a.status, 0), a.due_at or "9999"))
    return actions
