"""What may be said in public about an incident: cleaned text, public titles, impact words.

Customer-facing text is public by construction: it comes only from fields meant to be public (the
posted ``communication`` events, ``public_summary``, ``public_title``, the public component names,
states and times), never from the record's title, notes, root causes, commands or post-mortem. Times are
shown in UTC, in one spelling for machines (``iso``) and one for people.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from incident_mcp.severity import Severity

Indicator = Literal["none", "minor", "major", "critical"]
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance"]

# Severity → Statuspage incident impact. P3 (a minor issue with a workaround) still degrades the service,
# so it reads "minor" like P2; "none" is left for maintenance.
SEVERITY_IMPACT: dict[Severity, Indicator] = {"P0": "critical", "P1": "major", "P2": "minor", "P3": "minor"}
SEVERITY_STATUS: dict[Severity, ComponentStatus] = {
    "P0": "major_outage", "P1": "partial_outage", "P2": "degraded_performance", "P3": "degraded_performance"}
STATUS_RANK: dict[str, int] = {"operational": 0, "under_maintenance": 1, "degraded_performance": 2,
                               "partial_outage": 3, "major_outage": 4}
STATUS_INDICATOR: dict[str, Indicator] = {"operational": "none", "under_maintenance": "none",
                                          "degraded_performance": "minor", "partial_outage": "major",
                                          "major_outage": "critical"}
INDICATOR_RANK: dict[Indicator, int] = {"none": 0, "minor": 1, "major": 2, "critical": 3}
STATUS_LABEL: dict[str, str] = {
    "operational": "Operational", "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance", "partial_outage": "Partial outage",
    "major_outage": "Major outage", "no_data": "No data",
}
IMPACT_LABEL: dict[Indicator, str] = {"none": "Notice", "minor": "Degraded performance",
                                      "major": "Partial outage", "critical": "Major outage"}
STATE_LABEL: dict[str, str] = {"investigating": "Investigating", "identified": "Identified",
                               "monitoring": "Monitoring", "resolved": "Resolved"}
OVERALL_DESCRIPTION: dict[Indicator, str] = {
    "none": "All Systems Operational", "minor": "Partially Degraded Service",
    "major": "Partial System Outage", "critical": "Major System Outage",
}
MAX_TITLE = 200
MAX_BODY = 20_000

# Characters XML 1.0 cannot carry and that mean nothing on a page: C0/C1 controls (but tab and newline),
# DEL, lone surrogates and the non-characters U+FFFE/U+FFFF. Direction marks are kept (RTL text needs them);
# the page isolates every piece of text so they cannot flip what surrounds it.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u0085\u2028\u2029]")


def clean_text(value: object, limit: int = MAX_BODY) -> str:
    """Public text made safe for HTML, XML and JSON: controls dropped, line breaks as ``\\n``, bounded."""
    if not isinstance(value, str):
        return ""
    text = _LINE_BREAKS.sub("\n", value)
    text = _UNSAFE.sub("", unicodedata.normalize("NFC", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def clean_line(value: object, limit: int = MAX_TITLE) -> str:
    """One line of public text (a title): as ``clean_text``, line breaks and runs of space collapsed."""
    return re.sub(r"\s+", " ", clean_text(value, limit * 2)).strip()[:limit]


def names_phrase(names: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``, ``A, B and 3 more``."""
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def generic_title(impact: Indicator, component_names: Sequence[str]) -> str:
    """The public name of an incident that has no ``public_title``: impact and affected components."""
    what = names_phrase(component_names)
    return f"{IMPACT_LABEL[impact]}: {what}" if what else f"{IMPACT_LABEL[impact]} of our service"


def worst_status(statuses: Sequence[str]) -> ComponentStatus:
    """The worst of several component statuses (``operational`` for none)."""
    worst: ComponentStatus = "operational"
    for status in statuses:
        if STATUS_RANK[status] > STATUS_RANK[worst]:
            worst = status  # type: ignore[assignment]
    return worst


def iso(at: dt.datetime) -> str:
    """``2026-03-01T02:14:00Z``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def display_time(at: dt.datetime) -> str:
    """``1 Mar 2026, 02:14 UTC``."""
    at = at.astimezone(dt.UTC)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


def display_date(day: dt.date) -> str:
    """``1 Mar 2026``."""
    return f"{day.day} {day:%b %Y}"
