"""The watch history files: rolled up per day, split at midnight and month ends, read back as spans."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from incident_mcp.watch.history import RoundEntry, observed_spans, record_round
from incident_mcp.workspace import Workspace

NIGHT = dt.datetime(2026, 3, 31, 23, 57, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return NIGHT + dt.timedelta(minutes=minutes)


def test_an_outage_across_midnight_at_month_end_reads_back_as_one_span(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    record_round(ws, at(0), 60, [RoundEntry("api", "up", latency_ms=40)])
    record_round(ws, at(1), 60, [RoundEntry("api", "down")])
    record_round(ws, at(2), 60, [RoundEntry("api", "down")])
    # the third failed round confirms the outage, back-dated to the first
    record_round(ws, at(3), 60, [RoundEntry("api", "down", kind="major_outage", since=at(1))])
    record_round(ws, at(4), 60, [RoundEntry("api", "down", kind="major_outage")])
    record_round(ws, at(5), 60, [RoundEntry("api", "up", latency_ms=45, kind="major_outage")])
    record_round(ws, at(6), 60, [RoundEntry("api", "up", latency_ms=45, recovered_since=at(5))])
    march = tmp_path / "watch" / "history" / "api" / "2026-03.json"
    april = tmp_path / "watch" / "history" / "api" / "2026-04.json"
    assert json.loads(march.read_text())["days"]["2026-03-31"]["spans"] == {"major_outage": [[86_280, 86_400]]}
    assert json.loads(april.read_text())["days"]["2026-04-01"]["spans"] == {"major_outage": [[0, 120]]}
    seen = observed_spans(ws, until=at(7))
    assert [(s.impact, s.start, s.end) for s in seen.spans["api"]] == [("major_outage", at(1), at(5))]
    assert seen.data_from == {"api": at(0)}


def test_a_day_changes_one_line_and_other_days_keep_their_text(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    record_round(ws, at(0), 60, [RoundEntry("api", "up", latency_ms=40)])
    record_round(ws, at(5), 60, [RoundEntry("api", "up", latency_ms=40)])
    march = tmp_path / "watch" / "history" / "api" / "2026-03.json"
    before = march.read_text().splitlines()
    record_round(ws, at(-60 * 24), 60, [RoundEntry("api", "degraded", latency_ms=2500, kind="degraded_performance")])
    after = march.read_text().splitlines()
    assert len(after) == len(before) + 1 and set(before) <= set(after)
    day = json.loads(march.read_text())["days"]["2026-03-30"]
    assert day["rounds"] == [0, 1, 0, 0, 0] and day["minutes"] == {"degraded_performance": 1.0}
    assert day["latency"]["p50"] == 3000 and day["latency"]["max"] == 2500


def test_a_reformatted_history_file_is_still_read_and_extended(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    record_round(ws, at(0), 60, [RoundEntry("api", "up", latency_ms=40)])
    march = tmp_path / "watch" / "history" / "api" / "2026-03.json"
    march.write_text(json.dumps(json.loads(march.read_text()), indent=4))  # someone pretty-printed it
    record_round(ws, at(1), 60, [RoundEntry("api", "up", latency_ms=40)])
    assert json.loads(march.read_text())["days"]["2026-03-31"]["rounds"] == [2, 0, 0, 0, 0]


def test_rounds_we_could_not_judge_are_no_data(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    record_round(ws, at(0), 60, [RoundEntry("api", "up", latency_ms=40)])
    record_round(ws, at(1), 60, [RoundEntry("api", "unknown")])
    record_round(ws, at(2), 60, [RoundEntry("api", "up", latency_ms=40)])
    spans = observed_spans(ws, until=at(3)).spans["api"]
    assert [(s.impact, s.start, s.end) for s in spans] == [("no_data", at(1), at(2))]
