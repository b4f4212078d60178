"""What is due next on an incident, from its severity's triage procedure, relative to an injectable ``now``.

Acknowledge by, status check, first communication by, next update by (cadence counted from the last
communication), resolution target, the "resolved" communication, then the post-mortem — each done,
due or overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from incident_mcp.incidents.document import human_duration
from incident_mcp.incidents.postmortem import postmortem_missing
from incident_mcp.incidents.record import IncidentRecord, TimelineEvent, format_timestamp, parse_timestamp
from incident_mcp.incidents.settings import IncidentSettings
from incident_mcp.severity import LEVELS, SeverityLevel, acknowledge_due, describe, step_due

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


@dataclass(frozen=True)
class _Facts:
    """What the action rules read: the record, its severity's targets, ``now``, and the timeline's events."""

    record: IncidentRecord
    row: SeverityLevel
    now: dt.datetime
    tz: dt.tzinfo
    detected: dt.datetime
    comms: list[TimelineEvent]
    checks: list[TimelineEvent]

    @property
    def resolved(self) -> str | None:
        return self.record.resolved_at

    @property
    def first_due(self) -> dt.datetime | None:
        """When the first communication is due (None: this severity has no deadline for it)."""
        within = self.row.first_communication_within
        return self.detected + within if within else None


def _acknowledge(f: _Facts) -> NextAction | None:
    record, row = f.record, f.row
    ack_due = acknowledge_due(record.severity, f.detected, f.tz)
    if ack_due is None and not record.acknowledged_at:
        return None
    hours = " business hours" if row.acknowledge_in_business_hours else ""
    return NextAction(
        key="acknowledge", title="Acknowledge the incident",
        status=_status(record.acknowledged_at, ack_due, f.now, resolved=f.resolved), due_at=_stamp(ack_due),
        done_at=record.acknowledged_at,
        detail=(f"{record.severity}: acknowledge within {describe(row.acknowledge_within)}{hours} of detection"
                + _late(record.acknowledged_at, ack_due, f.now)))


def _status_check(f: _Facts) -> NextAction | None:
    checks = f.checks
    if f.record.severity not in ("P0", "P1") or not (checks or not f.resolved):
        return None
    check_due = f.detected + (f.row.first_communication_within or dt.timedelta(0))
    done_at = checks[0].at if checks else None
    if done_at:
        detail = f"last status check {checks[-1].at}: {(checks[-1].overall or 'unknown').upper()}"
    else:
        detail = ("No status check recorded yet: run check_status against the critical services "
                  "(or ./tools/ops/status-check.sh) to see what is really down")
    return NextAction(key="status_check", title="Run a status check of the critical services",
                      status=_status(done_at, check_due, f.now, resolved=f.resolved),
                      due_at=_stamp(check_due), done_at=done_at, detail=detail)


def _first_communication(f: _Facts) -> NextAction | None:
    """The first communication when the severity sets a deadline for it; P2's optional workaround notice."""
    record, first_due = f.record, f.first_due
    first_done = f.comms[0].at if f.comms else None
    if first_due is not None:
        return NextAction(
            key="first_communication", title="Communicate status to users (status page / email)",
            status=_status(first_done, first_due, f.now, resolved=f.resolved), due_at=_stamp(first_due),
            done_at=first_done,
            detail=(f"{record.severity}: first communication within "
                    f"{describe(f.row.first_communication_within)} of detection; draft it with draft_communication"
                    + _late(first_done, first_due, f.now)))
    if record.severity == "P2":
        return NextAction(
            key="communicate_workaround", title="Communicate the workaround to affected users, if applicable",
            status="done" if first_done else "optional", done_at=first_done,
            detail="P2 triage: tell affected users about the workaround when there is one")
    return None


def _next_update(f: _Facts) -> NextAction | None:
    comms, every = f.comms, f.row.update_every
    if f.resolved or every is None or not (comms or f.first_due is None):
        return None
    base = parse_timestamp(comms[-1].at) if comms else f.detected
    update_due = base + every
    since = f"the last communication ({comms[-1].at})" if comms else "detection"
    return NextAction(
        key="next_update", title="Post the next status update",
        status=_status(None, update_due, f.now), due_at=_stamp(update_due),
        detail=f"{f.record.severity}: update every {describe(every)}, counted from {since}"
               + _late(None, update_due, f.now))


def _resolve(f: _Facts) -> NextAction:
    resolved, target = f.resolved, f.row.resolution_target
    resolve_due = f.detected + target
    resolve_detail = f"{f.record.severity} resolution target: {describe(target)} from detection"
    if resolved:
        late = parse_timestamp(resolved) - resolve_due
        resolve_detail += (f"; missed by {human_duration(late)}" if late > dt.timedelta(0) else "; met")
    else:
        resolve_detail += _late(None, resolve_due, f.now)
    return NextAction(key="resolve", title="Resolve the incident", status=_status(resolved, resolve_due, f.now),
                      due_at=_stamp(resolve_due), done_at=resolved, detail=resolve_detail)


def _resolution_communication(f: _Facts) -> NextAction | None:
    resolved = f.resolved
    if not resolved or not (f.comms or f.first_due is not None):
        return None
    after = [e for e in f.comms if parse_timestamp(e.at) >= parse_timestamp(resolved)]
    final_due = parse_timestamp(resolved) + (f.row.update_every or dt.timedelta(hours=1))
    done_at = after[0].at if after else None
    return NextAction(
        key="resolution_communication", title="Tell users it is resolved (status page: Resolved)",
        status=_status(done_at, final_due, f.now), due_at=_stamp(final_due), done_at=done_at,
        detail="draft it with draft_communication(kind=status_page, phase=resolved) or the user email")


def _postmortem(f: _Facts) -> NextAction | None:
    if not f.resolved:
        return None
    missing = postmortem_missing(f.record)
    return NextAction(
        key="postmortem", title="Record the post-mortem (record_postmortem), then promote to review",
        status="done" if not missing else "due",
        detail="complete" if not missing else "missing: " + "; ".join(missing))


# Each rule gives its action (None: it does not apply to this record), in the order they are listed.
_RULES: tuple[Callable[[_Facts], NextAction | None], ...] = (
    _acknowledge, _status_check, _first_communication, _next_update, _resolve, _resolution_communication, _postmortem)
_STATUS_ORDER = {"done": 3, "missed": 2, "optional": 1}


def next_actions(record: IncidentRecord, now: dt.datetime,
                 settings: IncidentSettings | None = None) -> list[NextAction]:
    """Every triage action for the record's severity with its status at ``now``, earliest due first."""
    events = sorted(record.timeline, key=lambda e: parse_timestamp(e.at))
    facts = _Facts(record=record, row=LEVELS[record.severity], now=now,
                   tz=(settings or IncidentSettings()).timezone, detected=parse_timestamp(record.detected_at),
                   comms=[e for e in events if e.kind == "communication"],
                   checks=[e for e in events if e.kind == "status_check"])
    actions = [action for rule in _RULES if (action := rule(facts)) is not None]
    actions.sort(key=lambda a: (_STATUS_ORDER.get(a.status, 0), a.due_at or "9999"))
    return actions
