"""The status page as data: a pure function of the config, the incident records, the watch's history and ``now``.

Every renderer (HTML, JSON, feeds, badges) reads only this model, and the model holds only public text
(see ``public.py``), so no renderer and no workspace template override can leak a note or a root cause.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from incident_mcp.config import CompanyConfig, MaintenanceWindow, ServiceConfig
from incident_mcp.incidents import IncidentRecord
from incident_mcp.incidents.document import short_duration
from incident_mcp.incidents.events import state_after
from incident_mcp.incidents.record import IncidentState
from incident_mcp.incidents.record import parse_timestamp as _parse_timestamp
from incident_mcp.statuspage.components import BAR_DAYS, WINDOWS, Component, build_components
from incident_mcp.statuspage.public import (
    IMPACT_LABEL,
    INDICATOR_RANK,
    OVERALL_DESCRIPTION,
    SEVERITY_IMPACT,
    STATE_LABEL,
    STATUS_INDICATOR,
    STATUS_LABEL,
    Indicator,
    clean_line,
    clean_text,
    display_time,
    generic_title,
    iso,
    worst_status,
)
from incident_mcp.uptime import DAY, FORMULA, Span, severity_segments

# Records repeat the same few timestamps many times (sorting, segments, updates): parse each text once.
parse_timestamp = functools.lru_cache(maxsize=1 << 16)(_parse_timestamp)
PAST_DAYS = 90


@dataclass(frozen=True)
class SourceRecord:
    """One incident record as read: the typed record and its raw frontmatter (fields other branches add)."""

    record: IncidentRecord
    meta: Mapping[str, Any]

    @property
    def closed_as(self) -> str | None:
        """``duplicate`` or ``false_alarm`` when the record was closed as not a real incident."""
        value = getattr(self.record, "closed_as", None) or self.meta.get("closed_as")
        return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class ComponentRef:
    """A public component as an incident or a maintenance names it."""

    id: str
    name: str


@dataclass(frozen=True)
class Update:
    """One public update of an incident: a communication event as it was posted."""

    id: str
    incident_id: str
    status: str
    status_label: str
    body: str
    at: dt.datetime
    at_iso: str
    at_text: str
    components: tuple[ComponentRef, ...]


@dataclass(frozen=True)
class PublicIncident:
    """An incident as customers see it: public name, impact, state, times, components and updates."""

    id: str
    name: str
    status: str
    status_label: str
    impact: Indicator
    impact_label: str
    summary: str
    is_open: bool
    started_at: dt.datetime
    started_iso: str
    started_text: str
    updated_iso: str
    monitoring_iso: str | None
    resolved_iso: str | None
    resolved_text: str
    duration_text: str
    components: tuple[ComponentRef, ...]
    updates: tuple[Update, ...]  # newest first
    page: str  # path of its page inside the site


@dataclass(frozen=True)
class Maintenance:
    """A configured maintenance window as customers see it (public components only)."""

    id: str
    name: str
    status: str  # scheduled | in_progress | completed
    status_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    starts_iso: str
    ends_iso: str
    starts_text: str
    ends_text: str
    components: tuple[ComponentRef, ...]


@dataclass(frozen=True)
class Site:
    """Everything every output of the status page is built from."""

    name: str
    url: str  # where the site is hosted ("" when not configured: links stay relative)
    now: dt.datetime
    now_iso: str
    now_text: str
    indicator: Indicator
    description: str
    banner_level: str  # the worst component status (colours the banner)
    components: tuple[Component, ...]
    incidents: tuple[PublicIncident, ...]  # every published incident, newest first
    open_incidents: tuple[PublicIncident, ...]
    past_incidents: tuple[PublicIncident, ...]  # resolved within the last PAST_DAYS days
    maintenances: tuple[Maintenance, ...]
    upcoming_maintenances: tuple[Maintenance, ...]  # scheduled or in progress
    formula: str
    bar_days: int
    windows: tuple[int, ...]
    past_days: int
    legend: tuple[tuple[str, str], ...]  # (level, label)


# ---- incidents ---------------------------------------------------------------------------------------------


def _public_updates(record: IncidentRecord, refs: tuple[ComponentRef, ...],
                    now: dt.datetime) -> tuple[list[Update], dt.datetime | None]:
    """The record's communication events as updates (oldest first), and when it first reached monitoring."""
    state: IncidentState = "investigating"
    monitoring_at: dt.datetime | None = None
    updates: list[Update] = []
    seen: dict[str, int] = {}
    events = sorted(record.timeline, key=lambda e: parse_timestamp(e.at))
    for index, event in enumerate(events):
        at = parse_timestamp(event.at)
        if at > now:
            break
        state = state_after(event, state)
        if state == "monitoring" and monitoring_at is None:
            monitoring_at = at
        if event.kind != "communication":
            continue
        for same in events[index + 1:]:  # "resolved" and its announcement in the same second: it says resolved
            if parse_timestamp(same.at) != at:
                break
            state = state_after(same, state)
        body = clean_text(event.text)
        if not body:
            continue
        stamp = at.strftime("%Y%m%dT%H%M%SZ")
        seen[stamp] = seen.get(stamp, 0) + 1
        suffix = f"-{seen[stamp]}" if seen[stamp] > 1 else ""
        updates.append(Update(id=f"{record.id}-{stamp}{suffix}", incident_id=record.id, status=state,
                              status_label=STATE_LABEL[state], body=body, at=at, at_iso=iso(at),
                              at_text=display_time(at), components=refs))
    return updates, monitoring_at


