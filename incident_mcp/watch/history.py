"""Check history the repository keeps: ``watch/history/<service>/<YYYY-MM>.json``, rolled up per UTC day.

Per day (times are seconds since 00:00 UTC of that day, intervals ``[start, end)``): ``observed``, the
stretches the watch ran (rounds that happened; the rest is *no data*, never up); ``spans``, the stretches
of ``major_outage`` (confirmed down, from the first failed round to the first healthy one),
``degraded_performance`` and ``under_maintenance``; ``rounds``, counts of up / degraded / down / unknown /
maintenance results; ``minutes`` per span kind; ``latency``, a histogram (bucket upper bound in ms → rounds)
with p50/p95/p99 (to bucket resolution) and max. One day per line, so a round changes one line of the git
diff; a few hundred bytes per service per day at a 60 s interval (``bench/watch_bench.py`` measures it).

Readers (status page, metrics) use :func:`observed_spans`; nothing else should parse these files.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_mcp.errors import WorkspaceError
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.uptime import Span, SpanKind
from incident_mcp.watch.state import WATCH_DIR
from incident_mcp.workspace import Workspace, atomic_write

HISTORY_DIR = f"{WATCH_DIR}/history"
HISTORY_VERSION = 1
DAY_SECONDS = 86_400
ROUND_KEYS = ("up", "degraded", "down", "unknown", "maintenance")
SPAN_KINDS: tuple[SpanKind, ...] = ("major_outage", "degraded_performance", "under_maintenance")
# Latency histogram bucket upper bounds (ms): about 1.5× apart, so a percentile is within one bucket.
BUCKETS: tuple[int, ...] = (5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000,
                            7500, 10_000, 15_000, 30_000, 60_000, 120_000)
MAX_HISTORY_BYTES = 5_000_000


@dataclass(frozen=True)
class RoundEntry:
    """What one round contributes to one service's history."""

    service: str
    health: str  # up / degraded / down / unknown (checker verdict)
    latency_ms: int | None = None
    kind: SpanKind | None = None  # the stretch this round belongs to (None: operational, or no data)
    since: dt.datetime | None = None  # back-date the stretch to here (the first failed round of a confirmed outage)
    maintenance: bool = False
    recovered_since: dt.datetime | None = None  # a confirmed recovery: the outage ended at its first healthy round


@dataclass(frozen=True)
class Observations:
    """What the watch saw, per service: impact spans (``source="watch"``, gaps as ``no_data``) and when
    its observations of each service begin."""

    spans: dict[str, list[Span]] = field(default_factory=dict)
    data_from: dict[str, dt.datetime] = field(default_factory=dict)


def _pieces(start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.date, int, int]]:
    """``[start, end)`` cut at UTC midnights: (day, start second, end second) per day."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    while start < end:
        midnight = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        stop = min(end, midnight)
        base = dt.datetime.combine(start.date(), dt.time(), dt.UTC)
        yield start.date(), int((start - base).total_seconds()), int((stop - base).total_seconds())
        start = stop


def _merge(items: list[list[int]], start: int, end: int, tolerance: int) -> None:
    """Add ``[start, end)`` to sorted, disjoint ``items`` in place, joining what it touches within ``tolerance``."""
    if items and items[-1][0] <= start <= items[-1][1] + tolerance:  # the usual case: the next round
        items[-1][1] = max(items[-1][1], end)
        return
    if not items or start > items[-1][1] + tolerance:
        items.append([start, end])
        return
    merged: list[list[int]] = []
    for lo, hi in sorted([*items, [start, end]]):
        if merged and lo <= merged[-1][1] + tolerance:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    items[:] = merged


def _cut(items: list[list[int]], start: int, end: int) -> None:
    """Take ``[start, end)`` out of ``items`` in place."""
    out: list[list[int]] = []
    for lo, hi in items:
        if hi <= start or lo >= end:
            out.append([lo, hi])
            continue
        if lo < start:
            out.append([lo, start])
        if hi > end:
            out.append([end, hi])
    items[:] = out


def _percentile(hist: dict[str, int], fraction: float) -> int | None:
    total = sum(hist.values())
    if not total:
        return None
    goal = fraction * total
    seen = 0
    for bound in sorted(hist, key=int):
        seen += hist[bound]
        if seen >= goal:
            return int(bound)
    return None


def _bucket(latency_ms: int) -> str:
    index = bisect.bisect_left(BUCKETS, latency_ms)
    return str(BUCKETS[min(index, len(BUCKETS) - 1)])


def _minutes(day: dict[str, Any]) -> dict[str, float]:
    return {kind: round(sum(hi - lo for lo, hi in items) / 60, 1)
            for kind, items in sorted(day.get("spans", {}).items()) if items}


def _day_lines(text: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The header and each day's JSON text, without parsing the days (the file is one day per line);
    None when the file is not laid out the way we write it (then it is parsed whole)."""
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 2 or lines[-1] != "}}" or not lines[0].endswith('"days": {'):
        return None
    try:
        head = json.loads(lines[0] + "}}")
        days: dict[str, str] = {}
        for line in lines[1:-1]:
            key, sep, rest = line.removesuffix(",").partition(": ")
            if not sep or not rest.startswith("{"):
                return None
            days[json.loads(key)] = rest
    except ValueError:
        return None
    return head, days


