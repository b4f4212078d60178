"""Post-mortem recording, the Mermaid chart, validation rules and the review gate for incident records."""

from __future__ import annotations

import re

import pytest

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.blocks import find_blocks
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.mermaid import sanitize
from incident_mcp.workspace import Workspace
from tests.support.incident_flow import at

COMPLETE = {
    "whys": ["Checkout returned 500", "The orders table was locked", "A migration added an index without CONCURRENTLY",
             "The migration was not reviewed for locking", "We have no migration checklist"],
    "contributing_factors": ["Deploy at peak traffic", "No alert on checkout errors"],
    "impact": incidents.Impact(users="~30% of checkouts for 40 minutes", revenue="~$400", data="none",
                               reputation="two tweets"),
    "remediation": [
        incidents.RemediationAction(horizon="immediate", action="Rolled back the deploy"),
        incidents.RemediationAction(horizon="short_term", action="Add a migration lint", owner="me", due="2026-03-10"),
        incidents.RemediationAction(horizon="long_term", action="Staging with prod-sized data", owner="me",
                                    due="2026-04-01"),
    ],
    "follow_ups": [incidents.FollowUp(item="Refund failed orders", owner="me", due="2026-03-04")],
    "lessons": incidents.Lessons(went_well="Rollback took 2 minutes", went_poorly="Status page was late",
                                 got_lucky="It was 2 a.m. in our main market"),
}


def resolved_incident(ws: Workspace, title: str = "Checkout returns 500") -> str:
    inc = incidents.open_incident(ws, title=title, severity="P1", services=["api"],
                                  detected_at="2026-03-03T02:00:00Z", now=at(1)).id
    incidents.update_incident(ws, inc, event="acknowledged", now=at(5))
    incidents.update_incident(ws, inc, event="root_cause", text="locked table", now=at(20))
    incidents.update_incident(ws, inc, event="mitigation", mitigation="rollback", text="rolled back", now=at(25))
    incidents.update_incident(ws, inc, event="monitoring", now=at(26))
    incidents.update_incident(ws, inc, event="resolved", now=at(40))
    return inc


def artifact_of(ws: Workspace, inc: str) -> object:
    incident = incidents.read_incident(ws, inc)
    return incident.artifact


