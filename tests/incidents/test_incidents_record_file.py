"""The incident record on disk: human edits survive, block and frontmatter damage, small diffs, hand-written values."""

from __future__ import annotations

import difflib

import pytest

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.blocks import find_blocks
from incident_mcp.errors import IncidentError
from incident_mcp.workspace import Workspace
from tests.incidents.incident_helpers import open_p0
from tests.support.incident_flow import at, stamp


def test_text_outside_managed_blocks_survives_every_update_byte_for_byte(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_bytes().decode("utf-8")
    human = {
        "top": "Written by me at 02:07 — the pager woke me.\r\n  trailing spaces   \n",
        "between": "\n> Quote between the timeline and the chart | with a pipe\n",
        "end": "\n## My own section\n\n- [ ] call the bank\n\u2028odd separator\n",
    }
    text = text.replace("\n<!-- incident-mcp:begin header", "\n" + human["top"] + "<!-- incident-mcp:begin header", 1)
    text = text.replace("<!-- incident-mcp:end timeline -->\n",
                        "<!-- incident-mcp:end timeline -->\n" + human["between"], 1)
    text += human["end"]
    path.write_text(text, encoding="utf-8", newline="")
    incidents.update_incident(ws, opened.id, event="acknowledged", now=at(3))
    incidents.update_incident(ws, opened.id, severity="P1", reason="smaller", now=at(4))
    incidents.record_postmortem(ws, opened.id, whys=["a"])
    after = path.read_bytes().decode("utf-8")
    for piece in human.values():
        assert piece in after
    outside_before = _outside_blocks(parse_artifact(text).body)
    outside_after = _outside_blocks(parse_artifact(after).body)
    assert outside_after == outside_before


def _outside_blocks(body: str) -> list[str]:
    pieces, last = [], 0
    for block in find_blocks(body):
        pieces.append(body[last:block.start])
        last = block.end
    pieces.append(body[last:])
    return pieces


def test_a_hand_edited_block_is_kept_with_a_warning_unless_forced(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8").replace("| Time (UTC) | Event |", "| Time (UTC) | What happened |")
    path.write_text(text, encoding="utf-8")
    u = incidents.update_incident(ws, opened.id, event="acknowledged", now=at(3))
    assert any("'timeline' was edited by hand" in w for w in u.warnings)
    assert "What happened" in path.read_text(encoding="utf-8")
    assert incidents.read_incident(ws, opened.id).record.acknowledged_at == stamp(3)
    incidents.update_incident(ws, opened.id, event="note", text="n", force=True, now=at(4))
    assert "What happened" not in path.read_text(encoding="utf-8")


def test_broken_block_markers_stop_the_update_and_nothing_is_written(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8").replace("<!-- incident-mcp:end timeline -->\n", "", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IncidentError, match="nothing was written"):
        incidents.update_incident(ws, opened.id, event="acknowledged", now=at(3))
    assert path.read_text(encoding="utf-8") == text


def test_a_hand_broken_frontmatter_is_reported_with_the_field(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    path.write_text(path.read_text(encoding="utf-8").replace("severity: P0", "severity: P7", 1), encoding="utf-8")
    with pytest.raises(IncidentError, match="severity"):
        incidents.get_incident(ws, opened.id)


# ---- small diffs ------------------------------------------------------------------------------------------


def test_an_update_touches_only_the_lines_of_what_changed_and_keeps_human_formatting(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8")
    text = text.replace("tags: [incident]\n", "tags: [incident, db]   # the database again\n# reviewed by me\n", 1)
    path.write_text(text, encoding="utf-8")
    incidents.update_incident(ws, opened.id, event="acknowledged", text="on it", now=at(3))
    after = path.read_text(encoding="utf-8")
    front_before = text.split("\n---\n", 1)[0].splitlines()
    front_after = after.split("\n---\n", 1)[0].splitlines()
    changed = [line for line in difflib.unified_diff(front_before, front_after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        "-acknowledged_at: null",
        "+acknowledged_at: '2026-03-03T02:03:00Z'",
        "+- at: '2026-03-03T02:03:00Z'",
        "+  kind: acknowledged",
        "+  text: on it",
    ]
    assert "tags: [incident, db]   # the database again\n# reviewed by me\n" in after


def test_unusual_frontmatter_falls_back_to_a_full_dump_without_losing_data(ws: Workspace) -> None:
    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8").replace("acknowledged_at: null\n",
                                                    "acknowledged_at: null\n'quoted key': kept\n", 1)
    path.write_text(text, encoding="utf-8")
    incidents.update_incident(ws, opened.id, event="acknowledged", now=at(3))
    meta = parse_artifact(path.read_text(encoding="utf-8")).meta
    assert meta["quoted key"] == "kept" and meta["acknowledged_at"] == stamp(3)


def test_hand_written_single_values_where_lists_belong_are_read_as_lists(ws: Workspace) -> None:
    opened = open_p0(ws, depends_on=["RFC-EXAMPLE-001"])
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8").replace("depends_on: [RFC-EXAMPLE-001]", "depends_on: RFC-EXAMPLE-001")
    text = text.replace("services:\n- api\n", "services: api\n")
    path.write_text(text, encoding="utf-8")
    record = incidents.read_incident(ws, opened.id).record
    assert (record.depends_on, record.services) == (["RFC-EXAMPLE-001"], ["api"])


def test_depends_on_finds_ids_written_with_quotes_or_crlf_as_company_os_does(ws: Workspace) -> None:
    rfc = ws.root / "artifacts" / "rfcs" / "RFC-QUOTED.md"
    rfc.write_bytes(b'---\r\nid: "RFC-QUOTED"\r\ntype: rfc\r\ntitle: t\r\nstatus: draft\r\n---\r\nbody\r\n')
    assert open_p0(ws, depends_on=["RFC-QUOTED"]).id == "INC-001"


def test_list_reads_summary_fields_exactly_as_a_full_parse_would(ws: Workspace) -> None:
    from incident_mcp.frontmatter.partial import read_fields

    opened = open_p0(ws)
    path = ws.root / opened.path
    text = path.read_text(encoding="utf-8").replace("status: draft\n", "status: draft\nstatus: review\n", 1)
    text = text.replace("title: Checkout returns 500\n", 'title: "Checkout\nincident_state: resolved"\n', 1)
    path.write_text(text, encoding="utf-8")
    full = parse_artifact(text).meta
    quick = read_fields(text, ["status", "title", "incident_state"])
    assert quick == {"status": full["status"], "title": full["title"], "incident_state": full["incident_state"]}
    assert quick["status"] == "review" and quick["incident_state"] == "investigating"
    assert read_fields("no frontmatter", ["id"]) is None
    assert read_fields("---\n- a list\n---\n", ["id"]) is None
    summary = incidents.list_incidents(ws).incidents[0]
    assert (summary.status, summary.state, summary.title) == ("review", "investigating",
                                                              "Checkout incident_state: resolved")


def test_a_closed_record_must_be_resolved_and_a_duplicate_must_name_the_original(ws: Workspace) -> None:
    first = open_p0(ws).id
    dup = open_p0(ws, duplicate_of=first, force=False).id
    record = next((ws.root / "artifacts" / "decision-memos").glob(f"{dup}-*.md"))
    text = record.read_text(encoding="utf-8")
    assert f"closed_as: duplicate\nduplicate_of: {first}\n" in text
    assert incidents.incident_record_problems(incidents.read_incident(ws, dup).artifact) == []
    record.write_text(text.replace(f"duplicate_of: {first}\n", ""), encoding="utf-8")
    problems = incidents.incident_record_problems(incidents.read_incident(ws, dup).artifact)
    assert problems == ["closed_as is 'duplicate' but duplicate_of does not name the incident it repeats (INC-NNN)"]
    assert incidents.postmortem_missing(incidents.read_incident(ws, dup).record) == []
