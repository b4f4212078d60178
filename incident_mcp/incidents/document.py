"""The Markdown body of an incident record: the post-mortem template's sections, each generated part in a
managed block rendered from the frontmatter.

Free text goes through ``blocks.inline`` (one line, pipes escaped, block markers neutralised); the exact
text lives in the frontmatter, the body is its readable picture. Text outside the blocks is the human's.
"""

from __future__ import annotations

import datetime as dt
import re

from incident_mcp.blocks import MergeResult, inline, merge, neutralize, wrap
from incident_mcp.incidents.events import LABELS, Replay, replay
from incident_mcp.incidents.mermaid import gantt
from incident_mcp.incidents.record import IncidentRecord, Postmortem, TimelineEvent, parse_timestamp
from incident_mcp.severity import LEVELS

NOTES_HINT = ("_Write anything you like outside the `incident-mcp` blocks: updates regenerate the blocks "
              "from the frontmatter and never touch the rest._")


def human_time(value: str | None) -> str:
    """``2026-03-01 02:14 UTC`` (empty for None)."""
    if not value:
        return ""
    return parse_timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


def duration_text(start: str, end: str | None) -> str:
    """``1 hour 20 minutes`` between two timestamps, or ``ongoing``."""
    if not end:
        return "ongoing"
    return human_duration(parse_timestamp(end) - parse_timestamp(start))


def human_duration(delta: dt.timedelta) -> str:
    """A duration as hours and minutes (days when long)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day" + ("s" if days != 1 else ""))
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if mins or not parts:
        parts.append(f"{mins} minute" + ("s" if mins != 1 else ""))
    return " ".join(parts)


def short_duration(delta: dt.timedelta) -> str:
    """``12 min``, ``3 h 5 min``, ``2 d 4 h``: the compact form for lists and pages."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _block(name: str, content: str) -> str:
    # Any "<!--" in user text would start an HTML comment that hides the rest of the rendered page.
    return wrap(name, neutralize(content).replace("<!--", "&lt;!--"))


def header(record: IncidentRecord) -> str:
    """Title and incident metadata."""
    row = LEVELS[record.severity]
    services = ", ".join(inline(s) for s in record.services) or "[Affected services]"
    related = ", ".join(record.depends_on) or "none"
    lines = [
        f"# Post-Mortem: [{record.id}] {inline(record.title)}",
        "",
        "## Incident Metadata",
        f"- **Incident ID**: {record.id}",
        f"- **Severity**: {row.label}",
        f"- **State**: {record.incident_state.capitalize()}",
        f"- **Services**: {services}",
        f"- **Date**: {record.detected_at[:10]}",
        f"- **Detected**: {human_time(record.detected_at)}",
        f"- **Resolved**: {human_time(record.resolved_at) or 'not yet'}",
        f"- **Duration**: {duration_text(record.detected_at, record.resolved_at)}",
        f"- **Impact Summary**: {inline(record.summary) or '[One sentence describing user-facing impact]'}",
        f"- **Author**: {inline(record.author) or '[Name]'}",
        f"- **Related artifacts**: {related}",
    ]
    return "\n".join(lines) + "\n"


def event_line(event: TimelineEvent) -> str:
    """What an event says, as one line of Markdown."""
    label = LABELS[event.kind]
    if event.kind == "mitigation" and event.mitigation:
        label += f" ({event.mitigation.replace('_', ' ')})"
    elif event.kind == "communication" and event.channel:
        label += f" ({inline(event.channel)})"
    elif event.kind == "status_check" and event.overall:
        label += f" ({event.overall.replace('_', ' ').upper()})"
    elif event.kind == "state_change" and event.state:
        label = f"State → {event.state}"
    elif event.kind == "severity_change" and event.severity_to:
        label = f"Severity {event.severity_from or '?'} → {event.severity_to}"
    elif event.kind == "detected" and event.severity:
        label += f" (opened as {event.severity})"
    text = inline(event.text)
    if event.kind == "note":
        return text or label
    return f"{label}: {text}" if text else label


def timeline_table(record: IncidentRecord) -> str:
    """The timeline as the template's table (all times UTC)."""
    lines = ["| Time (UTC) | Event |", "|------|-------|"]
    for event in sorted(record.timeline, key=lambda e: parse_timestamp(e.at)):
        lines.append(f"| {parse_timestamp(event.at).strftime('%Y-%m-%d %H:%M')} | {event_line(event)} |")
    return "\n".join(lines) + "\n"


_QUESTION = re.compile(r"^\s*(why\b[^?]*\?)\s*(.*)$", re.IGNORECASE | re.DOTALL)


def split_why(text: str) -> tuple[str, str]:
    """A why as (question, answer): "Why did X? Because Y" splits at the first '?'; plain text is the answer."""
    match = _QUESTION.match(text)
    if match:
        return inline(match.group(1)), inline(match.group(2))
    return "", inline(text)


