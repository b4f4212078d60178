"""Incident lifecycle on real files: open (a Company OS decision memo), update events and state, status checks."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

import pytest

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.blocks import find_blocks
from incident_mcp.errors import ArtifactNotFoundError, IncidentError
from incident_mcp.incidents.record import slugify
from incident_mcp.workspace import Workspace
from tests.incidents.incident_helpers import open_p0
from tests.support.company_os import company_os_problems
from tests.support.incident_flow import at, stamp

# ---- open --------------------------------------------------------------------------------------------


def test_open_writes_a_company_os_decision_memo_with_our_structured_fields(ws: Workspace) -> None:
    opened = open_p0(ws, depends_on=["RFC-EXAMPLE-001"])
    assert opened.id == "INC-001"
    assert opened.path == "artifacts/decision-memos/INC-001-checkout-returns-500.md"
    path = ws.root / opened.path
    artifact = parse_artifact(path.read_text(encoding="utf-8"), opened.path)
    meta = artifact.meta
    assert list(meta)[:11] == ["id", "type", "title", "status", "created", "author", "parent", "children",
                               "depends_on", "blocks", "tags"]
    assert meta["type"] == "decision-memo" and meta["status"] == "draft"
    assert meta["depends_on"] == ["RFC-EXAMPLE-001"] and meta["parent"] is None
    assert meta["severity"] == "P0" and meta["incident_state"] == "investigating"
    assert meta["detected_at"] == "2026-03-03T02:00:00Z"
    assert meta["timeline"] == [{"at": "2026-03-03T02:00:00Z", "kind": "detected", "text": "", "severity": "P0"}]
    assert "depends_on: [RFC-EXAMPLE-001]" in path.read_text(encoding="utf-8")
    assert company_os_problems(ws.root, path) == []
    assert incidents.incident_record_problems(artifact) == []
    names = [b.name for b in find_blocks(artifact.body)]
    assert names == ["header", "timeline", "timeline-chart", "postmortem-whys", "postmortem-factors",
                     "postmortem-impact", "postmortem-remediation", "postmortem-follow-ups", "postmortem-lessons"]


def test_open_returns_the_triage_checklist_with_due_times(ws: Workspace) -> None:
    opened = open_p0(ws)
    dues = {item.step.split(" ")[0]: item.due_at for item in opened.triage if item.due_at}
    assert dues == {"Acknowledge": "2026-03-03T02:05:00Z", "Communicate": "2026-03-03T02:15:00Z"}
    assert opened.resolution_due_at == "2026-03-03T03:00:00Z"
    assert len(opened.triage) == 8


def test_detected_time_defaults_to_now(ws: Workspace) -> None:
    opened = incidents.open_incident(ws, title="x", severity="P3", now=at(7))
    assert opened.detected_at == stamp(7)


def test_ids_continue_after_the_highest_existing_incident(ws: Workspace) -> None:
    folder = ws.root / "artifacts" / "decision-memos"
    shutil.copy(folder / "DM-001-config-location.md", folder / "INC-041-old.md")
    assert open_p0(ws).id == "INC-042"
    assert open_p0(ws).id == "INC-043"


def test_an_id_used_by_another_artifact_is_not_reused(ws: Workspace) -> None:
    rfc = ws.root / "artifacts" / "rfcs" / "odd.md"
    rfc.write_text("---\nid: INC-007\ntype: rfc\ntitle: t\nstatus: draft\ncreated: 2026-01-01\nauthor: a\n---\nx\n",
                   encoding="utf-8")
    assert open_p0(ws).id == "INC-008"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"severity": "P5"}, "not one of P0, P1, P2, P3"),
    ({"title": "   "}, "title"),
    ({"depends_on": ["RFC-NOPE"]}, "no artifact with id 'RFC-NOPE'"),
    ({"depends_on": ["../etc/passwd"]}, "not an artifact id"),
    ({"detected_at": "2026-03-04T00:00:00Z"}, "in the future"),
    ({"detected_at": "yesterday"}, "ISO 8601"),
    ({"services": [""]}, "services"),
    ({"tags": ["a b"]}, "tags"),
])
def test_open_refuses_bad_input_and_writes_nothing(ws: Workspace, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(IncidentError, match=re.escape(message)):
        open_p0(ws, **kwargs)
    assert not list((ws.root / "artifacts" / "decision-memos").glob("INC-*"))


@pytest.mark.parametrize(("title", "slug"), [
    ("Checkout returns 500!", "checkout-returns-500"),
    ("../../etc/passwd", "etc-passwd"),
    ("Überweisung fehlgeschlagen", "uberweisung-fehlgeschlagen"),
    ("---\n<!-- x -->", "x"),
    ("日本語だけ", "incident"),
    ("", "incident"),
    ("a" * 200, "a" * 48),
    ("word " * 40, "-".join(["word"] * 9)),
])
def test_slugs_are_plain_bounded_and_never_empty(title: str, slug: str) -> None:
    assert slugify(title) == slug


# ---- update ------------------------------------------------------------------------------------------


def test_events_drive_the_state_and_key_times(ws: Workspace) -> None:
    inc = open_p0(ws).id
    u = incidents.update_incident(ws, inc, event="acknowledged", now=at(3))
    assert (u.state, u.acknowledged_at) == ("investigating", stamp(3))
    u = incidents.update_incident(ws, inc, event="root_cause", text="migration locked a table", now=at(10))
    assert u.state == "identified"
    u = incidents.update_incident(ws, inc, event="mitigation", mitigation="rollback", text="rolled back", now=at(12))
    assert u.mitigated_at == stamp(12) and u.state == "identified"
    u = incidents.update_incident(ws, inc, event="monitoring", now=at(14))
    assert u.state == "monitoring"
    u = incidents.update_incident(ws, inc, state="resolved", text="all green", now=at(30))
    assert (u.state, u.resolved_at) == ("resolved", stamp(30))
    record = incidents.read_incident(ws, inc).record
    assert [e.kind for e in record.timeline] == ["detected", "acknowledged", "root_cause", "mitigation",
                                                "monitoring", "resolved"]
    assert record.timeline[-1].text == "all green"


def test_state_can_step_back_when_a_fix_did_not_work(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, state="monitoring", now=at(5))
    u = incidents.update_incident(ws, inc, state="investigating", text="errors are back", now=at(8))
    assert u.state == "investigating"
    with pytest.raises(IncidentError, match="already investigating"):
        incidents.update_incident(ws, inc, state="investigating", now=at(9))


def test_a_back_filled_event_lands_in_time_order_and_later_events_still_win(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="monitoring", now=at(20))
    u = incidents.update_incident(ws, inc, event="root_cause", text="found earlier", at=stamp(10), now=at(25))
    assert u.state == "monitoring"
    u = incidents.update_incident(ws, inc, event="acknowledged", at=stamp(2), now=at(26))
    assert u.acknowledged_at == stamp(2)
    kinds = [e.kind for e in incidents.read_incident(ws, inc).record.timeline]
    assert kinds == ["detected", "acknowledged", "root_cause", "monitoring"]


def test_an_event_before_detection_is_a_clear_error_and_changes_nothing(ws: Workspace) -> None:
    opened = open_p0(ws)
    before = (ws.root / opened.path).read_bytes()
    with pytest.raises(IncidentError, match="before the incident was detected"):
        incidents.update_incident(ws, opened.id, event="acknowledged", at=stamp(-1), now=at(5))
    assert (ws.root / opened.path).read_bytes() == before


def test_resolving_a_resolved_incident_is_a_clear_error(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    with pytest.raises(IncidentError, match="already resolved"):
        incidents.update_incident(ws, inc, event="resolved", now=at(31))
    with pytest.raises(IncidentError, match="already resolved"):
        incidents.update_incident(ws, inc, state="resolved", at=stamp(10), now=at(31))


def test_after_resolution_notes_and_back_filled_events_are_fine_but_new_mitigations_are_not(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    incidents.update_incident(ws, inc, event="note", text="customers thanked us", now=at(40))
    incidents.update_incident(ws, inc, event="communication", channel="email", text="sent", now=at(41))
    incidents.update_incident(ws, inc, event="acknowledged", at=stamp(4), now=at(42))
    incidents.update_incident(ws, inc, event="root_cause", text="found in the post-mortem", now=at(43))
    with pytest.raises(IncidentError, match="resolved at 2026-03-03T02:30:00Z"):
        incidents.update_incident(ws, inc, event="mitigation", now=at(44))
    assert incidents.read_incident(ws, inc).record.incident_state == "resolved"


def test_resolving_before_an_existing_mitigation_is_refused(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="mitigation", now=at(20))
    with pytest.raises(IncidentError, match="cannot follow"):
        incidents.update_incident(ws, inc, event="resolved", at=stamp(10), now=at(21))


def test_a_severity_change_needs_a_reason_and_is_kept_in_the_timeline(ws: Workspace) -> None:
    inc = open_p0(ws).id
    with pytest.raises(IncidentError, match="needs a reason"):
        incidents.update_incident(ws, inc, severity="P1", now=at(5))
    with pytest.raises(IncidentError, match="already P0"):
        incidents.update_incident(ws, inc, severity="P0", reason="same", now=at(5))
    u = incidents.update_incident(ws, inc, severity="p1", reason="only EU customers", now=at(5))
    assert u.severity == "P1"
    event = incidents.read_incident(ws, inc).record.timeline[-1]
    assert (event.kind, event.severity_from, event.severity_to, event.text) == (
        "severity_change", "P0", "P1", "only EU customers")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "nothing to update"),
    ({"event": "detected"}, "is not one of"),
    ({"event": "state_change"}, "use state="),
    ({"event": "note"}, "a note needs text"),
    ({"event": "note", "text": "x", "mitigation": "rollback"}, "goes with event 'mitigation'"),
    ({"event": "note", "text": "x", "channel": "email"}, "goes with event 'communication'"),
    ({"event": "note", "text": "x", "overall": "down"}, "goes with event 'status_check'"),
    ({"event": "note", "text": "x", "at": "2026-03-05T00:00:00Z"}, "in the future"),
    ({"severity": "P9", "reason": "x"}, "not one of P0"),
    ({"state": "closed"}, "state"),
])
def test_update_refuses_bad_input(ws: Workspace, kwargs: dict[str, object], message: str) -> None:
    inc = open_p0(ws).id
    with pytest.raises(IncidentError, match=re.escape(message)):
        incidents.update_incident(ws, inc, now=at(5), **kwargs)  # type: ignore[arg-type]


def test_updating_an_unknown_or_malformed_id_is_a_clear_error(ws: Workspace) -> None:
    with pytest.raises(ArtifactNotFoundError, match="no incident INC-404"):
        incidents.update_incident(ws, "INC-404", event="acknowledged")
    with pytest.raises(IncidentError, match="INC-NNN"):
        incidents.update_incident(ws, "../INC-1", event="acknowledged")


def test_record_status_check_appends_a_status_check_event(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.record_status_check(ws, inc, "api DOWN (connection refused)", overall="down", now=at(6))
    event = incidents.read_incident(ws, inc).record.timeline[-1]
    assert (event.kind, event.overall, event.text, event.at) == (
        "status_check", "down", "api DOWN (connection refused)", stamp(6))


def test_a_whole_status_report_can_be_recorded_with_its_own_time(ws: Workspace) -> None:
    @dataclass
    class Report:  # the shape of check_status's StatusReport
        summary: str
        overall: str
        checked_at: str

    inc = open_p0(ws).id
    incidents.record_status_check(ws, inc, Report("api down, web up", "partial_outage", stamp(4)), now=at(6))
    event = incidents.read_incident(ws, inc).record.timeline[-1]
    assert (event.kind, event.overall, event.text, event.at) == ("status_check", "partial_outage",
                                                                 "api down, web up", stamp(4))
    with pytest.raises(IncidentError, match="overall"):
        incidents.record_status_check(ws, inc, "no verdict", now=at(7))