def _public_incident(source: SourceRecord, public: Mapping[str, ServiceConfig], now: dt.datetime) -> PublicIncident:
    record = source.record
    refs = tuple(ComponentRef(name, public[name].public_name) for name in dict.fromkeys(record.services)
                 if name in public)
    worst = min((severity for _, _, severity in severity_segments(record, now)), default=record.severity)
    impact = SEVERITY_IMPACT[worst]
    title = clean_line(source.meta.get("public_title"))
    name = title or generic_title(impact, [ref.name for ref in refs])
    started = parse_timestamp(record.detected_at)
    resolved = parse_timestamp(record.resolved_at) if record.resolved_at and not record.is_open else None
    updates, monitoring_at = _public_updates(record, refs, now)
    updated = max([started, *(u.at for u in updates), *([resolved] if resolved else [])])
    return PublicIncident(
        id=record.id, name=name, status=record.incident_state, status_label=STATE_LABEL[record.incident_state],
        impact=impact, impact_label=IMPACT_LABEL[impact], summary=clean_text(source.meta.get("public_summary")),
        is_open=record.is_open, started_at=started, started_iso=iso(started), started_text=display_time(started),
        updated_iso=iso(updated), monitoring_iso=iso(monitoring_at) if monitoring_at else None,
        resolved_iso=iso(resolved) if resolved else None,
        resolved_text=display_time(resolved) if resolved else "",
        duration_text=short_duration((resolved or now) - started), components=refs,
        updates=tuple(reversed(updates)), page=f"incidents/{record.id}.html")


def published(source: SourceRecord, public: Mapping[str, ServiceConfig], now: dt.datetime) -> bool:
    """Whether a record appears on the page at all.

    Not when it was closed as a duplicate or false alarm, not before it was detected, and not when every
    service it lists is hidden (or unknown): its existence would say something about a hidden service.
    """
    record = source.record
    if source.closed_as or parse_timestamp(record.detected_at) > now:
        return False
    return not record.services or any(name in public for name in record.services)


