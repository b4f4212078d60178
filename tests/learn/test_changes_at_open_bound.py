"""Noting recent changes at opening writes into the incident record, so it obeys the record's size bound:
a block that would grow the record past it is refused with the store's error and the record is kept as it
was; the opening itself stands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from incident_mcp import changes, incidents
from incident_mcp.incidents.record import MAX_RECORD_WRITE_BYTES
from incident_mcp.workspace import Workspace

DETECTED = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
NOW = DETECTED + dt.timedelta(minutes=1)
LINE = "padding pasted into the record by hand " * 2 + "\n"


def _opened_with_room(example_ws: Path, room: int) -> tuple[Workspace, incidents.OpenedIncident, Path]:
    """A freshly opened incident whose record was padded by hand to ``room`` bytes below the write bound."""
    ws = Workspace.at(example_ws)
    opened = incidents.open_incident(ws, title="API returns 500s", severity="P1", services=["api"],
                                     detected_at=DETECTED, now=NOW)
    record = ws.path(opened.path)
    text = record.read_text(encoding="utf-8").rstrip("\n") + "\n\n## Pasted log\n\n"
    missing = MAX_RECORD_WRITE_BYTES - room - len(text.encode("utf-8"))
    text += LINE * (missing // len(LINE)) + "x" * (missing % len(LINE))
    record.write_text(text, encoding="utf-8")
    assert record.stat().st_size == MAX_RECORD_WRITE_BYTES - room
    return ws, opened, record


def test_a_block_that_would_grow_the_record_past_its_bound_is_refused_and_the_record_is_kept(
        example_ws: Path) -> None:
    ws, opened, record = _opened_with_room(example_ws, room=10)
    before = record.read_bytes()
    noted = changes.note_recent_changes(ws, opened, now=NOW)
    assert noted.id == opened.id and noted.recent_changes == []
    refusal = [w for w in noted.warnings if w.startswith("recent changes not noted: ")]
    assert len(refusal) == 1 and "would grow the record to" in refusal[0] and "Nothing was written" in refusal[0]
    assert record.read_bytes() == before
    assert incidents.read_incident(ws, opened.id).record.id == opened.id


def test_a_block_that_fits_under_the_bound_is_still_written(example_ws: Path) -> None:
    ws, opened, record = _opened_with_room(example_ws, room=10_000)
    noted = changes.note_recent_changes(ws, opened, now=NOW)
    assert not any(w.startswith("recent changes not noted") for w in noted.warnings)
    assert "## Recent Changes (before detection)" in record.read_text(encoding="utf-8")
    assert record.stat().st_size <= MAX_RECORD_WRITE_BYTES