class MonthFile:
    """One service's month of history, loaded for a read-modify-write under the watch lock. Only the days
    a round touches are parsed and re-serialised; the others are kept as the text they were."""

    def __init__(self, ws: Workspace, service: str, month: str) -> None:
        self.ws = ws
        self.rel = f"{HISTORY_DIR}/{service}/{month}.json"
        self.service = service
        self.month = month
        self.days: dict[str, dict[str, Any]] = {}
        self.raw: dict[str, str] = {}
        self.interval = 60
        self.dirty = False
        path = ws.path(self.rel)
        if path.exists():
            text = _read_text(path, self.rel)
            split = _day_lines(text)
            if split is not None:
                head, self.raw = split
            else:
                head, self.days = read_month(text, self.rel)
            self.interval = int(head.get("interval", 60))

    def day(self, date: dt.date) -> dict[str, Any]:
        self.dirty = True
        key = date.isoformat()
        if key in self.raw:
            try:
                self.days[key] = dict(json.loads(self.raw.pop(key)))
            except (ValueError, TypeError) as err:
                raise WorkspaceError(f"{self.rel}: day {key} is not valid JSON ({err})") from None
        return self.days.setdefault(key, {})

    def save(self) -> None:
        if not self.dirty:
            return
        for day in self.days.values():
            day["spans"] = {kind: items for kind, items in day.get("spans", {}).items() if items}
            if not day["spans"]:
                del day["spans"]
            day["minutes"] = _minutes(day)
            if not day["minutes"]:
                del day["minutes"]
            hist = day.get("latency", {}).get("hist")
            if hist:
                day["latency"].update({"p50": _percentile(hist, 0.5), "p95": _percentile(hist, 0.95),
                                       "p99": _percentile(hist, 0.99)})
        head = json.dumps({"service": self.service, "month": self.month, "version": HISTORY_VERSION,
                           "interval": self.interval})[:-1]
        texts = {**self.raw, **{key: json.dumps(day, sort_keys=True, separators=(",", ":"))
                                for key, day in self.days.items()}}
        lines = [f"{json.dumps(key)}: {texts[key]}" for key in sorted(texts)]
        text = head + ', "days": {\n' + ",\n".join(lines) + "\n}}\n"
        atomic_write(self.ws.path(self.rel), text)


def _read_text(path: Path, rel: str) -> str:
    """A history file's text; a WorkspaceError naming the file when it is not UTF-8 (so not ours)."""
    return read_utf8(path, lambda why: WorkspaceError(f"{rel}: not a watch history file ({why})"))


