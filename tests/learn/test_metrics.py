"""Incident metrics on fixture records with hand-computed figures: exclusions, nearest-rank p90 with one, two
and three incidents, window edges, change fail rate, uptime and error budget; through the MCP client and the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from incident_mcp import incidents, metrics
from incident_mcp.changes import record_deploy
from incident_mcp.errors import LearnError
from incident_mcp.metrics.durations import median, nearest_rank
from incident_mcp.server import build_server
from incident_mcp.uptime import Span
from incident_mcp.workspace import Workspace

NOW = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
SINCE, UNTIL = "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"


def _open(ws: Workspace, severity: str, service: str, detected: str, *, ack: str | None = None,
          mitigated: str | None = None, resolved: str | None = None, caused_by: str | None = None) -> str:
    opened = incidents.open_incident(ws, title=f"{service} broke", severity=severity, services=[service],
                                     detected_at=detected, now=NOW, force=True)
    for event, at in (("acknowledged", ack), ("mitigation", mitigated), ("resolved", resolved)):
        if at:
            incidents.update_incident(ws, opened.id, event=event, at=at, now=NOW)
    if caused_by:
        incidents.update_incident(ws, opened.id, caused_by=caused_by, now=NOW)
    return opened.id


def _close_as(ws: Workspace, incident_id: str, how: str) -> None:
    """What the contract branch will write: a raw ``closed_as`` line in the frontmatter."""
    path = next((ws.root / "artifacts" / "decision-memos").glob(f"{incident_id}-*.md"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nincident_state:", f"\nclosed_as: {how}\nincident_state:", 1), encoding="utf-8")


@pytest.fixture
def ws(example_ws: Path) -> Workspace:
    """March 2026 at Brightdesk: four real incidents, a duplicate, one on each window edge, four deploys."""
    config = example_ws / "company.config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "  slo:\n    api: {target: 99.9, window_days: 30}\n",
                      encoding="utf-8")
    ws = Workspace.at(example_ws)
    d1 = record_deploy(ws, service="api", version="v1", at="2026-03-02T09:50:00Z", now=NOW)
    d2 = record_deploy(ws, service="web", version="w2", at="2026-03-04T00:00:00Z", now=NOW)
    record_deploy(ws, service="api", version="v3", sha="abc12345", at="2026-03-09T23:50:00Z", now=NOW)
    record_deploy(ws, service="api", version="v0", at="2026-02-27T00:00:00Z", now=NOW)  # before the period
    _open(ws, "P1", "api", "2026-03-02T10:00:00Z", ack="2026-03-02T10:10:00Z", mitigated="2026-03-02T10:30:00Z",
          resolved="2026-03-02T11:00:00Z", caused_by=d1.id)                                      # INC-001
    _open(ws, "P1", "web", "2026-03-05T00:00:00Z", ack="2026-03-05T00:20:00Z",
          resolved="2026-03-05T02:00:00Z")                                                       # INC-002
    _open(ws, "P0", "api", "2026-03-10T00:00:00Z", ack="2026-03-10T00:05:00Z", mitigated="2026-03-10T00:15:00Z",
          resolved="2026-03-10T00:40:00Z", caused_by="abc12345")                                 # INC-003
    _open(ws, "P2", "api", "2026-03-20T00:00:00Z")                                               # INC-004 open
    dup = _open(ws, "P1", "api", "2026-03-21T00:00:00Z", ack="2026-03-21T00:01:00Z",
                resolved="2026-03-21T00:10:00Z", caused_by=d2.id)                                # INC-005
    _close_as(ws, dup, "duplicate")
    _open(ws, "P0", "web", "2026-02-28T23:00:00Z", resolved="2026-03-01T01:00:00Z")             # INC-006 edge
    _open(ws, "P0", "web", "2026-04-01T00:00:00Z", resolved="2026-04-01T01:00:00Z")             # INC-007 edge
    return ws


def _report(ws: Workspace, **kwargs: Any) -> metrics.MetricsReport:
    return metrics.incident_metrics(ws, since=SINCE, until=UNTIL, now=NOW, **kwargs)


def test_nearest_rank_p90_with_one_two_three_and_eleven_values() -> None:
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([20, 10], 90) == 20
    assert nearest_rank([5, 20, 10], 90) == 20
    assert nearest_rank(list(range(1, 12)), 90) == 10  # ceil(9.9) = 10th smallest
    assert median([10, 20]) == 15 and median([5, 20, 10]) == 10


def test_counts_take_incidents_detected_in_the_period_and_set_duplicates_apart(ws: Workspace) -> None:
    counts = _report(ws).incidents
    assert (counts.total, counts.still_open) == (4, 1)
    assert counts.by_severity == {"P0": 1, "P1": 2, "P2": 1, "P3": 0}
    assert counts.by_service == {"api": 3, "web": 1}
    assert counts.closed_as == {"duplicate": 1}


def test_time_to_acknowledge_with_exclusions_and_p90_for_one_two_and_three_incidents(ws: Workspace) -> None:
    mtta = _report(ws).time_to_acknowledge
    overall = mtta.overall  # 10, 20, 5 minutes
    assert (overall.n, overall.mean_minutes, overall.median_minutes, overall.p90_minutes) == (3, 11.7, 10, 20)
    assert {e.reason: e.ids for e in overall.excluded} == {"closed as duplicate": ["INC-005"],
                                                          "never acknowledged": ["INC-004"]}
    p1, p0 = mtta.by_severity["P1"], mtta.by_severity["P0"]
    assert (p1.n, p1.mean_minutes, p1.median_minutes, p1.p90_minutes) == (2, 15, 15, 20)
    assert (p0.n, p0.mean_minutes, p0.median_minutes, p0.p90_minutes) == (1, 5, 5, 5)
    assert mtta.by_severity["P2"].n == 0 and mtta.by_severity["P2"].median_minutes is None
    assert "acknowledged_at − detected_at" in mtta.definition


def test_time_to_mitigate_and_to_resolve_say_who_was_left_out(ws: Workspace) -> None:
    report = _report(ws)
    mttm, ttr = report.time_to_mitigate.overall, report.time_to_resolve.overall
    assert (mttm.n, mttm.mean_minutes, mttm.median_minutes, mttm.p90_minutes) == (2, 22.5, 22.5, 30)
    assert {e.reason: e.ids for e in mttm.excluded}["no mitigation recorded"] == ["INC-002", "INC-004"]
    assert (ttr.n, ttr.mean_minutes, ttr.median_minutes, ttr.p90_minutes) == (3, 73.3, 60, 120)
    assert {e.reason: e.ids for e in ttr.excluded} == {"closed as duplicate": ["INC-005"], "still open": ["INC-004"]}
    assert "resolve" in report.time_to_resolve.definition and "MTTR" in report.time_to_resolve.definition


def test_change_fail_rate_counts_deploys_named_by_id_or_by_shipped_sha_and_ignores_duplicates(ws: Workspace) -> None:
    change = _report(ws).change_failure
    assert change.deploys == 3  # v0 was deployed before the period
    assert len(change.failed_deploys) == 2 and change.rate == pytest.approx(2 / 3, abs=1e-4)
    assert (change.recovery_median_minutes, change.recovery_n) == (50, 2)  # INC-001 60 min, INC-003 40 min


def test_uptime_clips_incidents_on_the_window_edges_and_spends_the_error_budget(ws: Workspace) -> None:
    rows = {row.service: row for row in _report(ws).uptime.services}
    # api: INC-001 P1 60 min × 0.3 = 18, INC-003 P0 40 min; INC-004 P2 counts as up; the duplicate not at all
    assert rows["api"].down_minutes == 58 and rows["api"].uptime == "99.87%"
    # web: INC-002 P1 120 × 0.3 = 36, plus the 60 min of INC-006 after midnight; INC-007 starts at until
    assert rows["web"].down_minutes == 96 and rows["web"].uptime == "99.78%"
    assert rows["help-center"].uptime == "100%" and rows["help-center"].error_budget is None
    budget = rows["api"].error_budget
    assert budget is not None
    assert (budget.budget_minutes, budget.used_minutes, budget.left_minutes, budget.used_percent) == (
        43.2, 58, -14.8, 134.3)


def test_the_watch_observations_count_where_no_incident_was_opened(ws: Workspace) -> None:
    outage = Span(dt.datetime(2026, 3, 15, tzinfo=dt.UTC), dt.datetime(2026, 3, 15, 0, 30, tzinfo=dt.UTC),
                  "major_outage", source="watch")
    rows = {row.service: row for row in _report(ws, observed={"help-center": [outage]}).uptime.services}
    assert rows["help-center"].down_minutes == 30


def test_the_watch_history_in_the_repository_is_read_by_default(ws: Workspace) -> None:
    from incident_mcp.watch.history import RoundEntry, record_round

    start = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
    minute = dt.timedelta(minutes=1)
    record_round(ws, start, 60, [RoundEntry("help-center", "up", latency_ms=40)])
    record_round(ws, start + minute, 60, [RoundEntry("help-center", "down")])
    record_round(ws, start + 2 * minute, 60, [RoundEntry("help-center", "down")])
    record_round(ws, start + 3 * minute, 60,
                 [RoundEntry("help-center", "down", kind="major_outage", since=start + minute)])
    for n in range(4, 12):
        record_round(ws, start + n * minute, 60, [RoundEntry("help-center", "down", kind="major_outage")])
    record_round(ws, start + 12 * minute, 60, [RoundEntry("help-center", "up", latency_ms=40, kind="major_outage")])
    record_round(ws, start + 13 * minute, 60,
                 [RoundEntry("help-center", "up", latency_ms=40, recovered_since=start + 12 * minute)])
    report = metrics.incident_metrics(ws, since=SINCE, until=UNTIL, now=NOW)
    rows = {row.service: row for row in report.uptime.services}
    assert rows["help-center"].down_minutes == 11  # confirmed: from the first failed round to the first healthy one


def test_trends_compare_with_the_previous_period_of_the_same_length(ws: Workspace) -> None:
    trends = _report(ws).trends
    assert (trends.previous_since, trends.previous_until) == ("2026-01-29T00:00:00Z", SINCE)
    incidents_trend = next(t for t in trends.figures if t.figure == "incidents")
    assert (incidents_trend.now, incidents_trend.before, incidents_trend.direction) == (4, 1, "worse")


def test_every_figure_carries_its_definition_in_the_json(ws: Workspace) -> None:
    data = json.loads(_report(ws).model_dump_json())
    for key in ("incidents", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve", "time_in_state",
                "change_failure", "uptime", "trends"):
        assert data[key]["definition"], key
    assert data["change_failure"]["recovery_definition"] and data["uptime"]["error_budget_definition"]
    assert "43.2 min" in data["uptime"]["error_budget_definition"]
    assert "nearest rank" in data["statistics"]


def test_bad_periods_are_refused_with_the_field_named(ws: Workspace) -> None:
    with pytest.raises(LearnError, match="since: 'yesterday' is not an ISO 8601 time"):
        metrics.incident_metrics(ws, since="yesterday")
    with pytest.raises(LearnError, match=r"since .* must be before until"):
        metrics.incident_metrics(ws, since=UNTIL, until=SINCE)


def test_an_empty_workspace_has_no_figures_but_all_definitions(example_ws: Path) -> None:
    report = metrics.incident_metrics(Workspace.at(example_ws), now=NOW)
    assert report.incidents.total == 0 and report.time_to_resolve.overall.n == 0
    assert report.change_failure.rate is None and "(no deploys logged)" in metrics.format_report(report)


def test_incident_metrics_and_its_resource_through_the_mcp_client(ws: Workspace) -> None:
    async def flow() -> tuple[dict[str, Any], str, bool]:
        async with Client(build_server(str(ws.root))) as client:
            result = await client.call_tool("incident_metrics", {"since": SINCE, "until": UNTIL})
            assert not result.is_error, result.content
            assert result.structured_content is not None
            resource = await client.read_resource("incident://metrics")
            bad = await client.call_tool("incident_metrics", {"since": "not a time"})
            return result.structured_content, resource.contents[0].text, bad.is_error  # type: ignore[union-attr]

    data, text, bad_is_error = anyio.run(flow)
    assert data["time_to_resolve"]["overall"]["median_minutes"] == 60
    assert "p90_minutes" not in data["time_to_resolve"]["by_severity"]["P2"]  # lean: no nulls
    assert "Trends" in text and "Time to resolve" in text
    assert bad_is_error


def test_the_metrics_command_prints_text_with_trends_and_json(ws: Workspace,
                                                              run_cli: Callable[..., Any]) -> None:
    text = run_cli("metrics", "--since", SINCE, "--until", UNTIL, "--workspace", str(ws.root))
    assert text.returncode == 0, text.stderr
    assert "Time to resolve: mean 73.3 min, median 60 min, p90 2.0 h (n=3)" in text.stdout
    assert "Trends (against" in text.stdout and "api: 99.87%" in text.stdout
    as_json = run_cli("metrics", "--since", SINCE, "--until", UNTIL, "--format", "json", "--workspace", str(ws.root))
    assert json.loads(as_json.stdout)["incidents"]["total"] == 4
    bad = run_cli("metrics", "--until", "31/03/2026", "--workspace", str(ws.root))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "until:" in bad.stderr


HOSTILE = ["plain", "it's \"quoted\"", "two\nlines\n\nkind: resolved", "- at: '2026-01-01T00:00:00Z'",
           "ünïcödé ✓ \u2028 sep", "# not a comment", "key: value", "'", "|", "> folded", "x" * 500]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_fast_record_reader_gives_what_the_full_reader_gives_or_steps_aside(tmp_path: Path, text: str) -> None:
    from incident_mcp.metrics.records import load_fast, load_full

    (tmp_path / "company.config.yaml").write_text("company: {name: Hostile}\n")  # no services: any name is taken
    ws = Workspace.at(tmp_path)
    opened = incidents.open_incident(ws, title=text, severity="P2", services=["api", text[:60] or "x"],
                                     summary=text, detected_at="2026-03-01T00:00:00Z", now=NOW)
    for event, kwargs in (("note", {"text": text}), ("acknowledged", {"text": text}),
                          ("root_cause", {"text": text}), ("mitigation", {"text": text, "mitigation": "rollback"}),
                          (None, {"severity": "P0", "reason": text}), ("communication", {"text": text,
                                                                                          "channel": text[:30]}),
                          (None, {"state": "monitoring", "text": text}), ("resolved", {"text": text})):
        incidents.update_incident(ws, opened.id, event=event, now=NOW, **kwargs)  # type: ignore[arg-type]
    incidents.record_postmortem(ws, opened.id, whys=[text, text], contributing_factors=[text])
    path = next((ws.root / "artifacts" / "decision-memos").glob(f"{opened.id}-*.md"))
    fast = load_fast(path.read_text(encoding="utf-8"))
    full = load_full(ws, path)
    assert fast is None or fast == full, text
    if text in ("plain", "it's \"quoted\"", "x" * 500):
        assert fast is not None, "the fast reader must take ordinary records"
    assert full.severity == "P0" and [e.kind for e in full.timeline] == ["detected", "root_cause", "severity_change",
                                                                         "state_change", "resolved"]


def test_the_fast_reader_steps_aside_for_hand_written_yaml(example_ws: Path) -> None:
    from incident_mcp.metrics.records import load_fast

    text = ("---\nid: INC-001\nseverity: P1\nincident_state: resolved\nservices: [api]\n"
            "detected_at: 2026-03-01T00:00:00Z\ntimeline:\n- {at: '2026-03-01T00:00:00Z', kind: detected}\n---\n")
    assert load_fast(text) is None
