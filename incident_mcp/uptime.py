"""Uptime: one formula for the status page and the metrics, published with every figure.

``uptime = 1 − (major_outage_minutes + 0.3 × partial_outage_minutes) / window_minutes``, over the part of
the window that has data. Impact comes from spans: an incident's (P0 major, P1 partial, P2/P3 degraded;
split where its severity changed), the watch's observations, maintenance. Spans of one service may overlap
(the watch saw what the incident records): each minute counts once, at its worst impact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from incident_mcp.incidents.record import IncidentRecord, parse_timestamp
from incident_mcp.severity import Severity

Impact = Literal["under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
IMPACTS: tuple[Impact, ...] = ("under_maintenance", "degraded_performance", "partial_outage", "major_outage")
# "no_data" (the watch was not running) ranks below every impact: an incident in that time still counts,
# and what is left of it is taken out of the window rather than counted as up.
SpanKind = Literal["no_data", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
KINDS: tuple[SpanKind, ...] = ("no_data", *IMPACTS)
RANK: dict[SpanKind, int] = {kind: rank for rank, kind in enumerate(KINDS)}  # higher is worse
PARTIAL_WEIGHT = 0.3
FORMULA = "uptime = 1 − (major_outage_minutes + 0.3 × partial_outage_minutes) / window_minutes"
SEVERITY_IMPACT: dict[Severity, Impact] = {
    "P0": "major_outage", "P1": "partial_outage", "P2": "degraded_performance", "P3": "degraded_performance",
}
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A stretch of time during which one service had ``impact``; ``source`` says who said so."""

    start: dt.datetime
    end: dt.datetime
    impact: SpanKind
    source: str = "incident"


@dataclass(frozen=True)
class Uptime:
    """Minutes per impact within ``[start, end)``, where ``start`` is already moved to the first data."""

    start: dt.datetime
    end: dt.datetime
    major_minutes: float
    partial_minutes: float
    degraded_minutes: float
    maintenance_minutes: float
    no_data_minutes: float = 0.0

    @property
    def window_minutes(self) -> float:
        """Minutes of the window that have data (0 when none)."""
        return max(0.0, (self.end - self.start).total_seconds() / 60 - self.no_data_minutes)

    @property
    def down_minutes(self) -> float:
        """Weighted downtime: major minutes plus 0.3 × partial minutes."""
        return self.major_minutes + PARTIAL_WEIGHT * self.partial_minutes

    @property
    def ratio(self) -> float | None:
        """The formula's value in [0, 1]; None when the window holds no data."""
        if self.window_minutes <= 0:
            return None
        return max(0.0, 1 - self.down_minutes / self.window_minutes)


def incident_spans(records: Iterable[IncidentRecord], now: dt.datetime) -> dict[str, list[Span]]:
    """Per service, the spans its incidents affected it: detection to resolution (``now`` while open).

    Records closed as a duplicate or a false alarm affected nothing and are left out.
    """
    spans: dict[str, list[Span]] = {}
    for record in records:
        if getattr(record, "closed_as", None):
            continue
        for start, end, severity in severity_segments(record, now):
            for service in record.services:
                spans.setdefault(service, []).append(Span(start, end, SEVERITY_IMPACT[severity]))
    return spans


def severity_segments(record: IncidentRecord, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, Severity]]:
    """The record's life cut where its severity changed: (start, end, severity in force)."""
    start = parse_timestamp(record.detected_at)
    end = parse_timestamp(record.resolved_at) if record.resolved_at else max(start, now)
    changes = sorted((parse_timestamp(e.at), e) for e in record.timeline
                     if e.kind == "severity_change" and e.severity_to)
    detected = next((e.severity for e in record.timeline if e.kind == "detected" and e.severity), None)
    first_from = changes[0][1].severity_from if changes else None
    severity: Severity = detected or first_from or record.severity
    segments: list[tuple[dt.datetime, dt.datetime, Severity]] = []
    cursor = start
    for at, event in changes:
        at = min(max(at, start), end)
        if at > cursor:
            segments.append((cursor, at, severity))
            cursor = at
        if event.severity_to:
            severity = event.severity_to
    if end > cursor:
        segments.append((cursor, end, severity))
    return segments