def whys(pm: Postmortem) -> str:
    """The 5 Whys in full, each on its own line: the question (given, or asked of the answer above) in bold."""
    lines = []
    for number in range(1, 6):
        given = pm.whys[number - 1] if number <= len(pm.whys) else ""
        question, answer = split_why(given)
        if not question:
            question = "Why did the service go down?" if number == 1 else "Why did that happen?"
        placeholder = "[Root cause]" if number == 5 else "[Answer]"
        lines.append(f"{number}. **{question}** {answer or placeholder}")
    return "\n".join(lines) + "\n"


def factors(pm: Postmortem) -> str:
    """Contributing factors as a list."""
    if not pm.contributing_factors:
        return ("- [Factor 1: e.g., missing test coverage for edge case]\n"
                "- [Factor 2: e.g., no alerting on the affected metric]\n"
                "- [Factor 3: e.g., deployment happened without staging verification]\n")
    return "".join(f"- {inline(f)}\n" for f in pm.contributing_factors)


def impact(pm: Postmortem) -> str:
    """Impact assessment."""
    i = pm.impact
    return (f"- **Users affected**: {inline(i.users) or '[Number or percentage]'}\n"
            f"- **Revenue impact**: {inline(i.revenue) or '[Estimated lost revenue or “none”]'}\n"
            f"- **Data impact**: {inline(i.data) or '[Data lost, corrupted, or “none”]'}\n"
            f"- **Reputation impact**: "
            f"{inline(i.reputation) or '[Public visibility, social media mentions, or “minimal”]'}\n")


def remediation(pm: Postmortem) -> str:
    """Remediation actions by horizon."""
    out = []
    sections = (("immediate", "Immediate (completed during incident)", "- [ ] [Action taken to restore service]"),
                ("short_term", "Short-term (within 1 week)", "- [ ] [Action] -- Owner: [name] -- Due: [date]"),
                ("long_term", "Long-term (within 1 month)", "- [ ] [Action] -- Owner: [name] -- Due: [date]"))
    for horizon, heading, placeholder in sections:
        out.append(f"### {heading}")
        actions = [a for a in pm.remediation if a.horizon == horizon]
        for action in actions:
            box = "x" if action.done or horizon == "immediate" else " "
            line = f"- [{box}] {inline(action.action)}"
            if action.owner or horizon != "immediate":
                line += f" -- Owner: {inline(action.owner) or '[name]'}"
            if action.due or horizon != "immediate":
                line += f" -- Due: {action.due or '[date]'}"
            out.append(line)
        if not actions:
            out.append(placeholder)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def follow_ups(pm: Postmortem) -> str:
    """Follow-up items as the template's table."""
    lines = ["| Item | Owner | Due Date | Status |", "|------|-------|----------|--------|"]
    for item in pm.follow_ups:
        lines.append(f"| {inline(item.item)} | {inline(item.owner) or '[Name]'} | {item.due or 'YYYY-MM-DD'} | "
                     f"{item.status.capitalize()} |")
    if not pm.follow_ups:
        lines.append("| [Description] | [Name] | YYYY-MM-DD | Open |")
    return "\n".join(lines) + "\n"


def lessons(pm: Postmortem) -> str:
    """Lessons learned."""
    le = pm.lessons
    return (f"- **What went well**: {inline(le.went_well) or '[e.g., fast detection, clear rollback procedure]'}\n"
            f"- **What went poorly**: "
            f"{inline(le.went_poorly) or '[e.g., slow communication, missing runbook step]'}\n"
            f"- **Where we got lucky**: "
            f"{inline(le.got_lucky) or '[e.g., low traffic period, no data loss despite risk]'}\n")


def render_body(record: IncidentRecord, history: Replay | None = None) -> str:
    """The whole body for ``record``: fixed headings plus one managed block per generated section."""
    history = history or replay(record.timeline, record.detected_at)
    pm = record.postmortem
    parts = [
        _block("header", header(record)),
        "## Timeline (all times UTC)",
        _block("timeline", timeline_table(record)),
        _block("timeline-chart", gantt(record, history)),
        "## Root Cause Analysis: 5 Whys",
        _block("postmortem-whys", whys(pm)),
        "## Contributing Factors",
        _block("postmortem-factors", factors(pm)),
        "## Impact Assessment",
        _block("postmortem-impact", impact(pm)),
        "## Remediation Actions",
        _block("postmortem-remediation", remediation(pm)),
        "## Follow-Up Items",
        _block("postmortem-follow-ups", follow_ups(pm)),
        "## Lessons Learned",
        _block("postmortem-lessons", lessons(pm)),
        "## Notes",
        NOTES_HINT,
    ]
    return "\n" + "\n\n".join(parts) + "\n"


def refresh_body(body: str, record: IncidentRecord, *, force: bool = False) -> MergeResult:
    """``body`` with every block re-rendered from ``record``; text outside blocks kept byte for byte.

    A block a human edited is kept (listed in ``kept_edited``) unless ``force``.
    """
    return merge(body, render_body(record), force=force)
