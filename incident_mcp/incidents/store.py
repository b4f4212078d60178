"""Read-modify-write of one incident record under its lock: replay the timeline, refresh the body's blocks,
write atomically. Every change to an existing record goes through ``editing`` and ``save``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from incident_mcp.artifacts import dump_frontmatter, dump_yaml, split_frontmatter
from incident_mcp.blocks import BlockError
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.document import refresh_body
from incident_mcp.incidents.events import replay
from incident_mcp.incidents.record import Incident, IncidentRecord, check_incident_id, merged_meta, read_incident
from incident_mcp.workspace import Workspace, atomic_write


@dataclass
class Saved:
    """What a save wrote and anything the caller should know (e.g. a hand-edited block kept)."""

    record: IncidentRecord
    rel: str
    warnings: list[str] = field(default_factory=list)


@contextlib.contextmanager
def editing(ws: Workspace, incident_id: str) -> Iterator[Incident]:
    """Hold the record's lock and yield it freshly read; other writers wait until the block ends."""
    wanted = check_incident_id(incident_id)
    with ws.lock(f"incident-{wanted}"):
        yield read_incident(ws, wanted)


def settle(record: IncidentRecord) -> IncidentRecord:
    """``record`` with state, severity and key times derived from its timeline.

    Raises IncidentError when the timeline contradicts itself (nothing is written then).
    """
    history = replay(record.timeline, record.detected_at)
    if history.problems:
        raise IncidentError(f"{record.id}: " + "; ".join(history.problems))
    return record.model_copy(update={
        "incident_state": history.state,
        "severity": history.severity or record.severity,
        "acknowledged_at": history.acknowledged_at,
        "mitigated_at": history.mitigated_at,
        "resolved_at": history.resolved_at,
    })


def save(ws: Workspace, incident: Incident, record: IncidentRecord, *, force: bool = False) -> Saved:
    """Write ``record`` over ``incident``'s file: frontmatter rewritten as data, blocks refreshed, the rest kept."""
    record = settle(record)
    try:
        merged = refresh_body(incident.artifact.body, record, force=force)
    except BlockError as err:
        raise IncidentError(f"{incident.rel}: {err}; fix the block markers by hand, nothing was written") from None
    meta = merged_meta(incident.artifact.meta, record)
    front, _body, _line = split_frontmatter(incident.artifact.text)
    text = frontmatter_update(front, incident.artifact.meta, meta) + merged.text
    atomic_write(ws.path(incident.rel), text)
    warnings = [f"block {name!r} was edited by hand and kept; the frontmatter has the change (pass force to "
                "regenerate the block)" for name in merged.kept_edited]
    return Saved(record=record, rel=incident.rel, warnings=warnings)


_KEY_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\s*:")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _chunks(front: str) -> tuple[str, dict[str, str]]:
    """The text before the first key, and each top-level key's lines (continuations included)."""
    lead: list[str] = []
    chunks: dict[str, list[str]] = {}
    current: list[str] = lead
    for line in front.splitlines(keepends=True):
        match = _KEY_START.match(line)
        if match:
            key = line.split(":", 1)[0].strip()
            current = chunks.setdefault(key, [])
            if current:  # a key twice: let the full dump handle it
                return "", {}
        current.append(line)
    return "".join(lead), {key: "".join(lines) for key, lines in chunks.items()}


def _reuse_items(old_chunk: str, old: list[Any], new: list[Any], key: str) -> str | None:
    """A block list re-using the text of items that did not change; None when the old text is not block style."""
    lines = old_chunk.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").split(":", 1)[1].strip():
        return None
    items: list[list[str]] = []
    for line in lines[1:]:
        if line.startswith("- "):
            items.append([line])
        elif items and line.startswith("  "):
            items[-1].append(line)
        else:
            return None
    if len(items) != len(old):
        return None
    texts = ["".join(item) for item in items]
    out = [f"{key}:\n"]
    cursor = 0
    for value in new:
        found = next((j for j in range(cursor, len(old)) if old[j] == value), None)
        if found is not None:
            out.append(texts[found] if texts[found].endswith("\n") else texts[found] + "\n")
            cursor = found + 1
        else:
            out.append(dump_yaml([value]))
    return "".join(out)


def frontmatter_update(front: str, old_meta: dict[str, Any], new_meta: dict[str, Any]) -> str:
    """The frontmatter block for ``new_meta`` re-using the old text of every key (and list item) that did not
    change, so a change touches only its own lines and a human's formatting elsewhere is kept.

    The result is parsed back and compared with ``new_meta``; on any difference the whole block is dumped
    afresh instead, so re-use can never change data.
    """
    lead, chunks = _chunks(front + "\n" if front and not front.endswith("\n") else front)
    parts = [lead]
    for key, value in new_meta.items():
        old_chunk = chunks.get(key)
        if old_chunk is not None and key in old_meta and old_meta[key] == value:
            parts.append(old_chunk)
            continue
        reused = None
        if old_chunk is not None and isinstance(value, list) and isinstance(old_meta.get(key), list):
            reused = _reuse_items(old_chunk, old_meta[key], value, key)
        parts.append(reused if reused is not None else dump_frontmatter({key: value})[4:-4])
    text = "---\n" + "".join(parts) + "---\n"
    try:
        same = yaml.load(text[4:-4], Loader=_Loader) == new_meta  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        same = False
    return text if same else dump_frontmatter(new_meta)
