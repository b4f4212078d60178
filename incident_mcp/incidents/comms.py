"""Copy-paste-ready communications from an incident record: the spec's status-page update, user email and
post-mortem invite. Whatever is not known stays a visible ``[placeholder]``, listed in ``placeholders``.

Public by construction: customer-facing text is built only from fields meant to be public — the
``public_message`` given for this draft, the record's ``public_summary``, the state, times and the product
name from the config. Titles, notes, root causes, mitigation texts, commands and names never reach a draft.
Free text is flattened to one line (no header injection in a subject, no surprise paragraphs). Times are in
``incident_response.timezone`` with UTC beside.
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
# What we are doing, per phase: generic on purpose (the record's mitigation texts are internal).
PHASE_STATUS: dict[str, str] = {
    "investigating": "We are aware of the issue and are investigating the cause.",
    "identified": "We have identified the cause and are working on a fix.",
    "monitoring": "A fix has been applied and we are monitoring the results.",
    "resolved": "The issue has been resolved and the service is operating normally.",
}
EMAIL_STATUS: dict[str, str] = {
    "investigating": "Under investigation", "identified": "Cause identified, fix in progress",
    "monitoring": "Fix applied, monitoring", "resolved": "Resolved",
}
EMAIL_DOING: dict[str, str] = {
    "investigating": "We are investigating the cause and will share more as soon as we know it.",
    "identified": "We have found the cause and are working on a fix.",
    "monitoring": "A fix is in place and we are watching closely to make sure it holds.",
    "resolved": "We fixed the cause and are reviewing the incident to prevent it from happening again.",
}
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


class _Clock:
    """Formats times in the company's timezone with UTC beside: ``03:14 CET (02:14 UTC)``."""

    def __init__(self, settings: IncidentSettings) -> None:
        self.tz = settings.timezone
        self.utc_only = settings.timezone_name.upper() == "UTC"

    def time(self, value: dt.datetime, ref: dt.datetime | None = None) -> str:
        """The time (with the date unless on the same local day as ``ref``)."""
        local = value.astimezone(self.tz)
        same_day = ref is not None and local.date() == ref.astimezone(self.tz).date()
        shown = local.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
        if self.utc_only:
            return f"{shown} UTC"
        utc = value.astimezone(dt.UTC)
        utc_shown = utc.strftime("%H:%M" if utc.date() == local.date() else "%Y-%m-%d %H:%M")
        return f"{shown} {local.tzname()} ({utc_shown} UTC)"


def _product(settings: IncidentSettings, fill: _Filler) -> str:
    return fill.value(settings.product, "[Product Name]")


def _impact(record: IncidentRecord, phase: IncidentState, public_message: str, fill: _Filler,
            warnings: list[str]) -> str:
    """The customer-facing impact: this draft's public message, else the public summary, in the phase's tense."""
    if one_line(public_message):
        return one_line(public_message)
    if phase == "resolved":
        # The public summary was written while it happened (present tense): do not reuse it for the past.
        if one_line(record.public_summary):
            warnings.append("the record's public_summary describes the impact while it happened; pass "
                            "public_message with what customers experienced, in the past tense")
        return fill.value("", "[What customers experienced]")
    return fill.value(record.public_summary, "[What customers are experiencing]")


def _next_update(record: IncidentRecord, phase: IncidentState, now: dt.datetime, clock: _Clock,
                 fill: _Filler) -> str:
    cadence = LEVELS[record.severity].update_every
    if phase == "resolved":
        return "This is the final update for this incident."
    if cadence is not None:
        return f"We will provide an update by {clock.time(now + cadence, now)}."
    return f"We will provide an update by {fill.value('', '[time]')}."


def status_page(record: IncidentRecord, phase: IncidentState, now: dt.datetime, settings: IncidentSettings,
                fill: _Filler, public_message: str = "", warnings: list[str] | None = None) -> tuple[str, str]:
    """The status-page update template, filled from public fields only."""
    warnings = warnings if warnings is not None else []
    clock = _Clock(settings)
    product = _product(settings, fill)
    subject = f"{product} - {PHASE_TITLES[phase]}"
    impact = _impact(record, phase, public_message, fill, warnings)
    label = "Impact" if phase != "resolved" else "What happened"
    lines = [f"{label}: {impact}", f"Current Status: {PHASE_STATUS[phase]}",
             f"Next Update: {_next_update(record, phase, now, clock, fill)}"]
    if settings.status_page_url:
        lines.append(f"Status page: {one_line(settings.status_page_url)}")
    return subject, "\n".join(lines)