def read_month(text: str, rel: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A month file's header fields and days; a WorkspaceError naming the file when it is not ours."""
    try:
        data = json.loads(text)
        days = {str(k): dict(v) for k, v in dict(data["days"]).items()}
    except (ValueError, TypeError, KeyError) as err:
        raise WorkspaceError(f"{rel}: not a watch history file ({err})") from None
    return {k: v for k, v in data.items() if k != "days"}, days


class HistoryWriter:
    """Collects one round's entries and writes each touched month file once."""

    def __init__(self, ws: Workspace, interval: int) -> None:
        self.ws = ws
        self.interval = interval
        self.tolerance = max(1, interval // 2)  # a round this late still joins the stretch before it
        self._files: dict[tuple[str, str], MonthFile] = {}

    def _file(self, service: str, date: dt.date) -> MonthFile:
        key = (service, f"{date:%Y-%m}")
        if key not in self._files:
            self._files[key] = MonthFile(self.ws, service, key[1])
            self._files[key].interval = self.interval
        return self._files[key]

    def add(self, at: dt.datetime, entry: RoundEntry) -> None:
        """Count the round, and extend coverage and the entry's stretch over ``[at, at + interval)``."""
        today = self._file(entry.service, at.date()).day(at.date())
        counts = today.setdefault("rounds", [0] * len(ROUND_KEYS))
        key = "maintenance" if entry.maintenance else entry.health
        counts[ROUND_KEYS.index(key if key in ROUND_KEYS else "unknown")] += 1
        if entry.latency_ms is not None and entry.health in ("up", "degraded"):
            latency = today.setdefault("latency", {})
            hist = latency.setdefault("hist", {})
            bucket = _bucket(entry.latency_ms)
            hist[bucket] = hist.get(bucket, 0) + 1
            latency["max"] = max(entry.latency_ms, latency.get("max", 0))
        end = at + dt.timedelta(seconds=self.interval)
        if entry.health != "unknown" or entry.maintenance:  # a round we could not judge is no data
            for date, lo, hi in _pieces(at, end):
                day = self._file(entry.service, date).day(date)
                _merge(day.setdefault("observed", []), lo, hi, self.tolerance)
        if entry.recovered_since is not None:
            for date, lo, hi in _pieces(min(entry.recovered_since, at), end):
                day = self._file(entry.service, date).day(date)
                _cut(day.setdefault("spans", {}).setdefault("major_outage", []), lo, hi)
        if entry.kind is not None:
            for date, lo, hi in _pieces(min(entry.since or at, at), end):
                day = self._file(entry.service, date).day(date)
                _merge(day.setdefault("spans", {}).setdefault(entry.kind, []), lo, hi, self.tolerance)

    def save(self) -> None:
        """Write every touched month file (atomically, one write each)."""
        for month in self._files.values():
            month.save()


def record_round(ws: Workspace, at: dt.datetime, interval: int, entries: Sequence[RoundEntry]) -> None:
    """Add one round to the history (call under the watch lock)."""
    writer = HistoryWriter(ws, interval)
    for entry in entries:
        writer.add(at, entry)
    writer.save()


def record_service(ws: Workspace, at: dt.datetime, interval: int, entry: RoundEntry) -> None:
    """Add one round of one service (safe to run for different services in parallel threads)."""
    record_round(ws, at, interval, [entry])


def _service_months(ws: Workspace) -> dict[str, list[str]]:
    root = ws.path(HISTORY_DIR)
    if not root.is_dir():
        return {}
    found: dict[str, list[str]] = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.is_symlink():
            months = sorted(p.name for p in folder.glob("????-??.json") if p.is_file() and not p.is_symlink())
            if months:
                found[folder.name] = months
    return found


def _day_start(key: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(key), dt.time(), dt.UTC)


Stretch = tuple[dt.datetime, dt.datetime, str]  # (start, end, "observed" or a span kind)


def _joined(stretches: list[Stretch]) -> list[Stretch]:
    """Stretches of the same kind that meet (across midnight) as one."""
    out: list[Stretch] = []
    for start, end, kind in sorted(stretches, key=lambda s: (s[2], s[0])):
        if out and out[-1][2] == kind and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end), kind)
        else:
            out.append((start, end, kind))
    return sorted(out, key=lambda s: s[0])


def observed_spans(ws: Workspace, *, until: dt.datetime) -> Observations:
    """Per service, what the watch saw up to ``until``: confirmed down (``major_outage``),
    ``degraded_performance``, ``under_maintenance``, and ``no_data`` for every gap in its rounds after the
    first one (time the watch did not run is never up)."""
    until = until.astimezone(dt.UTC)
    spans: dict[str, list[Span]] = {}
    data_from: dict[str, dt.datetime] = {}
    for service, months in _service_months(ws).items():
        covered, impacts = _stretches(ws, service, months)
        covered = [(s, min(e, until), k) for s, e, k in _joined(covered) if s < until]
        if not covered:
            continue
        data_from[service] = covered[0][0]
        result = [Span(start=s, end=min(e, until), impact=k, source="watch")  # type: ignore[arg-type]
                  for s, e, k in _joined(impacts) if s < until]
        spans[service] = sorted(result + _gaps(covered, until), key=lambda s: (s.start, s.end))
    return Observations(spans=spans, data_from=data_from)


def _stretches(ws: Workspace, service: str, months: Sequence[str]) -> tuple[list[Stretch], list[Stretch]]:
    """One service's history as read: the stretches the watch ran, and its impact stretches (not joined)."""
    covered: list[Stretch] = []
    impacts: list[Stretch] = []
    for month in months:
        rel = f"{HISTORY_DIR}/{service}/{month}"
        path = ws.path(rel)
        if path.stat().st_size > MAX_HISTORY_BYTES:
            raise WorkspaceError(f"{rel}: larger than {MAX_HISTORY_BYTES:,} bytes; not a file the watch wrote")
        _head, days = read_month(_read_text(path, rel), rel)
        for key, day in days.items():
            base = _day_start(key)
            for lo, hi in day.get("observed", []):
                covered.append((base + dt.timedelta(seconds=lo), base + dt.timedelta(seconds=hi), "observed"))
            for kind, items in dict(day.get("spans", {})).items():
                if kind in SPAN_KINDS:
                    impacts.extend((base + dt.timedelta(seconds=lo), base + dt.timedelta(seconds=hi), kind)
                                   for lo, hi in items)
    return covered, impacts


def _gaps(covered: Sequence[Stretch], until: dt.datetime) -> list[Span]:
    """``no_data`` spans for the time between the watch's stretches, and after the last one until ``until``."""
    gaps: list[Span] = []
    cursor = covered[0][0]
    for start, end, _ in covered:
        if start > cursor:
            gaps.append(Span(start=cursor, end=start, impact="no_data", source="watch"))
        cursor = max(cursor, end)
    if cursor < until:
        gaps.append(Span(start=cursor, end=until, impact="no_data", source="watch"))
    return gaps
