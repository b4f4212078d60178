"""Read-modify-write of one incident record under its lock: replay the timeline, refresh the body's blocks,
write atomically. Every change to an existing record goes through ``editing`` and ``save``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from incident_mcp.artifacts import split_frontmatter
from incident_mcp.blocks import BlockError
from incident_mcp.errors import IncidentError
from incident_mcp.frontmatter.partial import frontmatter_update
from incident_mcp.incidents.document import refresh_body
from incident_mcp.incidents.events import replay
from incident_mcp.incidents.record import (
    MAX_RECORD_BYTES,
    MAX_RECORD_WRITE_BYTES,
    Incident,
    IncidentRecord,
    check_incident_id,
    merged_meta,
    read_incident,
)
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


def check_record_size(incident: Incident, record: IncidentRecord, size: int) -> None:
    """Refuse (IncidentError) a write the reader could not read back, or one that would leave no room to resolve."""
    resolving = incident.record.resolved_at is None and record.resolved_at is not None
    limit = MAX_RECORD_BYTES if resolving else MAX_RECORD_WRITE_BYTES
    if size > limit and size > len(incident.artifact.text.encode("utf-8")):
        raise IncidentError(
            f"{incident.rel}: this change would grow the record to {size:,} bytes; a record holds at most "
            f"{MAX_RECORD_WRITE_BYTES:,} (the rest is kept for its resolution). Nothing was written: keep long "
            "material (logs, dumps) in a file and link it; the record can still be resolved")


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
    check_record_size(incident, record, len(text.encode("utf-8")))
    atomic_write(ws.path(incident.rel), text)
    warnings = [f"block {name!r} was edited by hand and kept; the frontmatter has the change (pass force to "
                "regenerate the block)" for name in merged.kept_edited]
    return Saved(record=record, rel=incident.rel, warnings=warnings)

