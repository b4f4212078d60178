"""Reading what the status page is built from: every incident record of the workspace.

Only the frontmatter keys the page can use are turned into data (not the post-mortem, notes in the body,
or anything else); a record that is unusual in any way is read the full way, and a record that cannot be
read is reported and left off the page.

The page is rebuilt after every watch round while records rarely change, and parsing YAML is most of a
build, so the keys read from each record are kept in ``.incident-mcp/statuspage-records.json`` (machine-
local, git-ignored) under the file's size, modification and change times and inode. A changed file is
read again; a missing or unreadable cache only costs time. What the page says never depends on it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from incident_mcp.errors import IncidentMCPError
from incident_mcp.frontmatter.partial import read_fields
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.incidents.record import (
    INCIDENT_DIR,
    MAX_RECORD_BYTES,
    format_id,
    incident_files,
    json_safe,
    read_incident_file,
    record_from_meta,
)
from incident_mcp.statuspage.model import SourceRecord
from incident_mcp.workspace import Workspace, atomic_write

CACHE_NAME = "statuspage-records.json"
CACHE_VERSION = 1

# What the page reads: the record fields the model needs, and the public fields other branches add.
KEYS = ("id", "title", "severity", "incident_state", "services", "detected_at", "acknowledged_at", "mitigated_at",
        "resolved_at", "timeline", "public_title", "public_summary", "closed_as")


def load_records(ws: Workspace, *, cache: bool = True) -> tuple[list[SourceRecord], list[str]]:
    """Every readable incident record, and one line per record that could not be read (left off the page)."""
    cached = _load_cache(ws) if cache else {}
    entries: dict[str, dict[str, Any]] = {}
    records: list[SourceRecord] = []
    skipped: list[str] = []
    for number, path in incident_files(ws):
        rel = f"{INCIDENT_DIR}/{path.name}"
        try:
            stat = path.stat()
            key = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
            entry = cached.get(path.name)
            fields = entry["fields"] if entry is not None and entry.get("stat") == key else _read(ws, path)
            record = record_from_meta(fields, rel)
            if record.number != number:
                raise IncidentMCPError(f"file name says {format_id(number)} but its id is {record.id}")
        except (IncidentMCPError, OSError) as err:
            skipped.append(f"{rel}: {err}".replace(f"{rel}: {rel}: ", f"{rel}: "))
            continue
        records.append(SourceRecord(record=record, meta=fields))
        entries[path.name] = {"stat": key, "fields": fields}
    if cache and entries != cached:
        _save_cache(ws, entries)
    return records, skipped


def _read(ws: Workspace, path: Path) -> dict[str, Any]:
    """The page's keys of one record file, as JSON-safe data."""
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise IncidentMCPError(f"file is larger than {MAX_RECORD_BYTES:,} bytes")
    text = read_utf8(path, IncidentMCPError)
    fields = read_fields(text, KEYS)
    if fields is None:
        meta = read_incident_file(ws, path).artifact.meta
        fields = {key: meta[key] for key in KEYS if key in meta}
    return json_safe(fields)


MAX_CACHE_BYTES = 64_000_000


def _cache_path(ws: Workspace) -> Path:
    return ws.state_dir() / CACHE_NAME


def _load_cache(ws: Workspace) -> dict[str, dict[str, Any]]:
    try:  # never through a link, and bounded: the cache is machine-local state anyone could have planted
        data = json.loads(ws.read_state_file(_cache_path(ws), MAX_CACHE_BYTES))
    except (OSError, ValueError, RecursionError, IncidentMCPError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("records"), dict):
        return {}
    return {name: entry for name, entry in data["records"].items()
            if isinstance(entry, dict) and isinstance(entry.get("fields"), dict)}


def _save_cache(ws: Workspace, entries: dict[str, dict[str, Any]]) -> None:
    """Best effort: a cache that cannot be written (read-only checkout, odd data) is simply not kept."""
    with contextlib.suppress(OSError, ValueError, TypeError, IncidentMCPError):
        text = json.dumps({"version": CACHE_VERSION, "records": entries}, separators=(",", ":"))
        atomic_write(_cache_path(ws), text)
