"""Incident lifecycle on real files: open, update, next actions, get/list, comms, Company OS compatibility."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
from dataclasses import dataclass

import pytest

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.blocks import find_blocks
from incident_mcp.config import CompanyConfig
from incident_mcp.errors import ArtifactNotFoundError, IncidentError
from incident_mcp.incidents.record import slugify
from incident_mcp.workspace import Workspace
from tests.support.company_os import company_os_problems
from tests.support.incident_flow import at, stamp


def open_p0(ws: Workspace, **kwargs: object) -> incidents.OpenedIncident:
    args: dict[str, object] = {"title": "Checkout returns 500", "severity": "P0", "summary": "Nobody can pay",
                               "services": ["api"], "detected_at": stamp(0), "now": at(1), "force": True}
    args.update(kwargs)
    return incidents.open_incident(ws, **args)  # type: ignore[arg-type]


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


# ---- next actions ---------------------------------------------------------------------------------------


def _actions(view: incidents.IncidentView) -> dict[str, incidents.NextAction]:
    return {a.key: a for a in view.next_actions}


def test_a_fresh_p0_says_no_status_check_yet_and_what_is_due(ws: Workspace) -> None:
    inc = open_p0(ws).id
    actions = _actions(incidents.get_incident(ws, inc, now=at(2)))
    assert actions["status_check"].status == "due"
    assert "No status check recorded yet" in actions["status_check"].detail
    assert (actions["acknowledge"].status, actions["acknowledge"].due_at) == ("due", stamp(5))
    assert (actions["first_communication"].due_at, actions["resolve"].due_at) == (stamp(15), stamp(60))


def test_missed_deadlines_are_overdue_relative_to_now(ws: Workspace) -> None:
    inc = open_p0(ws).id
    view = incidents.get_incident(ws, inc, now=at(20))
    assert set(view.overdue) == {"acknowledge", "status_check", "first_communication"}
    assert "overdue by 15 minutes" in _actions(view)["acknowledge"].detail


def test_the_next_update_is_due_one_cadence_after_the_last_communication(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="acknowledged", now=at(2))
    incidents.update_incident(ws, inc, event="status_check", overall="down", text="api down", now=at(3))
    incidents.update_incident(ws, inc, event="communication", channel="status_page", text="posted", now=at(10))
    incidents.update_incident(ws, inc, event="communication", channel="status_page", text="posted", now=at(35))
    actions = _actions(incidents.get_incident(ws, inc, now=at(50)))
    assert actions["next_update"].due_at == stamp(65) and actions["next_update"].status == "due"
    assert actions["first_communication"].done_at == stamp(10)
    assert actions["status_check"].status == "done"
    assert _actions(incidents.get_incident(ws, inc, now=at(66)))["next_update"].status == "overdue"


def test_after_resolution_the_target_is_met_or_missed_and_the_post_mortem_is_next(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="communication", text="posted", now=at(10))
    incidents.update_incident(ws, inc, event="resolved", now=at(75))
    view = incidents.get_incident(ws, inc, now=at(80))
    actions = _actions(view)
    assert "missed by 15 minutes" in actions["resolve"].detail
    assert actions["resolution_communication"].status == "due"
    assert actions["postmortem"].status == "due"
    assert "next_update" not in actions
    assert view.postmortem_missing


def test_a_p2_is_acknowledged_in_business_hours_in_the_configured_timezone(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"incident_response": {"timezone": "America/New_York"}}))
    saturday = "2026-03-07T12:00:00Z"
    opened = incidents.open_incident(ws, title="Export slow", severity="P2", detected_at=saturday,
                                     now=dt.datetime(2026, 3, 7, 12, 5, tzinfo=dt.UTC), settings=settings)
    # Saturday does not count; Monday 09:00 in New York (EDT since 8 March) is 13:00 UTC, plus 4 hours.
    ack = next(a for a in opened.next_actions if a.key == "acknowledge")
    assert ack.due_at == "2026-03-09T17:00:00Z"
    keys = {a.key for a in opened.next_actions}
    assert "communicate_workaround" in keys and "first_communication" not in keys


# ---- get / list ---------------------------------------------------------------------------------------------


def test_get_defaults_to_the_latest_open_incident(ws: Workspace) -> None:
    first = open_p0(ws, detected_at=stamp(0)).id
    second = open_p0(ws, detected_at=stamp(5), now=at(6)).id
    incidents.update_incident(ws, second, event="resolved", now=at(7))
    assert incidents.get_incident(ws, now=at(8)).id == first
    incidents.update_incident(ws, first, event="resolved", now=at(9))
    with pytest.raises(IncidentError, match="no open incident"):
        incidents.get_incident(ws, now=at(10))


def test_list_filters_by_state_severity_and_time_and_pages(ws: Workspace) -> None:
    ids = [open_p0(ws, severity=sev, detected_at=stamp(n), now=at(30)).id
           for n, sev in enumerate(["P0", "P1", "P2", "P1", "P3"])]
    incidents.update_incident(ws, ids[1], event="resolved", now=at(31))
    page = incidents.list_incidents(ws, limit=2)
    assert [i.id for i in page.incidents] == [ids[4], ids[3]] and page.total == 5 and page.next_offset == 2
    last = incidents.list_incidents(ws, limit=2, offset=4)
    assert [i.id for i in last.incidents] == [ids[0]] and last.next_offset is None
    assert [i.id for i in incidents.list_incidents(ws, severities=["p1"]).incidents] == [ids[3], ids[1]]
    assert [i.id for i in incidents.list_incidents(ws, states=["resolved"]).incidents] == [ids[1]]
    assert len(incidents.list_incidents(ws, states=["open"]).incidents) == 4
    window = incidents.list_incidents(ws, since=stamp(1), until=stamp(3))
    assert [i.id for i in window.incidents] == [ids[2], ids[1]]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset"),
    ({"states": ["closed"]}, "state filter"), ({"severities": ["P9"]}, "severity filter"),
    ({"since": "soon"}, "since/until"),
])
def test_list_refuses_bad_filters(ws: Workspace, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(IncidentError, match=message):
        incidents.list_incidents(ws, **kwargs)  # type: ignore[arg-type]


def test_list_skips_an_unreadable_record_and_says_why(ws: Workspace) -> None:
    open_p0(ws)
    bad = ws.root / "artifacts" / "decision-memos" / "INC-002-broken.md"
    bad.write_text("no frontmatter here\n", encoding="utf-8")
    page = incidents.list_incidents(ws)
    assert [i.id for i in page.incidents] == ["INC-001"]
    assert len(page.skipped) == 1 and "INC-002-broken.md" in page.skipped[0]


def test_temp_files_are_never_listed(ws: Workspace) -> None:
    open_p0(ws)
    folder = ws.root / "artifacts" / "decision-memos"
    (folder / ".INC-002-x.md.123.abcdef12.incident-mcp-tmp").write_text("partial", encoding="utf-8")
    assert incidents.list_incidents(ws).total == 1


# ---- communications --------------------------------------------------------------------------------------


def _settings(**support: object) -> incidents.IncidentSettings:
    return incidents.IncidentSettings.from_config(CompanyConfig.model_validate({
        "company": {"product": "Acme"},
        "support": support,
        "incident_response": {"status_page": {"url": "https://status.acme.test"}},
    }))


def test_a_status_page_update_is_filled_from_public_fields_only(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Payments fail for all customers.").id
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(10), settings=_settings())
    assert draft.text.splitlines() == [
        "Title: Acme - Investigating",
        "Impact: Payments fail for all customers.",
        "Current Status: We are aware of the issue and are investigating the cause.",
        "Next Update: We will provide an update by 02:40 UTC.",
        "Status page: https://status.acme.test",
    ]
    assert draft.placeholders == []


def test_unknown_values_stay_visible_placeholders(ws: Workspace) -> None:
    inc = incidents.open_incident(ws, title="Slow", severity="P1", detected_at=stamp(0), now=at(1),
                                  settings=incidents.IncidentSettings()).id
    draft = incidents.draft_communication(ws, "email", inc, now=at(5), settings=incidents.IncidentSettings())
    for placeholder in ("[Product Name]", "[What customers are experiencing]", "[support channel]"):
        assert placeholder in draft.text and placeholder in draft.placeholders


def test_the_resolved_email_speaks_in_the_past_with_duration_and_the_support_contact(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Customers cannot pay.").id
    incidents.update_incident(ws, inc, event="mitigation", mitigation="rollback", text="Rolled back the deploy",
                              now=at(20))
    incidents.update_incident(ws, inc, event="resolved", now=at(45))
    settings = _settings(escalation_email="help@acme.test", channels=["chat"])
    draft = incidents.draft_communication(ws, "email", inc, now=at(50), settings=settings,
                                          public_message="Payments failed for about 45 minutes.")
    assert draft.subject == "Resolved: Acme service disruption - 2026-03-03"
    assert "Duration: 2026-03-03 02:00 UTC to 02:45 UTC" in draft.text
    assert "Current Status: Resolved" in draft.text
    assert "What you may have noticed: Payments failed for about 45 minutes." in draft.text
    assert "Rolled back" not in draft.text and "cannot pay" not in draft.text
    assert "contact help@acme.test." in draft.text
    assert _settings(channels=["chat", "email"]).support_contact == "chat, email"


def test_a_resolved_draft_does_not_reuse_the_present_tense_summary(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="All customers are locked out.").id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(31), settings=_settings())
    assert "locked out" not in draft.text and "[What customers experienced]" in draft.placeholders
    assert any("past tense" in w for w in draft.warnings)


def test_times_are_in_the_company_timezone_with_utc_beside(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"company": {"product": "Acme"}, "incident_response": {"timezone": "Europe/Berlin"}}))
    inc = open_p0(ws, public_summary="Slow pages.").id
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(10), settings=settings)
    assert "We will provide an update by 03:40 CET (02:40 UTC)." in draft.text


def test_the_post_mortem_invite_is_for_one_person_with_a_date_to_fill(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(95))
    draft = incidents.draft_communication(ws, "postmortem_invite", inc, now=at(100))
    assert draft.subject == "Post-mortem review: INC-001 - [date and time]"
    assert draft.placeholders == ["[date and time]"]
    assert "P0 (Critical), 1 hour 35 minutes" in draft.text
    assert "2. Root cause analysis (5 Whys)" in draft.text
    assert "team" not in draft.text.lower() and "attendees" not in draft.text.lower()


def test_a_resolved_status_page_update_is_the_final_one(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(31), settings=_settings())
    assert draft.subject == "Acme - Resolved" and "final update" in draft.text


def test_hostile_public_text_cannot_add_lines_or_controls_to_a_message(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Down\r\nBcc: victim@example.com\u202e\x1b[2J").id
    draft = incidents.draft_communication(ws, "email", inc, now=at(5))
    assert "\nBcc:" not in draft.text and "\x1b" not in draft.text and "\u202e" not in draft.text
    assert "\n" not in draft.subject


def test_draft_refuses_an_unknown_kind_or_phase(ws: Workspace) -> None:
    inc = open_p0(ws).id
    with pytest.raises(IncidentError, match="kind"):
        incidents.draft_communication(ws, "tweet", inc)
    with pytest.raises(IncidentError, match="phase"):
        incidents.draft_communication(ws, "status_page", inc, phase="panicking")


def test_the_author_defaults_to_the_ops_persona_of_the_config(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate({"personas": {"ops_risk": "Ops"}}))
    opened = incidents.open_incident(ws, title="x", severity="P3", now=at(1), settings=settings)
    assert incidents.read_incident(ws, opened.id).record.author == "Ops"
    other = incidents.open_incident(ws, title="y", severity="P3", now=at(1), settings=incidents.IncidentSettings())
    assert incidents.read_incident(ws, other.id).record.author == "ops-risk-agent"


def test_settings_fall_back_to_utc_for_an_unknown_timezone() -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"incident_response": {"timezone": "Mars/Olympus"}}))
    assert settings.timezone_name == "UTC" and "unknown timezone" in settings.warnings[0]


def test_a_workspace_without_a_config_uses_defaults(ws: Workspace) -> None:
    assert incidents.load_settings(ws) == incidents.IncidentSettings()


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


def test_steps_never_done_before_resolution_are_reported_as_missed(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    actions = _actions(incidents.get_incident(ws, inc, now=at(31)))
    assert actions["acknowledge"].status == "missed"
    assert actions["first_communication"].status == "missed"
    assert "status_check" not in actions
    assert actions["resolution_communication"].status == "due"


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
