"""incident-mcp watch end to end, the rounds: real loopback services that flap on command, real incident records,
rounds driven by an injected clock (no sleeping through intervals); opening, joining, recovery, history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_mcp import incidents
from incident_mcp.watch import load_state, observed_spans
from tests.learn.watch_helpers import assert_clean, make_ws, minute, records, round_at
from tests.support.watch_support import FlapServer


def test_one_failed_round_opens_nothing(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    result = round_at(ws, 0)
    assert result.exit_code == 2
    assert result.actions == ()
    assert records(ws) == []
    flap.set(names["api"], 200)
    round_at(ws, 1)
    round_at(ws, 2)
    assert records(ws) == []
    assert load_state(ws).tracks["api"].fail_streak == 0


def test_three_failed_rounds_open_exactly_one_incident_dated_at_the_first_failure(
        tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(5):
        round_at(ws, n)
    found = records(ws)
    assert len(found) == 1
    record = found[0]
    assert record.title == "api down: HTTP 503"
    assert record.detected_at == "2026-03-01T02:00:00Z"
    assert record.opened_by == "watch"
    assert record.severity == "P0"  # a critical service down: the classification rules' status-check-down
    assert record.services == ["api"]
    assert [e.kind for e in record.timeline][:2] == ["detected", "status_check"]
    text = (ws.root / incidents.get_incident(ws, record.id).path).read_text()
    assert "opened_by: watch" in text
    assert_clean(ws)


def test_a_second_service_failing_joins_the_incident_and_raises_its_severity(tmp_path: Path,
                                                                            flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["docs"], 500)
    for n in range(3):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.severity == "P1"  # a non-critical service down: partial outage
    flap.set(names["api"], 503)
    for n in range(3, 6):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.services == ["docs", "api"]
    assert record.severity == "P0"
    kinds = [e.kind for e in record.timeline]
    assert "severity_change" in kinds
    joined = [e for e in record.timeline if e.kind == "status_check" and "joined" in e.text]
    assert len(joined) == 1 and "api" in joined[0].text and "02:03:00Z" in joined[0].text
    assert_clean(ws)


def test_recovery_moves_to_monitoring_and_resolves_after_the_quiet_period(tmp_path: Path,
                                                                         flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 3)
    assert records(ws)[0].incident_state == "investigating"  # one healthy round is not a recovery
    round_at(ws, 4)
    assert records(ws)[0].incident_state == "monitoring"
    round_at(ws, 12)
    assert records(ws)[0].incident_state == "monitoring"  # healthy 9 minutes of the 10
    round_at(ws, 13.5)
    (record,) = records(ws)
    assert record.incident_state == "resolved"
    assert "Resolved automatically by incident-mcp watch" in record.timeline[-1].text
    round_at(ws, 14.5)
    assert len(records(ws)) == 1
    assert_clean(ws)


@pytest.mark.parametrize(("watch", "final"), [({"resolve_after_minutes": 0}, "resolved"),
                                              ({"auto_resolve": False}, "monitoring")])
def test_resolve_settings_decide_who_resolves(tmp_path: Path, flap: FlapServer, watch: dict[str, Any],
                                              final: str) -> None:
    ws, names = make_ws(tmp_path, flap, watch=watch)
    flap.set(names["web"], 500)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["web"], 200)
    for n in (3, 4, 20, 40):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.incident_state == final


def test_a_failure_between_healthy_rounds_restarts_the_quiet_period(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 3)
    round_at(ws, 4)
    flap.set(names["api"], 503)
    round_at(ws, 8)  # one failed round: not down again, but health is no longer continuous
    flap.set(names["api"], 200)
    round_at(ws, 9)
    round_at(ws, 10)
    round_at(ws, 15)
    assert records(ws)[0].incident_state == "monitoring"  # only 6 minutes healthy since minute 9
    round_at(ws, 20)
    assert records(ws)[0].incident_state == "resolved"


def test_maintenance_window_suppresses_and_is_recorded_as_maintenance(tmp_path: Path, flap: FlapServer) -> None:
    window = {"services": ["api"], "start": "2026-03-01T01:30:00Z", "end": "2026-03-01T02:10:00Z",
              "reason": "database upgrade"}
    ws, names = make_ws(tmp_path, flap, maintenance=[window])
    flap.set(names["api"], 503)
    for n in range(8):
        result = round_at(ws, n)
    assert result.exit_code == 1  # failing, but inside the window: not an outage
    assert records(ws) == []
    spans = observed_spans(ws, until=minute(8)).spans["api"]
    assert [(s.impact, s.start, s.end) for s in spans] == [("under_maintenance", minute(0), minute(8))]
    for n in range(10, 13):  # the window is over: the same failure now counts
        round_at(ws, n)
    (record,) = records(ws)
    assert record.detected_at == "2026-03-01T02:10:00Z"


def test_an_incident_opened_by_hand_is_joined_not_duplicated(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    opened = incidents.open_incident(ws, title="API errors reported by a customer", severity="P1",
                                     services=["api"], now=minute(0))
    flap.set(names["api"], 503)
    for n in range(1, 6):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.id == opened.id
    assert record.opened_by is None
    assert record.severity == "P0"  # the watch's confirmed rollup raised it
    assert any(e.kind == "status_check" and "joined" in e.text for e in record.timeline)
    flap.set(names["api"], 200)
    for n in (6, 7, 30, 50):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.incident_state == "monitoring"  # the watch resolves only what it opened
    assert_clean(ws)


def test_history_has_confirmed_outages_from_the_first_failure_and_gaps_as_no_data(
        tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    round_at(ws, 0)
    flap.set(names["api"], 503)
    for n in range(1, 5):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 5)
    round_at(ws, 6)
    # the watch did not run from 02:07 to 02:30
    round_at(ws, 30)
    seen = observed_spans(ws, until=minute(31))
    assert seen.data_from["api"] == minute(0)
    spans = [(s.impact, s.start, s.end) for s in seen.spans["api"]]
    assert ("major_outage", minute(1), minute(5)) in spans  # from the first failed to the first healthy round
    assert ("no_data", minute(7), minute(30)) in spans
    assert all(s.source == "watch" for s in seen.spans["api"])
    assert [(s.impact, s.start, s.end) for s in seen.spans["web"]] == [("no_data", minute(7), minute(30))]
    month = ws.root / "watch" / "history" / "api" / "2026-03.json"
    day = json.loads(month.read_text())["days"]["2026-03-01"]
    assert day["rounds"] == [4, 0, 4, 0, 0]
    assert day["minutes"]["major_outage"] == 4.0
    assert day["latency"]["p50"] is not None


def test_the_status_page_shows_what_the_watch_saw(tmp_path: Path, flap: FlapServer) -> None:
    from incident_mcp.statuspage.publish import publish_status_page

    ws, names = make_ws(tmp_path, flap)
    flap.set(names["docs"], 500)
    for n in range(3):
        round_at(ws, n)  # docs confirmed down: the incident (P1) alone would say partial outage
    publish_status_page(ws, now=minute(3))
    components = json.loads((ws.root / "status-site" / "api" / "v2" / "components.json").read_text())["components"]
    assert {c["name"]: c["status"] for c in components}["docs"] == "major_outage"
