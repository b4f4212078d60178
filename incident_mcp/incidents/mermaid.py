"""A Mermaid Gantt chart of an incident (state bars plus event milestones) that GitHub renders as a picture.

Every piece of text that reaches the diagram is reduced to letters, digits, spaces and a few safe
punctuation marks, so a hostile title cannot add a line, a directive or close the code fence.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from incident_mcp.incidents.events import LABELS, Replay
from incident_mcp.incidents.record import IncidentRecord, parse_timestamp

MAX_LABEL = 60
_SAFE_PUNCTUATION = set(" .,()-_/'&+!?@")
_DATE = "%Y-%m-%d %H:%M:%S"


def sanitize(text: str, limit: int = MAX_LABEL) -> str:
    """Text safe for a Gantt task name or title: one line, no ``:`` ``;`` ``#`` ``%`` or backticks, bounded."""
    kept = []
    for ch in text[: limit * 8]:  # enough to fill the label even after dropping syntax characters
        category = unicodedata.category(ch)
        if category[0] in "LN" or ch in _SAFE_PUNCTUATION:
            kept.append(ch)
        elif category[0] in "ZC" or ch in "\t":
            kept.append(" ")
    flat = " ".join("".join(kept).split())
    if len(flat) > limit:
        flat = flat[: limit - 3].rstrip() + "..."
    return flat


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(_DATE)


def gantt(record: IncidentRecord, history: Replay) -> str:
    """The fenced ``mermaid`` block for the record's timeline (times in UTC)."""
    events = sorted(record.timeline, key=lambda e: parse_timestamp(e.at))
    first = parse_timestamp(record.detected_at)
    last = max([parse_timestamp(e.at) for e in events] + [first])
    span = last - first
    axis = "%H:%M" if span < dt.timedelta(hours=20) else "%m-%d %H:%M"
    title = sanitize(f"{record.id} {record.title}", 80)
    lines = [
        "```mermaid",
        "gantt",
        f"    title {title}",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        f"    axisFormat {axis}",
        "    todayMarker off",
        "    section State",
    ]
    for index, segment in enumerate(history.segments, start=1):
        if segment.state == "resolved":
            continue
        end = segment.end or last
        if end <= segment.start:
            data = f"s{index}, {_stamp(segment.start)}, 1m"
        else:
            data = f"s{index}, {_stamp(segment.start)}, {_stamp(end)}"
        lines.append(f"    {segment.state.capitalize()} :{data}")
    lines.append("    section Events")
    for index, event in enumerate(events, start=1):
        label = LABELS[event.kind]
        if event.kind == "severity_change" and event.severity_to:
            label = f"Severity {event.severity_from or ''} to {event.severity_to}".replace("  ", " ")
        text = sanitize(event.text, MAX_LABEL - len(label) - 3) if event.kind not in ("detected",) else ""
        name = f"{label} - {text}" if text else label
        lines.append(f"    {name} :milestone, e{index}, {_stamp(parse_timestamp(event.at))}, 1m")
    lines.append("```")
    return "\n".join(lines) + "\n"