def _maintenance(index: int, window: MaintenanceWindow, public: Mapping[str, ServiceConfig],
                 now: dt.datetime) -> Maintenance | None:
    refs = tuple(ComponentRef(name, public[name].public_name) for name in dict.fromkeys(window.services)
                 if name in public)
    if not refs:
        return None
    status = "scheduled" if now < window.start else "in_progress" if now < window.end else "completed"
    label = {"scheduled": "Scheduled", "in_progress": "In progress", "completed": "Completed"}[status]
    return Maintenance(
        id=f"maintenance-{window.start:%Y%m%dT%H%MZ}-{index + 1}",
        name=clean_line(window.reason) or "Scheduled maintenance", status=status, status_label=label,
        starts_at=window.start, ends_at=window.end, starts_iso=iso(window.start), ends_iso=iso(window.end),
        starts_text=display_time(window.start), ends_text=display_time(window.end), components=refs)


# ---- the site -------------------------------------------------------------------------------------------------


def build_site(config: CompanyConfig, records: Sequence[SourceRecord], now: dt.datetime, *,
               observed: Mapping[str, Sequence[Span]] | None = None,
               data_from: Mapping[str, dt.datetime] | None = None) -> Site:
    """The status page for ``now``: a pure function of its arguments.

    ``observed`` holds the watch's spans per service and ``data_from`` when its history of each service
    starts; without them the incident records are the only data, from the day of the first record.
    """
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    section = config.incident_response
    public = {s.name: s for s in section.services if s.public}
    real = [source.record for source in records if not source.closed_as]
    components = build_components(public, now, records=real,
                                  detected=[r for r in real if parse_timestamp(r.detected_at) <= now],
                                  windows=section.maintenance, observed=observed or {}, data_from=data_from or {})
    incidents = sorted((_public_incident(s, public, now) for s in records if published(s, public, now)),
                       key=lambda i: (i.started_at, i.id), reverse=True)
    open_incidents = tuple(i for i in incidents if i.is_open)
    horizon = now - PAST_DAYS * DAY
    past = tuple(i for i in incidents if not i.is_open and parse_timestamp(i.resolved_iso or i.started_iso) >= horizon)
    maintenances = tuple(m for index, window in enumerate(section.maintenance)
                         if (m := _maintenance(index, window, public, now)) is not None)
    maintenances = tuple(sorted(maintenances, key=lambda m: (m.starts_at, m.id)))
    indicator, banner, description = _overall(open_incidents, components)
    company = clean_line(config.company.name)
    url = section.status_page.url.strip()
    return Site(
        name=f"{company} status" if company else "Status",
        url=url if url.startswith(("https://", "http://")) else "",
        now=now, now_iso=iso(now), now_text=display_time(now), indicator=indicator, description=description,
        banner_level=banner, components=components, incidents=tuple(incidents),
        open_incidents=open_incidents, past_incidents=past, maintenances=maintenances,
        upcoming_maintenances=tuple(m for m in maintenances if m.status != "completed"),
        formula=FORMULA, bar_days=BAR_DAYS, windows=WINDOWS, past_days=PAST_DAYS,
        legend=tuple((level, STATUS_LABEL[level]) for level in ("operational", "degraded_performance",
                                                                "partial_outage", "major_outage",
                                                                "under_maintenance", "no_data")))


def _overall(open_incidents: Sequence[PublicIncident], components: Sequence[Component]) -> tuple[Indicator, str, str]:
    """The page's indicator, banner level and headline: the worst of the open incidents and the components.

    An open incident on operational components still colours the banner by its impact.
    """
    indicator: Indicator = "none"
    for candidate in [*(i.impact for i in open_incidents), *(STATUS_INDICATOR[c.status] for c in components)]:
        if INDICATOR_RANK[candidate] > INDICATOR_RANK[indicator]:
            indicator = candidate
    banner: str = worst_status([c.status for c in components])
    description = OVERALL_DESCRIPTION[indicator]
    if indicator == "none" and banner == "under_maintenance":
        description = "Service Under Maintenance"
    if indicator != "none" and banner == "operational":
        banner = {"minor": "degraded_performance", "major": "partial_outage", "critical": "major_outage"}[indicator]
    return indicator, banner, description