def email(record: IncidentRecord, phase: IncidentState, settings: IncidentSettings, fill: _Filler,
          public_message: str = "", warnings: list[str] | None = None,
          now: dt.datetime | None = None) -> tuple[str, str]:
    """The user notification email template, filled from public fields only."""
    warnings = warnings if warnings is not None else []
    clock = _Clock(settings)
    detected = parse_timestamp(record.detected_at)
    product = _product(settings, fill)
    resolved = phase == "resolved"
    subject = f"{'Resolved: ' if resolved else ''}{product} service disruption - {detected:%Y-%m-%d}"
    impact = _impact(record, phase, public_message, fill, warnings)
    if resolved and record.resolved_at:
        end = clock.time(parse_timestamp(record.resolved_at), detected)
        duration = f"{clock.time(detected)} to {end}"
    elif resolved:
        duration = f"{clock.time(detected)} to {fill.value('', '[end time]')}"
    else:
        duration = f"since {clock.time(detected)} (ongoing)"
    contact = fill.value(settings.support_contact, "[support channel]")
    opening = (f"Between {duration.replace(' to ', ' and ')}, {product} did not work as it should."
               if resolved else f"Since {clock.time(detected)}, {product} has not been working as it should.")
    body = [
        opening,
        "",
        f"{'What you may have noticed' if resolved else 'What you may notice'}: {impact}",
        f"Duration: {duration}",
        f"Current Status: {EMAIL_STATUS[phase]}",
        "",
        f"What we are doing: {EMAIL_DOING[phase]}",
    ]
    if not resolved and now is not None:
        body.append(_next_update(record, phase, now, clock, fill))
    body += ["", f"We apologize for the inconvenience. If you have questions, contact {contact}."]
    if settings.status_page_url:
        body.append(f"Live updates: {one_line(settings.status_page_url)}")
    return subject, "\n".join(body)


def postmortem_invite(record: IncidentRecord, rel: str, fill: _Filler) -> tuple[str, str]:
    """The post-mortem invite for one person (the founder, maybe one trusted reviewer), with a date to fill."""
    when = fill.value("", "[date and time]")
    subject = f"Post-mortem review: {record.id} - {when}"
    if record.resolved_at:
        duration = human_duration(parse_timestamp(record.resolved_at) - parse_timestamp(record.detected_at))
    else:
        duration = fill.value("", "[X hours/minutes]") + " (the incident is not resolved yet)"
    body = [
        f"Incident: {record.id} ({LEVELS[record.severity].label}, {duration})",
        f"When: {when}, 45 minutes, calendar blocked and notifications off",
        "",
        "A blameless review of what happened, so it does not happen again.",
        f"Before the session, read the incident timeline ({rel}).",
        "",
        "Agenda:",
        "1. Timeline review",
        "2. Root cause analysis (5 Whys)",
        "3. Contributing factors",
        "4. Remediation actions, each with an owner and a due date",
        "5. Record it with record_postmortem",
    ]
    return subject, "\n".join(body)


def draft_communication(ws: Workspace, kind: str, incident_id: str | None = None, *, phase: str | None = None,
                        public_message: str = "", now: dt.datetime | None = None,
                        settings: IncidentSettings | None = None) -> Draft:
    """Draft a status-page update, user email or post-mortem invite for an incident (default: latest open).

    ``public_message`` is the customer-facing impact for this draft; without it the record's public summary
    is used (or a placeholder).
    """
    now = utc_now(now)
    if kind not in COMM_KINDS:
        raise IncidentError(f"kind {kind!r} is not one of {', '.join(COMM_KINDS)}")
    if phase is not None and phase not in PHASE_TITLES:
        raise IncidentError(f"phase {phase!r} is not one of {', '.join(PHASE_TITLES)}")
    settings = settings or load_settings(ws)
    warnings = list(settings.warnings)
    if incident_id:
        incident = read_incident(ws, incident_id)
    else:
        incident, others = latest_open(ws)
        if others:
            warnings.append(f"no id given: drafted for {incident.record.id}, the most recently detected open "
                            f"incident; also open: {', '.join(o.id for o in others)}")
    record = incident.record
    current: IncidentState = record.incident_state
    chosen: IncidentState = next((s for s in STATES if s == phase), current)
    if chosen != current:
        warnings.append(f"phase {chosen!r} differs from the record's state {current!r}")
    fill = _Filler()
    if kind == "status_page":
        subject, body = status_page(record, chosen, now, settings, fill, public_message, warnings)
        text = f"Title: {subject}\n{body}\n"
    elif kind == "email":
        subject, body = email(record, chosen, settings, fill, public_message, warnings, now)
        text = f"Subject: {subject}\n\n{body}\n"
    else:
        subject, body = postmortem_invite(record, incident.rel, fill)
        text = f"Subject: {subject}\n\n{body}\n"
    return Draft(id=record.id, kind=next(k for k in COMM_KINDS if k == kind), phase=chosen, subject=subject,
                 body=body, text=text, placeholders=fill.placeholders, warnings=warnings)
