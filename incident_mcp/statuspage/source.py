"""Reading what the status page is built from: every incident record of the workspace.

Only the frontmatter keys the page can use are turned into data (not the post-mortem, notes in the body,
or anything else), which is also most of the reading time saved; a record that is unusual in any way is
read the full way, and a record that cannot be read is reported and left off the page.
"""

from __future__ import annotations

from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.frontmatter import read_fields
from incident_mcp.incidents.record import (
    INCIDENT_DIR,
    MAX_RECORD_BYTES,
    format_id,
    incident_files,
    read_incident_file,
    record_from_meta,
)
from incident_mcp.statuspage.model import SourceRecord
from incident_mcp.workspace import Workspace

# What the page reads: the record fields the model needs, and the public fields other branches add.
KEYS = ("id", "title", "severity", "incident_state", "services", "detected_at", "acknowledged_at", "mitigated_at",
        "resolved_at", "timeline", "public_title", "public_summary", "closed_as")


def load_records(ws: Workspace) -> tuple[list[SourceRecord], list[str]]:
    """Every readable incident record, and one line per record that could not be read (left off the page)."""
    records: list[SourceRecord] = []
    skipped: list[str] = []
    for number, path in incident_files(ws):
        rel = f"{INCIDENT_DIR}/{path.name}"
        try:
            records.append(_read(ws, number, rel))
        except (IncidentMCPError, OSError) as err:
            skipped.append(f"{rel}: {err}".replace(f"{rel}: {rel}: ", f"{rel}: "))
    return records, skipped


def _read(ws: Workspace, number: int, rel: str) -> SourceRecord:
    path = ws.root / rel
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise IncidentMCPError(f"file is larger than {MAX_RECORD_BYTES:,} bytes")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise IncidentMCPError("file is not UTF-8 text") from None
    fields = read_fields(text, KEYS)
    if fields is None:
        incident = read_incident_file(ws, path)
        return SourceRecord(record=incident.record, meta=incident.artifact.meta)
    record = record_from_meta(fields, rel)
    if record.number != number:
        raise IncidentMCPError(f"file name says {format_id(number)} but its id is {record.id}")
    return SourceRecord(record=record, meta=fields)
