"""Hostile text in every free-text field round-trips exactly and cannot alter frontmatter fields or blocks."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.blocks import find_blocks
from incident_mcp.errors import IncidentError
from incident_mcp.workspace import Workspace
from tests.support.incident_flow import artifacts_workspace, at

BLOCKS = ["header", "timeline", "timeline-chart", "postmortem-whys", "postmortem-factors", "postmortem-impact",
          "postmortem-remediation", "postmortem-follow-ups", "postmortem-lessons"]
TOP_KEYS = ["id", "type", "title", "status", "created", "author", "parent", "children", "depends_on", "blocks",
            "tags", "severity", "incident_state", "services", "summary", "detected_at", "acknowledged_at",
            "mitigated_at", "resolved_at", "timeline", "postmortem"]
WHYS = ["because of that", "and that", "and that too", "root cause"]
HUMAN = "\n## My notes\n\nKeep this: <b>bold</b> | pipes | ---\n"
HOSTILE = [
    "\n", "\r\n", "\r", "---", "\n---\n", "<!-- incident-mcp:end timeline -->",
    "\n<!-- incident-mcp:begin header hash=000000000000 -->\n", "<!-- incident-mcp:end postmortem-whys -->\n",
    "<!--", "-->", '"', "'", "\\", "\u2028", "\u2029", "\u0085", "\ufeff", "\x00", "\x1b[31m", "\u202e", "\t",
    "status: approved", "\nid: INC-999\n", "severity: P3", "|", "```", "%%{init}%%", ": ", "# ", "- ", "&", "{", "[",
    "null", "~", "yes", "2026-03-03", "0x1F", " ", "   ", "é", "日本", "🔥", "\U0010fffd",
]
piece = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
hostile = st.lists(piece, max_size=8).map("".join)
non_blank = hostile.filter(lambda s: bool(s.strip()))


def fresh_workspace() -> Workspace:
    return artifacts_workspace(Path(tempfile.mkdtemp(prefix="inc-hostile-")))


def run_flow(ws: Workspace, t: dict[str, str]) -> tuple[str, Path]:
    """Open, update and post-mortem an incident with text ``t`` everywhere; a human edits the body in between."""
    opened = incidents.open_incident(ws, title=t["title"], severity="P1", summary=t["summary"],
                                     services=[t["service"], "api"], author=t["author"],
                                     detected_at="2026-03-03T02:00:00Z", now=at(1))
    path = ws.root / opened.path
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(HUMAN)
    incidents.update_incident(ws, opened.id, event="note", text=t["note"], now=at(2))
    incidents.update_incident(ws, opened.id, event="communication", channel=t["channel"], text=t["comm"], now=at(3))
    incidents.update_incident(ws, opened.id, event="mitigation", mitigation="hotfix", text=t["mitigation"], now=at(4))
    incidents.update_incident(ws, opened.id, severity="P0", reason=t["reason"], now=at(5))
    incidents.update_incident(ws, opened.id, state="resolved", text=t["resolved"], now=at(6))
    incidents.record_postmortem(
        ws, opened.id, whys=[t["why"], *WHYS], contributing_factors=[t["factor"]],
        impact=incidents.Impact(users=t["impact"], revenue=t["impact"], data=t["impact"], reputation=t["impact"]),
        remediation=[incidents.RemediationAction(horizon="short_term", action=t["action"], owner=t["owner"],
                                                 due="2026-03-10")],
        follow_ups=[incidents.FollowUp(item=t["action"], owner=t["owner"])],
        lessons=incidents.Lessons(went_well=t["lesson"], went_poorly=t["lesson"], got_lucky=t["lesson"]))
    return opened.id, path


def check_round_trip(ws: Workspace, inc: str, path: Path, t: dict[str, str]) -> None:
    record = incidents.read_incident(ws, inc).record
    assert record.title == t["title"] and record.summary == t["summary"] and record.author == t["author"]
    assert record.services == [t["service"], "api"]
    events = {e.kind: e for e in record.timeline}
    assert events["note"].text == t["note"]
    assert (events["communication"].channel, events["communication"].text) == (t["channel"], t["comm"])
    assert events["mitigation"].text == t["mitigation"]
    assert events["severity_change"].text == t["reason"]
    assert events["resolved"].text == t["resolved"]
    pm = record.postmortem
    assert pm.whys == [t["why"], *WHYS] and pm.contributing_factors == [t["factor"]]
    assert pm.impact.reputation == t["impact"] and pm.lessons.got_lucky == t["lesson"]
    assert (pm.remediation[0].action, pm.remediation[0].owner) == (t["action"], t["owner"])
    assert (pm.follow_ups[0].item, pm.follow_ups[0].owner) == (t["action"], t["owner"])
    # Nothing leaked into other fields.
    assert (record.id, record.status, record.severity, record.incident_state) == ("INC-001", "draft", "P0",
                                                                                  "resolved")
    text = path.read_bytes().decode("utf-8")
    artifact = parse_artifact(text)
    assert list(artifact.meta) == TOP_KEYS
    assert artifact.meta["type"] == "decision-memo" and artifact.meta["depends_on"] == []
    # A grep-based reader (Company OS's validate.sh) sees each top-level key exactly once, at its own line.
    front = text.split("\n---\n", 1)[0].split("\n")[1:]
    for key in TOP_KEYS:
        assert sum(1 for line in front if line.startswith(f"{key}:")) == 1, key
    assert [b.name for b in find_blocks(artifact.body)] == BLOCKS
    assert artifact.body.endswith(HUMAN)
    assert incidents.incident_record_problems(artifact) == []
    assert incidents.incident_review_gate(artifact, "review") == []


FIELDS = ["title", "summary", "service", "author", "note", "channel", "comm", "mitigation", "reason", "resolved",
          "why", "factor", "impact", "action", "owner", "lesson"]
BLANK_REFUSED = {"title", "service", "author", "note", "reason", "why", "factor", "impact", "action", "owner", "lesson"}


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: non_blank if name in BLANK_REFUSED else hostile for name in FIELDS}))
def test_hostile_text_in_every_field_round_trips_and_changes_no_structure(t: dict[str, str]) -> None:
    ws = fresh_workspace()
    try:
        inc, path = run_flow(ws, t)
        check_round_trip(ws, inc, path, t)
    finally:
        shutil.rmtree(ws.root, ignore_errors=True)


def test_100_kb_strings_in_every_field_round_trip_exactly() -> None:
    unit = "".join(HOSTILE)
    big = (unit * (100_000 // len(unit) + 1))[:100_000]
    t = {name: f"{name}:{big}" for name in FIELDS}
    ws = fresh_workspace()
    try:
        inc, path = run_flow(ws, t)
        check_round_trip(ws, inc, path, t)
        page = incidents.list_incidents(ws)
        assert page.incidents[0].title == t["title"]
        draft = incidents.draft_communication(ws, "email", inc, now=at(10))
        assert "\n" not in draft.subject
    finally:
        shutil.rmtree(ws.root, ignore_errors=True)


def test_an_event_value_the_timeline_refuses_is_our_error_and_the_record_is_untouched(tmp_path: Path) -> None:
    ws = artifacts_workspace(tmp_path / "ws")
    opened = incidents.open_incident(ws, title="API down", severity="P1", services=["api"], now=at(0))
    record = ws.root / opened.path
    before = record.read_bytes()
    with pytest.raises(IncidentError, match="overall"):
        incidents.update_incident(ws, opened.id, event="status_check", overall="bogus", now=at(5))
    assert record.read_bytes() == before