def test_a_complete_post_mortem_fills_every_section_and_passes_the_gate(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    result = incidents.record_postmortem(ws, inc, **COMPLETE)  # type: ignore[arg-type]
    assert result.complete and result.missing == []
    incident = incidents.read_incident(ws, inc)
    body = incident.artifact.body
    assert "2. **Why did that happen?** The orders table was locked" in body
    assert "5. **Why did that happen?** We have no migration checklist" in body
    assert "- **Revenue impact**: ~$400" in body
    assert "- [x] Rolled back the deploy" in body
    assert "- [ ] Add a migration lint -- Owner: me -- Due: 2026-03-10" in body
    assert "| Refund failed orders | me | 2026-03-04 | Open |" in body
    assert "- **Where we got lucky**: It was 2 a.m. in our main market" in body
    assert incidents.incident_review_gate(incident.artifact, "review") == []
    assert incidents.incident_record_problems(incident.artifact) == []


def test_the_gate_lists_exactly_what_is_missing(ws: Workspace) -> None:
    inc = incidents.open_incident(ws, title="x", severity="P2", detected_at="2026-03-03T02:00:00Z", now=at(1)).id
    incidents.record_postmortem(ws, inc, whys=["a", "b", "c"], impact=incidents.Impact(users="10", data="none"),
                                remediation=[incidents.RemediationAction(horizon="short_term", action="fix it",
                                                                         owner="me")],
                                lessons=incidents.Lessons(went_well="fast"))
    missing = incidents.incident_review_gate(incidents.read_incident(ws, inc).artifact, "review")
    assert missing == [
        "the incident is not resolved (state: investigating)",
        "5 Whys: why 4, 5 not answered",
        'impact assessment: revenue, reputation not filled (write "none" if there was none)',
        "remediation: no action with both an owner and a due date",
        "lessons learned: what went poorly, where we got lucky not filled",
    ]


def test_the_gate_only_applies_to_incident_records_going_to_review(ws: Workspace) -> None:
    inc = incidents.open_incident(ws, title="x", severity="P2", now=at(1)).id
    artifact = incidents.read_incident(ws, inc).artifact
    assert incidents.incident_review_gate(artifact, "archived") == []
    assert incidents.incident_review_gate(artifact, "approved") == []
    memo = ws.root / "artifacts" / "decision-memos" / "DM-001-config-location.md"
    assert incidents.incident_review_gate(parse_artifact(memo.read_text(encoding="utf-8")), "review") == []


def test_the_gate_reports_a_broken_record_instead_of_raising(ws: Workspace) -> None:
    inc = incidents.open_incident(ws, title="x", severity="P2", now=at(1)).id
    artifact = incidents.read_incident(ws, inc).artifact
    artifact.meta["severity"] = "P9"
    missing = incidents.incident_review_gate(artifact, "review")
    assert len(missing) == 1 and "severity" in missing[0]


def test_repeated_calls_refine_and_keep_what_was_not_given(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    incidents.record_postmortem(ws, inc, whys=["a"], impact=incidents.Impact(users="10%", revenue="none"))
    incidents.record_postmortem(ws, inc, impact=incidents.Impact(data="none"),
                                lessons=incidents.Lessons(went_well="calm"))
    pm = incidents.read_incident(ws, inc).record.postmortem
    assert pm.whys == ["a"]
    assert (pm.impact.users, pm.impact.revenue, pm.impact.data, pm.impact.reputation) == ("10%", "none", "none", "")
    assert pm.lessons.went_well == "calm"
    incidents.record_postmortem(ws, inc, whys=["a", "b"])
    assert incidents.read_incident(ws, inc).record.postmortem.whys == ["a", "b"]


def test_recording_the_same_post_mortem_twice_writes_the_same_file(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    incidents.record_postmortem(ws, inc, **COMPLETE)  # type: ignore[arg-type]
    path = ws.root / incidents.read_incident(ws, inc).rel
    first = path.read_bytes()
    incidents.record_postmortem(ws, inc, **COMPLETE)  # type: ignore[arg-type]
    assert path.read_bytes() == first


def test_each_why_builds_on_the_previous_so_gaps_are_refused(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    with pytest.raises(IncidentError, match="why 3 is answered but why 2 is not"):
        incidents.record_postmortem(ws, inc, whys=["a", "", "c"])
    with pytest.raises(IncidentError, match="at most 5"):
        incidents.record_postmortem(ws, inc, whys=["a"] * 6)


def test_a_due_date_must_be_a_real_date() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        incidents.RemediationAction(horizon="short_term", action="x", due="next week")
    with pytest.raises(ValueError, match="real date"):
        incidents.FollowUp(item="x", due="2026-02-30")


def test_the_record_carries_a_mermaid_gantt_of_the_incident(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    body = incidents.read_incident(ws, inc).artifact.body
    chart = next(b for b in find_blocks(body) if b.name == "timeline-chart").content
    assert chart.startswith("```mermaid\ngantt\n")
    assert "    Investigating :s1, 2026-03-03 02:00:00, 2026-03-03 02:20:00" in chart
    assert "    Identified :s2, 2026-03-03 02:20:00, 2026-03-03 02:26:00" in chart
    assert "    Monitoring :s3, 2026-03-03 02:26:00, 2026-03-03 02:40:00" in chart
    assert "Mitigation applied - rolled back :milestone, e4, 2026-03-03 02:25:00, 1m" in chart
    assert chart.rstrip().endswith("```")


def test_a_hostile_title_cannot_break_the_diagram(ws: Workspace) -> None:
    title = "x\n```\n%%{init: {'theme':'dark'}}%%\nsection Evil: task :a, 2020-01-01, 1d; click a call alert()#"
    inc = resolved_incident(ws, title)
    incidents.update_incident(ws, inc, event="note", text=title, now=at(50))
    chart = next(b for b in find_blocks(incidents.read_incident(ws, inc).artifact.body)
                 if b.name == "timeline-chart").content
    lines = chart.splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```" and chart.count("```") == 2
    assert sum(1 for line in lines if line.strip().startswith("section ")) == 2
    fixed = ("    dateFormat YYYY-MM-DD HH:mm:ss", "    axisFormat %H:%M")
    for line in lines[2:-1]:
        assert line in fixed or re.fullmatch(r"    [^:;#%`\n]+( :[^;#%`\n]+)?", line), line


@pytest.mark.parametrize(("text", "expected"), [
    ("a: b; c # d % e `f`", "a b c d e f"),
    ("line\nbreak\u2028sep", "line break sep"),
    ("x" * 100, "x" * 57 + "..."),
    ("Überall 日本", "Überall 日本"),
])
def test_sanitize_keeps_words_and_drops_mermaid_syntax(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_record_problems_notice_a_hand_edited_state_that_the_timeline_contradicts(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    artifact = incidents.read_incident(ws, inc).artifact
    artifact.meta["incident_state"] = "monitoring"
    artifact.meta["timeline"].append({"at": "2026-03-03T01:00:00Z", "kind": "note", "text": "too early"})
    problems = incidents.incident_record_problems(artifact)
    assert any("before detection" in p for p in problems)
    artifact.meta["timeline"].pop()
    assert incidents.incident_record_problems(artifact) == [
        "incident_state is 'monitoring' but the timeline says 'resolved'"]


def test_record_problems_notice_a_misplaced_or_misnamed_file(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    artifact = incidents.read_incident(ws, inc).artifact
    artifact.rel = "artifacts/rfcs/INC-009-x.md"
    problems = incidents.incident_record_problems(artifact)
    assert any("live in artifacts/decision-memos/" in p for p in problems)
    assert any("should start with INC-001-" in p for p in problems)


def test_the_post_mortem_is_due_after_resolution_and_done_when_complete(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    actions = {a.key: a for a in incidents.get_incident(ws, inc, now=at(60)).next_actions}
    assert actions["postmortem"].status == "due" and "5 Whys" in actions["postmortem"].detail
    incidents.record_postmortem(ws, inc, **COMPLETE)  # type: ignore[arg-type]
    view = incidents.get_incident(ws, inc, now=at(60))
    assert {a.key: a for a in view.next_actions}["postmortem"].status == "done"
    assert view.postmortem_missing == []


def test_whys_given_as_question_and_answer_render_in_full_and_readably(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    long_answer = "Because the connection pool " + "was exhausted by retries " * 12 + "at peak."
    incidents.record_postmortem(ws, inc, whys=[
        "Why did the API return 503? The database refused new connections.",
        f"Why did the database refuse connections? {long_answer}",
        "Why? Retries had no backoff.",
        "Retries were copied from an old client",
        "why was there no review of the client? We have no checklist for it",
    ])
    body = incidents.read_incident(ws, inc).artifact.body
    assert "1. **Why did the API return 503?** The database refused new connections." in body
    assert f"2. **Why did the database refuse connections?** {long_answer}" in body
    assert "3. **Why?** Retries had no backoff." in body
    assert "4. **Why did that happen?** Retries were copied from an old client" in body
    assert "5. **why was there no review of the client?** We have no checklist for it" in body
    assert "…" not in body and "did “Why" not in body


def test_a_why_asked_but_not_answered_is_still_missing(ws: Workspace) -> None:
    inc = resolved_incident(ws)
    result = incidents.record_postmortem(ws, inc, whys=["Why did it fail?", "b", "c", "d", "e"])
    assert "5 Whys: why 1 not answered" in result.missing
