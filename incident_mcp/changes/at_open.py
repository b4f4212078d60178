"""Recent changes at opening: the top three go into the open_incident answer and into a "recent-changes"
managed block of the record; get_incident then only says how many there were and where to look.

Kept apart from the incident lifecycle on purpose: the adapters call ``note_recent_changes`` right after
``open_incident`` and ``changes_hint`` next to ``get_incident``; a failure here never undoes an opening.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field

from incident_mcp import incidents
from incident_mcp.artifacts import split_frontmatter
from incident_mcp.blocks import find_blocks, inline, wrap
from incident_mcp.changes.recent import Change, recent_changes
from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.store import check_record_size, editing
from incident_mcp.workspace import Workspace, atomic_write

BLOCK = "recent-changes"
HEADING = "## Recent Changes (before detection)"
TOP = 3
_COUNT = re.compile(r"^(\d+) changes? in the ")


class OpenedWithChanges(incidents.OpenedIncident):
    """open_incident's answer plus the three changes most likely to have caused it."""

    recent_changes: list[Change] = Field(default_factory=list, exclude_if=lambda v: not v)
    recent_changes_hint: str | None = Field(default=None, exclude_if=lambda v: v is None)


class IncidentViewWithChanges(incidents.IncidentView):
    """get_incident's answer plus a one-line pointer to the changes noted at opening."""

    recent_changes: str | None = Field(default=None, exclude_if=lambda v: v is None)


def _block_text(changes: list[Change], total: int, window_hours: float, incident_id: str) -> str:
    window = f"{window_hours:g} h"
    if not changes:
        return f"0 changes in the {window} before detection (deploy log, git, config, promotions).\n"
    lines = [f"{total} change{'s' if total != 1 else ''} in the {window} before detection; the most likely "
             "cause first:", ""]
    for number, change in enumerate(changes, 1):
        who = f", by {inline(change.who)}" if change.who else ""
        line = (f"{number}. **{change.kind}** `{change.id}` {inline(change.what)} ({change.before} before"
                f"{who}): {inline(change.correlation)}")
        if change.rollback:
            line += f". Back to {inline(change.rollback_to or '')}: `{inline(change.rollback)}`"
        lines.append(line)
    lines += ["", f"All of them: `incident-mcp changes {incident_id}` or "
                  f"recent_changes(incident_id=\"{incident_id}\")."]
    return "\n".join(lines) + "\n"


def _write_block(ws: Workspace, incident_id: str, content: str) -> str | None:
    """Put the block after the header block (or replace ours); returns a warning when it was not written.

    Only the body changes, so the write is checked against the store's size bound (IncidentError past it)
    rather than going through ``save``, which would also regenerate the record's own blocks.
    """
    with editing(ws, incident_id) as incident:
        text = incident.artifact.text
        _front, body, _line = split_frontmatter(text)
        head = text[:len(text) - len(body)]
        blocks = {b.name: b for b in find_blocks(body)}
        new_block = wrap(BLOCK, content.replace("<!--", "&lt;!--"))
        if BLOCK in blocks:
            old = blocks[BLOCK]
            if old.edited:
                return f"block {BLOCK!r} was edited by hand and kept"
            body = body[:old.start] + new_block + body[old.end:]
        elif "header" in blocks:
            end = blocks["header"].end
            body = body[:end] + f"\n\n{HEADING}\n\n{new_block}" + body[end:]
        else:
            body = body.rstrip("\n") + f"\n\n{HEADING}\n\n{new_block}\n"
        text = head + body
        # the store's bound: a block that would grow the record past what a record may hold is refused
        check_record_size(incident, incident.record, len(text.encode("utf-8")))
        atomic_write(ws.path(incident.rel), text)
    return None


def note_recent_changes(ws: Workspace, opened: incidents.OpenedIncident, *,
                        now: dt.datetime | None = None) -> OpenedWithChanges:
    """Find the changes before ``opened`` was detected, write the top three into its record, return them."""
    try:
        found = recent_changes(ws, incident_id=opened.id, limit=TOP, now=now)
        warning = _write_block(ws, opened.id, _block_text(found.changes, found.total, found.window_hours, opened.id))
    except (IncidentMCPError, OSError) as err:
        return OpenedWithChanges.model_validate({**opened.model_dump(),
                                                 "warnings": [*opened.warnings, f"recent changes not noted: {err}"]})
    data = opened.model_dump()
    data["recent_changes"] = found.changes
    if found.total > len(found.changes):
        data["recent_changes_hint"] = (f"{found.total} changes in the window; recent_changes("
                                       f"incident_id=\"{opened.id}\") lists them all")
    if warning:
        data["warnings"] = [*opened.warnings, warning]
    return OpenedWithChanges.model_validate(data)


def changes_hint(ws: Workspace, view: incidents.IncidentView) -> IncidentViewWithChanges:
    """``view`` with one line saying how many changes were noted at opening and how to list them."""
    hint = None
    try:
        body = incidents.read_incident(ws, view.id).artifact.body
        block = next((b for b in find_blocks(body) if b.name == BLOCK), None)
    except (IncidentMCPError, OSError):
        block = None
    if block is not None:
        match = _COUNT.match(block.lf_content)
        count = match.group(1) if match else "some"
        hint = (f"{count} change(s) before detection noted at opening (section Recent Changes of the record); "
                f"recent_changes(incident_id=\"{view.id}\") lists them with rollback commands")
    return IncidentViewWithChanges.model_construct(**dict(view), recent_changes=hint)
