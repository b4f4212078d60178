"""Uptime: the published formula, overlapping spans counted once, no data never shown as up."""

from __future__ import annotations

import datetime as dt

from incident_mcp.incidents.record import IncidentRecord
from incident_mcp.uptime import (
    Span,
    daily_uptime,
    data_start,
    format_percent,
    incident_spans,
    severity_segments,
    uptime,
    worst_minutes,
)

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def record(**fields: object) -> IncidentRecord:
    base: dict[str, object] = {"id": "INC-001", "title": "api down", "severity": "P0",
                               "incident_state": "resolved", "services": ["api"],
                               "detected_at": "2026-03-01T00:00:00Z", "resolved_at": "2026-03-01T01:00:00Z"}
    base.update(fields)
    return IncidentRecord.model_validate(base)


def test_one_major_hour_in_a_day_is_the_formula_by_hand() -> None:
    figure = uptime([Span(at(0), at(60), "major_outage")], T0, at(1440))
    assert figure.major_minutes == 60
    assert figure.ratio == 1 - 60 / 1440


def test_partial_outage_weighs_three_tenths_and_degraded_counts_as_up() -> None:
    spans = [Span(at(0), at(100), "partial_outage"), Span(at(200), at(500), "degraded_performance")]
    figure = uptime(spans, T0, at(1000))
    assert (figure.partial_minutes, figure.degraded_minutes) == (100, 300)
    assert figure.ratio == 1 - 0.3 * 100 / 1000


def test_overlapping_spans_count_each_minute_once_at_the_worst_impact() -> None:
    spans = [Span(at(0), at(60), "partial_outage"), Span(at(30), at(90), "major_outage"),
             Span(at(50), at(70), "major_outage", source="watch")]
    minutes = worst_minutes(spans, T0, at(1000))
    assert minutes["major_outage"] == 60  # 30..90, the watch's 50..70 not added again
    assert minutes["partial_outage"] == 30  # 0..30 only: the rest was worse


def test_spans_are_clipped_to_the_window() -> None:
    figure = uptime([Span(at(-60), at(30), "major_outage")], T0, at(120))
    assert figure.major_minutes == 30
    assert figure.window_minutes == 120


def test_time_before_the_first_data_is_not_counted_as_up() -> None:
    figure = uptime([], T0, at(1000), data_from=at(900))
    assert figure.window_minutes == 100
    assert figure.ratio == 1
    assert uptime([], T0, at(1000), data_from=at(1000)).ratio is None


def test_an_incident_before_the_first_data_makes_its_whole_day_data() -> None:
    start = T0 - dt.timedelta(days=2)
    figure = uptime([Span(at(100), at(160), "major_outage")], start, at(1000), data_from=at(900))
    assert figure.start == T0
    assert figure.ratio == 1 - 60 / 1000


def test_a_day_with_neither_data_nor_incidents_is_no_data_not_green() -> None:
    now = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
    data_from = dt.datetime(2026, 3, 4, 6, 0, tzinfo=dt.UTC)
    spans = [Span(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
                  "major_outage")]
    days = dict(daily_uptime(spans, 5, now, data_from=data_from))
    assert days[dt.date(2026, 3, 1)] is None
    assert days[dt.date(2026, 3, 3)] is None
    day2 = days[dt.date(2026, 3, 2)]
    assert day2 is not None and day2.ratio == 1 - 60 / 1440
    day4 = days[dt.date(2026, 3, 4)]
    assert day4 is not None and day4.window_minutes == 18 * 60
    today = days[dt.date(2026, 3, 5)]
    assert today is not None and today.window_minutes == 12 * 60


def test_an_incident_affects_each_service_from_detection_to_resolution() -> None:
    spans = incident_spans([record(services=["api", "web"])], now=at(5000))
    assert spans["api"] == [Span(at(0), at(60), "major_outage")]
    assert spans["web"] == spans["api"]


def test_an_open_incident_lasts_until_now() -> None:
    spans = incident_spans([record(incident_state="investigating", resolved_at=None, severity="P1")], now=at(45))
    assert spans == {"api": [Span(at(0), at(45), "partial_outage")]}


def test_a_severity_change_splits_the_incident_into_its_impacts() -> None:
    timeline = [{"at": "2026-03-01T00:00:00Z", "kind": "detected", "severity": "P1"},
                {"at": "2026-03-01T00:20:00Z", "kind": "severity_change", "severity_from": "P1", "severity_to": "P0"}]
    rec = record(severity="P0", timeline=timeline)
    assert severity_segments(rec, at(500)) == [(at(0), at(20), "P1"), (at(20), at(60), "P0")]
    figure = uptime(incident_spans([rec], at(500))["api"], T0, at(1440))
    assert (figure.partial_minutes, figure.major_minutes) == (20, 40)


def test_percent_is_rounded_down_so_downtime_never_reads_as_full_uptime() -> None:
    assert format_percent(1 - 1 / 1_000_000) == "99.99%"
    assert format_percent(1.0) == "100%"
    assert format_percent(0.99985) == "99.98%"
    assert format_percent(None) == "no data"


def test_a_gap_in_the_watch_history_is_taken_out_of_the_window_not_counted_as_up() -> None:
    spans = [Span(at(0), at(500), "no_data", source="watch"), Span(at(600), at(650), "major_outage")]
    figure = uptime(spans, T0, at(1000))
    assert figure.window_minutes == 500
    assert figure.ratio == 1 - 50 / 500


def test_an_incident_during_a_gap_still_counts() -> None:
    spans = [Span(at(0), at(500), "no_data", source="watch"), Span(at(100), at(200), "major_outage")]
    figure = uptime(spans, T0, at(1000))
    assert (figure.window_minutes, figure.major_minutes) == (600, 100)


def test_a_day_that_is_all_gap_is_no_data() -> None:
    now = dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
    gap = Span(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 3, tzinfo=dt.UTC), "no_data")
    days = daily_uptime([gap], 3, now, data_from=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert [figure.ratio if figure else None for _, figure in days] == [None, None, 1]


def test_data_starts_at_the_day_of_the_first_real_record_or_the_watch_whichever_is_earlier() -> None:
    first = record(detected_at="2026-03-05T10:00:00Z", resolved_at="2026-03-05T11:00:00Z")
    duplicate = record(id="INC-002", detected_at="2026-03-01T10:00:00Z", closed_as="duplicate",
                       duplicate_of="INC-001")
    assert data_start([first, duplicate], None) == dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    watch = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert data_start([first], watch) == watch
    assert data_start([], None) is None