def worst_minutes(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> dict[SpanKind, float]:
    """Minutes within ``[start, end)`` at each impact, every instant counted once at its worst impact."""
    edges: list[tuple[dt.datetime, int, SpanKind]] = []
    for span in spans:
        lo, hi = max(span.start, start), min(span.end, end)
        if hi > lo:
            edges.append((lo, 1, span.impact))
            edges.append((hi, -1, span.impact))
    edges.sort(key=lambda edge: edge[0])
    totals: dict[SpanKind, float] = dict.fromkeys(KINDS, 0.0)
    active: dict[SpanKind, int] = dict.fromkeys(KINDS, 0)
    previous: dt.datetime | None = None
    for at, delta, impact in edges:
        if previous is not None and at > previous:
            worst = max((k for k in KINDS if active[k] > 0), key=RANK.__getitem__, default=None)
            if worst is not None:
                totals[worst] += (at - previous).total_seconds() / 60
        active[impact] += delta
        previous = at
    return totals


def uptime(spans: Sequence[Span], start: dt.datetime, end: dt.datetime, *,
           data_from: dt.datetime | None = None) -> Uptime:
    """Uptime of one service over ``[start, end)``, counted from ``data_from`` when that is later.

    Time before the first data is not counted as up: the window shrinks to what is known, and so do
    ``no_data`` spans (gaps in the watch's history). An incident record is data for its whole UTC day, so
    an incident before ``data_from`` moves the start to that day.
    """
    known_from = start if data_from is None else max(start, data_from)
    earliest_span = min((s.start for s in spans if s.end > start and s.start < end and s.impact != "no_data"),
                        default=None)
    if earliest_span is not None and earliest_span < known_from:
        known_from = max(start, day_start(earliest_span))
    minutes = worst_minutes(spans, known_from, end)
    return Uptime(start=min(known_from, end), end=end, major_minutes=minutes["major_outage"],
                  partial_minutes=minutes["partial_outage"], degraded_minutes=minutes["degraded_performance"],
                  maintenance_minutes=minutes["under_maintenance"], no_data_minutes=minutes["no_data"])


def day_start(at: dt.datetime) -> dt.datetime:
    """Midnight UTC of ``at``'s day."""
    day = at.astimezone(dt.UTC).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def data_start(records: Iterable[IncidentRecord], watched_from: dt.datetime | None) -> dt.datetime | None:
    """When a service's data starts: the earliest of the UTC day of the first incident record (records are
    data from that day on) and the start of the watch's history; None when there is neither.

    The status page and the metrics both use it, so the same window gives the same figure in both.
    """
    first = min((parse_timestamp(r.detected_at) for r in records if not getattr(r, "closed_as", None)), default=None)
    starts = [t for t in (day_start(first) if first is not None else None, watched_from) if t is not None]
    return min(starts) if starts else None


def daily_uptime(spans: Sequence[Span], days: int, now: dt.datetime, *,
                 data_from: dt.datetime | None = None) -> list[tuple[dt.date, Uptime | None]]:
    """The last ``days`` UTC days up to ``now`` (oldest first); None for a day with no data at all.

    A day is "no data" when it ends before ``data_from`` and no span touches it: never shown as green.
    """
    today = now.astimezone(dt.UTC).date()
    out: list[tuple[dt.date, Uptime | None]] = []
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        begin = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        day_end = min(begin + DAY, now)
        touching = [s for s in spans if s.start < day_end and s.end > begin]
        if touching and all(s.impact == "no_data" for s in touching) and (data_from is None or data_from >= day_end):
            touching = []
        no_data_yet = data_from is None or data_from >= day_end
        if no_data_yet and not touching:
            out.append((day, None))
            continue
        out.append((day, uptime(touching, begin, day_end, data_from=data_from)))
    return out


def format_percent(ratio: float | None) -> str:
    """``99.98%``, rounded down so any downtime never shows as ``100.00%``; ``no data`` for None."""
    if ratio is None:
        return "no data"
    if ratio >= 1:
        return "100%"
    return f"{math.floor(ratio * 10_000) / 100:.2f}%"
