"""Reading what the status page is built from: every incident record of the workspace, with its raw frontmatter."""

from __future__ import annotations

from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.record import incident_files, read_incident_file
from incident_mcp.statuspage.model import SourceRecord
from incident_mcp.workspace import Workspace


def load_records(ws: Workspace) -> tuple[list[SourceRecord], list[str]]:
    """Every readable incident record, and one line per record that could not be read (left off the page)."""
    records: list[SourceRecord] = []
    skipped: list[str] = []
    for _number, path in incident_files(ws):
        try:
            incident = read_incident_file(ws, path)
        except (IncidentMCPError, OSError) as err:
            skipped.append(f"{ws.rel(path)}: {err}")
            continue
        records.append(SourceRecord(record=incident.record, meta=incident.artifact.meta))
    return records, skipped
