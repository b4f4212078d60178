"""The page's components: per public service its current status, uptime figures and 90 daily bars, from the
incident records, the maintenance windows and the watch's observations (see ``uptime.py`` for the formula).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from incident_mcp.config import MaintenanceWindow, ServiceConfig
from incident_mcp.incidents import IncidentRecord
from incident_mcp.incidents.document import short_duration
from incident_mcp.statuspage.public import (
    SEVERITY_STATUS,
    STATUS_LABEL,
    ComponentStatus,
    clean_line,
    display_date,
    worst_status,
)
from incident_mcp.uptime import (
    DAY,
    Span,
    Uptime,
    daily_uptime,
    data_start,
    day_start,
    format_percent,
    incident_spans,
    uptime,
)

BAR_DAYS = 90
WINDOWS = (90, 30, 7)


@dataclass(frozen=True)
class DayBar:
    """One day of a component's uptime bar."""

    date: str
    level: str  # a component status, or "no_data"
    percent: str
    text: str  # the day's text alternative: date, figure, what happened


@dataclass(frozen=True)
class UptimeFigure:
    """The formula's value over the last ``days`` UTC days (today included)."""

    days: int
    percent: str
    ratio: float | None
    major_minutes: float
    partial_minutes: float
    window_minutes: float


@dataclass(frozen=True)
class Component:
    """A configured public service as the page shows it."""

    id: str
    name: str
    position: int
    status: ComponentStatus
    status_label: str
    uptime: tuple[UptimeFigure, ...]
    bars: tuple[DayBar, ...]
    bars_summary: str

    @property
    def uptime_90(self) -> UptimeFigure:
        """The 90-day figure shown under the bars and on the badge."""
        return self.uptime[0]


def _minutes_text(minutes: float) -> str:
    return short_duration(dt.timedelta(minutes=round(minutes)))


def _level(figure: Uptime) -> str:
    if figure.major_minutes > 0:
        return "major_outage"
    if figure.partial_minutes > 0:
        return "partial_outage"
    if figure.degraded_minutes > 0:
        return "degraded_performance"
    if figure.maintenance_minutes > 0:
        return "under_maintenance"
    return "operational"


def _day_text(day: dt.date, figure: Uptime | None) -> str:
    if figure is None or figure.ratio is None:
        return f"{display_date(day)}: no data"
    parts = [(figure.major_minutes, "major outage"), (figure.partial_minutes, "partial outage"),
             (figure.degraded_minutes, "degraded performance"), (figure.maintenance_minutes, "maintenance")]
    happened = [f"{_minutes_text(minutes)} {what}" for minutes, what in parts if minutes >= 0.5]
    tail = ", ".join(happened) if happened else "no incidents"
    return f"{display_date(day)}: {format_percent(figure.ratio)} uptime, {tail}"


def _bars(spans: Sequence[Span], now: dt.datetime, data_from: dt.datetime) -> tuple[tuple[DayBar, ...], str]:
    bars: list[DayBar] = []
    for day, figure in daily_uptime(spans, BAR_DAYS, now, data_from=data_from):
        level = "no_data" if figure is None or figure.ratio is None else _level(figure)
        bars.append(DayBar(date=day.isoformat(), level=level,
                           percent=format_percent(figure.ratio if figure else None), text=_day_text(day, figure)))
    eventful = [bar for bar in bars if bar.level not in ("operational", "no_data")]
    missing = sum(bar.level == "no_data" for bar in bars)
    summary = [f"{len(eventful)} of the last {BAR_DAYS} days with incidents or maintenance"]
    if eventful:
        listed = "; ".join(bar.text for bar in eventful[-5:])
        summary.append(("most recent: " if len(eventful) > 5 else "") + listed)
    if missing:
        summary.append(f"{missing} days without data")
    return tuple(bars), ". ".join(summary) + "."


def _figures(spans: Sequence[Span], now: dt.datetime, data_from: dt.datetime) -> tuple[UptimeFigure, ...]:
    figures: list[UptimeFigure] = []
    for days in WINDOWS:
        start = day_start(now) - (days - 1) * DAY
        figure = uptime(spans, start, now, data_from=data_from)
        figures.append(UptimeFigure(days=days, percent=format_percent(figure.ratio), ratio=figure.ratio,
                                    major_minutes=figure.major_minutes, partial_minutes=figure.partial_minutes,
                                    window_minutes=figure.window_minutes))
    return tuple(figures)


def _maintenance_spans(windows: Iterable[MaintenanceWindow], now: dt.datetime) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {}
    for window in windows:
        if window.start >= now:
            continue
        for service in window.services:
            spans.setdefault(service, []).append(Span(window.start, min(window.end, now), "under_maintenance",
                                                      source="maintenance"))
    return spans


def _current_status(service: str, open_records: Sequence[IncidentRecord], observed: Sequence[Span],
                    windows: Sequence[MaintenanceWindow], now: dt.datetime) -> ComponentStatus:
    statuses: list[str] = [SEVERITY_STATUS[r.severity] for r in open_records if service in r.services]
    statuses += [s.impact for s in observed if s.impact != "no_data" and s.start <= now <= s.end]
    if any(w.covers(service, now) for w in windows):
        statuses.append("under_maintenance")
    return worst_status(statuses)


def build_components(public: Mapping[str, ServiceConfig], now: dt.datetime, *, records: Sequence[IncidentRecord],
                     detected: Sequence[IncidentRecord], windows: Sequence[MaintenanceWindow],
                     observed: Mapping[str, Sequence[Span]],
                     data_from: Mapping[str, dt.datetime]) -> tuple[Component, ...]:
    """The public services in configured order. ``records`` are the real incidents (their first one starts
    the data), ``detected`` those of them detected by ``now`` (they make the spans and the current status)."""
    spans = incident_spans(detected, now)
    maintenance = _maintenance_spans(windows, now)
    open_records = [r for r in detected if r.is_open]
    components: list[Component] = []
    for position, service in enumerate(public.values(), start=1):
        watched = list(observed.get(service.name, ()))
        merged = [*spans.get(service.name, ()), *maintenance.get(service.name, ()), *watched]
        known_from = data_start(records, data_from.get(service.name)) or now
        status = _current_status(service.name, open_records, watched, windows, now)
        bars, summary = _bars(merged, now, known_from)
        components.append(Component(id=service.name, name=clean_line(service.public_name) or service.name,
                                    position=position, status=status, status_label=STATUS_LABEL[status],
                                    uptime=_figures(merged, now, known_from), bars=bars, bars_summary=summary))
    return tuple(components)
