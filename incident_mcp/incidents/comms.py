"""Copy-paste-ready communications from an incident record: the spec's status-page update, user email and
post-mortem invite. Whatever the record does not know stays a visible ``[placeholder]``.

Free text is flattened to one line (no header injection in a subject, no surprise paragraphs); times are UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from incident_mcp.errors import IncidentError
from incident_mcp.incidents.document import human_duration
from incident_mcp.incidents.queries import latest_open
from incident_mcp.incidents.record import STATES, IncidentRecord, IncidentState, parse_timestamp, read_incident, utc_now
from incident_mcp.incidents.settings import IncidentSettings, load_settings
from incident_mcp.severity import LEVELS
from incident_mcp.workspace import Workspace

CommKind = Literal["status_page", "email", "postmortem_invite"]
COMM_KINDS: tuple[CommKind, ...] = ("status_page", "email", "postmortem_invite")
PHASE_TITLES: dict[str, str] = {"investigating": "Investigating", "identified": "Identified",
                                "monitoring": "Monitoring", "resolved": "Resolved"}
_SPACE = re.compile(r"[\s\u0085\u2028\u2029]+")
# Control characters and bidi overrides have no place in a message to users (and can disguise it).
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Draft(BaseModel):
    """A communication ready to paste: subject (or title) and body, plus the placeholders left to fill."""

    id: str
    kind: CommKind
    phase: IncidentState
    subject: str = Field(description="Email subject or status-page title")
    body: str
    text: str = Field(description="The whole message as one copy-paste block")
    placeholders: list[str] = Field(description="Placeholders still in the text: fill them before sending")
    warnings: list[str] = Field(default_factory=list)


def one_line(text: str) -> str:
    """Text for a message line: line breaks and runs of spaces become one space, invisible controls go."""
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


class _Filler:
    """Collects the placeholders used while filling a template."""

    def __init__(self) -> None:
        self.placeholders: list[str] = []

    def value(self, text: str, placeholder: str) -> str:
        flat = one_line(text)
        if flat:
            return flat
        if placeholder not in self.placeholders:
            self.placeholders.append(placeholder)
        return placeholder


def _utc(value: dt.datetime, ref: dt.datetime | None = None) -> str:
    """``02:14 UTC`` when on the same day as ``ref``, else ``2026-03-01 02:14 UTC``."""
    if ref is not None and value.date() == ref.date():
        return value.strftime("%H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _service(record: IncidentRecord, settings: IncidentSettings) -> str:
    return ", ".join(one_line(s) for s in record.services) or settings.product


def status_page(record: IncidentRecord, phase: IncidentState, now: dt.datetime, settings: IncidentSettings,
                fill: _Filler) -> tuple[str, str]:
    """The status-page update template, filled."""
    service = fill.value(_service(record, settings), "[Service Name]")
    subject = f"{service} - {PHASE_TITLES[phase]}"
    impact = fill.value(record.summary, "[Brief description of user impact]")
    what = fill.value(record.title, "[description]")
    status = {
        "investigating": f"We are aware of an issue: {what}. We are investigating the cause.",
        "identified": f"We are aware of an issue: {what}. We have identified the cause and are working on a fix.",
        "monitoring": f"We are aware of an issue: {what}. A fix has been applied and we are monitoring the results.",
        "resolved": f"The issue ({what}) has been resolved and {service} is operating normally.",
    }[phase]
    cadence = LEVELS[record.severity].update_every
    if phase == "resolved":
        next_update = "This is the final update for this incident."
    elif cadence is not None:
        next_update = f"We will provide an update by {_utc(now + cadence, now)}."
    else:
        next_update = "We will provide an update by [time]."
        fill.value("", "[time]")
    lines = [f"Title: {subject}", f"Impact: {impact}", f"Current Status: {status}", f"Next Update: {next_update}"]
    if settings.status_page_url:
        lines.append(f"Status page: {one_line(settings.status_page_url)}")
    return subject, "\n".join(lines[1:])


def email(record: IncidentRecord, phase: IncidentState, settings: IncidentSettings,
          fill: _Filler) -> tuple[str, str]:
    """The user notification email template, filled."""
    detected = parse_timestamp(record.detected_at)
    service = fill.value(_service(record, settings), "[Service Name]")
    subject = f"{service} Service Disruption - {detected:%Y-%m-%d}"
    description = fill.value(record.title, "[brief description of the issue]")
    impact = fill.value(record.summary, "[What users experienced]")
    end = (_utc(parse_timestamp(record.resolved_at), detected) if record.resolved_at and phase == "resolved"
           else "ongoing")
    status = {"investigating": "Under investigation", "identified": "Cause identified, fix in progress",
              "monitoring": "Fix applied, monitoring", "resolved": "Resolved"}[phase]
    actions = [e.text for e in record.timeline if e.kind == "mitigation" and e.text.strip()]
    doing = fill.value("; ".join(one_line(a) for a in actions), "[Actions taken or in progress]")
    contact = fill.value(settings.support_contact, "[support channel]")
    body = [
        f"We experienced a service disruption ({description}) starting at {_utc(detected)}.",
        "",
        f"Impact: {impact}",
        f"Duration: {_utc(detected)} to {end}",
        f"Current Status: {status}",
        "",
        f"What we are doing: {doing}",
        "",
        f"We apologize for the inconvenience. If you have questions, contact {contact}.",
    ]
    if settings.status_page_url:
        body.append(f"Live updates: {one_line(settings.status_page_url)}")
    return subject, "\n".join(body)


def postmortem_invite(record: IncidentRecord, rel: str, fill: _Filler) -> tuple[str, str]:
    """The post-mortem invite template, filled."""
    brief = fill.value(record.title, "[Brief Description]")
    subject = f"Post-Mortem: {record.id} - {brief}"
    if record.resolved_at:
        duration = human_duration(parse_timestamp(record.resolved_at) - parse_timestamp(record.detected_at))
    else:
        duration = fill.value("", "[X hours/minutes]") + " (the incident is not resolved yet)"
    body = [
        f"Incident: {record.id} {brief}",
        f"Severity: {LEVELS[record.severity].label}",
        f"Duration: {duration}",
        "",
        "We will review this incident to understand root causes and prevent recurrence.",
        f"Please review the incident timeline before the session ({rel}).",
        "",
        "Agenda:",
        "1. Timeline review",
        "2. Root cause analysis (5 Whys)",
        "3. Contributing factors",
        "4. Remediation actions",
    ]
    return subject, "\n".join(body)


def draft_communication(ws: Workspace, kind: str, incident_id: str | None = None, *, phase: str | None = None,
                        now: dt.datetime | None = None, settings: IncidentSettings | None = None) -> Draft:
    """Draft a status-page update, user email or post-mortem invite for an incident (default: latest open)."""
    now = utc_now(now)
    if kind not in COMM_KINDS:
        raise IncidentError(f"kind {kind!r} is not one of {', '.join(COMM_KINDS)}")
    if phase is not None and phase not in PHASE_TITLES:
        raise IncidentError(f"phase {phase!r} is not one of {', '.join(PHASE_TITLES)}")
    settings = settings or load_settings(ws)
    incident = read_incident(ws, incident_id) if incident_id else latest_open(ws)
    record = incident.record
    current: IncidentState = record.incident_state
    chosen: IncidentState = next((s for s in STATES if s == phase), current)
    warnings = list(settings.warnings)
    if chosen != current:
        warnings.append(f"phase {chosen!r} differs from the record's state {current!r}")
    fill = _Filler()
    if kind == "status_page":
        subject, body = status_page(record, chosen, now, settings, fill)
        text = f"Title: {subject}\n{body}\n"
    elif kind == "email":
        subject, body = email(record, chosen, settings, fill)
        text = f"Subject: {subject}\n\n{body}\n"
    else:
        subject, body = postmortem_invite(record, incident.rel, fill)
        text = f"Subject: {subject}\n\n{body}\n"
    return Draft(id=record.id, kind=next(k for k in COMM_KINDS if k == kind), phase=chosen, subject=subject,
                 body=body, text=text, placeholders=fill.placeholders, warnings=warnings)
