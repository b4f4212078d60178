"""The numbers across incidents: counts, time to acknowledge / mitigate / resolve, time in each state, DORA's
change fail rate and failed deployment recovery time, uptime per service and the SLO error budget.

Every figure carries its definition (``definitions.py``). Records are read once; a record that cannot be
read is reported in ``skipped`` and left out. The watch's observations come in as a plain parameter
(per service a list of ``uptime.Span``, plus when its data starts), so this module does not depend on it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from incident_mcp.changes.cause import cause_matches
from incident_mcp.changes.deploylog import Deploy, read_deploys
from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.errors import IncidentMCPError, LearnError
from incident_mcp.incidents.events import replay
from incident_mcp.incidents.record import (
    format_timestamp,
    incident_files,
    parse_timestamp,
    utc_now,
)
from incident_mcp.metrics import definitions as defs
from incident_mcp.metrics.durations import DurationStats, median, stats
from incident_mcp.metrics.records import LoadedRecord, load_record
from incident_mcp.severity import LEVELS
from incident_mcp.uptime import Span, data_start, format_percent, incident_spans, uptime
from incident_mcp.watch.history import observed_spans
from incident_mcp.workspace import Workspace

DEFAULT_DAYS = 30
CLOSED_AS = ("duplicate", "false_alarm")
STATES_TIMED = ("investigating", "identified", "monitoring")
MAX_SKIPPED = 20


def _none(value: Any) -> bool:
    return value is None


def _empty(value: Any) -> bool:
    return not value


@dataclass(frozen=True)
class Entry:
    """One record as the metrics see it, with its detection time parsed once."""

    record: LoadedRecord
    detected: dt.datetime

    @property
    def closed_as(self) -> str:
        """``duplicate`` or ``false_alarm`` when the record was closed as one; empty for a real incident."""
        return self.record.closed_as

    @property
    def caused_by(self) -> str:
        """The deploy id or commit sha the record names as its cause (empty when none)."""
        return self.record.caused_by


class DurationMetric(BaseModel):
    """One duration figure, overall and per severity."""

    definition: str
    overall: DurationStats
    by_severity: dict[str, DurationStats] = Field(default_factory=dict, exclude_if=_empty)


class Counts(BaseModel):
    """How many incidents, by severity and service."""

    definition: str
    total: int
    still_open: int
    by_severity: dict[str, int]
    by_service: dict[str, int] = Field(default_factory=dict, exclude_if=_empty)
    closed_as: dict[str, int] = Field(default_factory=dict, exclude_if=_empty)  # not counted in total


class StateTime(BaseModel):
    """Minutes spent in each state."""

    definition: str
    total_minutes: dict[str, float]
    mean_minutes: dict[str, float] = Field(default_factory=dict, exclude_if=_empty)


class ChangeFailure(BaseModel):
    """DORA change fail rate and failed deployment recovery time."""

    definition: str
    deploys: int
    failed_deploys: list[str] = Field(default_factory=list, exclude_if=_empty)
    rate: float | None = Field(default=None, exclude_if=_none)  # failed ÷ deploys, 0..1
    recovery_definition: str
    recovery_median_minutes: float | None = Field(default=None, exclude_if=_none)
    recovery_n: int = 0
    notes: list[str] = Field(default_factory=list, exclude_if=_empty)


class ErrorBudget(BaseModel):
    """One SLO's budget over its own window ending at ``until``."""

    target_percent: float
    window_days: int
    budget_minutes: float
    used_minutes: float
    left_minutes: float
    used_percent: float


class ServiceUptime(BaseModel):
    """Uptime of one service over the period."""

    service: str
    uptime: str  # rounded down, e.g. 99.93%; 'no data' when the window holds none
    down_minutes: float  # major + 0.3 × partial outage minutes
    window_minutes: float
    error_budget: ErrorBudget | None = Field(default=None, exclude_if=_none)


class UptimeMetric(BaseModel):
    """Uptime per service and, where an SLO is set, its error budget."""

    definition: str
    error_budget_definition: str
    services: list[ServiceUptime]


class Trend(BaseModel):
    """One figure this period against the previous one."""

    figure: str
    now: float | None
    before: float | None
    direction: str  # better, worse, same or n/a (lower is better)


class Trends(BaseModel):
    """This period against the previous period of the same length."""

    definition: str
    previous_since: str
    previous_until: str
    figures: list[Trend]


class MetricsReport(BaseModel):
    """Every figure over [since, until), each with its definition."""

    since: str
    until: str
    period_rule: str
    statistics: str
    incidents: Counts
    time_to_acknowledge: DurationMetric
    time_to_mitigate: DurationMetric
    time_to_resolve: DurationMetric
    time_in_state: StateTime
    change_failure: ChangeFailure
    uptime: UptimeMetric
    trends: Trends
    skipped: list[str] = Field(default_factory=list, exclude_if=_empty)  # records that could not be read


def _time(value: str | dt.datetime | None, what: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(value)
    except ValueError as err:
        raise LearnError(f"{what}: {err}") from None


def read_entries(ws: Workspace) -> tuple[list[Entry], list[str]]:
    """Every readable incident record (raw ``closed_as`` / ``caused_by`` included) and the ones skipped."""
    entries: list[Entry] = []
    skipped: list[str] = []
    for _number, path in incident_files(ws):
        try:
            loaded = load_record(ws, path)
        except (IncidentMCPError, OSError, ValueError) as err:
            skipped.append(f"{path.name}: {str(err)[:300]}")
            continue
        entries.append(Entry(record=loaded, detected=_utc(loaded.detected_at)))
    return entries, skipped


def _utc(stamp: str) -> dt.datetime:
    """A canonical record timestamp (``2026-03-01T02:14:00Z``) as a datetime, fast."""
    return dt.datetime.fromisoformat(stamp) if stamp.endswith("Z") and len(stamp) == 20 else parse_timestamp(stamp)


def _minutes(start: dt.datetime, end: str | None) -> float | None:
    return None if end is None else (_utc(end) - start).total_seconds() / 60


def _duration(entries: Sequence[Entry], field: str, missing: str, definition: str) -> DurationMetric:
    def one(group: Sequence[Entry]) -> DurationStats:
        values: list[float] = []
        excluded: dict[str, list[str]] = {"closed as duplicate": [], "closed as false alarm": [], missing: []}
        for entry in group:
            if entry.closed_as:
                key = "closed as duplicate" if entry.closed_as == "duplicate" else "closed as false alarm"
                excluded[key].append(entry.record.id)
                continue
            value = _minutes(entry.detected, getattr(entry.record, field))
            if value is None:
                excluded[missing].append(entry.record.id)
            else:
                values.append(value)
        return stats(values, excluded)

    by_severity: dict[str, DurationStats] = {}
    for sev in LEVELS:
        group = [e for e in entries if e.record.severity == sev]
        if group:
            by_severity[sev] = one(group)
    return DurationMetric(definition=definition, overall=one(entries), by_severity=by_severity)


def _counts(entries: Sequence[Entry]) -> Counts:
    real = [e for e in entries if not e.closed_as]
    services = Counter(s for e in real for s in dict.fromkeys(e.record.services))
    return Counts(definition=defs.COUNTS, total=len(real), still_open=sum(e.record.is_open for e in real),
                  by_severity={sev: sum(e.record.severity == sev for e in real) for sev in LEVELS},
                  by_service=dict(sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))),
                  closed_as=dict(Counter(e.closed_as for e in entries if e.closed_as)))


def _state_time(entries: Sequence[Entry], now: dt.datetime) -> StateTime:
    totals = dict.fromkeys(STATES_TIMED, 0.0)
    real = [e for e in entries if not e.closed_as]
    for entry in real:
        for segment in replay(entry.record.as_events(), entry.record.detected_at).segments:
            if segment.state in totals:
                end = segment.end or max(now, segment.start)
                totals[segment.state] += (end - segment.start).total_seconds() / 60
    mean = {k: round(v / len(real), 1) for k, v in totals.items()} if real else {}
    return StateTime(definition=defs.TIME_IN_STATE, total_minutes={k: round(v, 1) for k, v in totals.items()},
                     mean_minutes=mean)


def _change_failure(deploys: Sequence[Deploy], all_entries: Sequence[Entry]) -> ChangeFailure:
    causes = [e for e in all_entries if e.caused_by and not e.closed_as]
    failed: list[str] = []
    recovery: list[float] = []
    matched: set[str] = set()
    for deploy in deploys:
        hits = [e for e in causes if cause_matches(e.caused_by, deploy.id, deploy.sha)]
        if hits:
            failed.append(deploy.id)
            for entry in hits:
                matched.add(entry.record.id)
                value = _minutes(entry.detected, entry.record.resolved_at)
                if value is not None:
                    recovery.append(value)
    notes = [f"{e.record.id} names {e.caused_by[:12]} as its cause, which is no deploy of this period"
             for e in causes if e.record.id not in matched][:10]
    return ChangeFailure(definition=defs.CHANGE_FAILURE_RATE, deploys=len(deploys), failed_deploys=failed,
                         rate=round(len(failed) / len(deploys), 4) if deploys else None,
                         recovery_definition=defs.RECOVERY_TIME,
                         recovery_median_minutes=round(median(recovery), 1) if recovery else None,
                         recovery_n=len(recovery), notes=notes)


def _uptime(entries: Sequence[Entry], config: CompanyConfig | None, since: dt.datetime, until: dt.datetime,
            now: dt.datetime, observed: Mapping[str, Sequence[Span]], data_from: Mapping[str, dt.datetime]
            ) -> UptimeMetric:
    records = [e.record.as_record() for e in entries if not e.closed_as]
    spans = incident_spans(records, min(now, until))
    names = [s.name for s in config.incident_response.services] if config else []
    names = names or sorted(spans)
    slo = config.incident_response.slo if config else {}
    rows: list[ServiceUptime] = []
    for name in names:
        service_spans = [*spans.get(name, []), *observed.get(name, [])]
        known_from = data_start(records, data_from.get(name)) or until  # nothing known: "no data", never 100 %
        measured = uptime(service_spans, since, until, data_from=known_from)
        budget = None
        if name in slo:
            target = slo[name]
            start = until - dt.timedelta(days=target.window_days)
            used = uptime(service_spans, start, until, data_from=known_from).down_minutes
            allowed = (1 - target.target / 100) * target.window_days * 1440
            budget = ErrorBudget(target_percent=target.target, window_days=target.window_days,
                                 budget_minutes=round(allowed, 1), used_minutes=round(used, 1),
                                 left_minutes=round(allowed - used, 1),
                                 used_percent=round(100 * used / allowed, 1) if allowed else 0.0)
        rows.append(ServiceUptime(service=name, uptime=format_percent(measured.ratio),
                                  down_minutes=round(measured.down_minutes, 1),
                                  window_minutes=round(measured.window_minutes, 1), error_budget=budget))
    return UptimeMetric(definition=defs.UPTIME, error_budget_definition=defs.ERROR_BUDGET, services=rows)


def _in(entries: Iterable[Entry], since: dt.datetime, until: dt.datetime) -> list[Entry]:
    return [e for e in entries if since <= e.detected < until]


def _trends(entries: Sequence[Entry], deploys: Sequence[Deploy],
            since: dt.datetime, until: dt.datetime, parts: dict[str, float | None]) -> Trends:
    length = until - since
    before_since, before_until = since - length, since
    old = _in(entries, before_since, before_until)
    old_deploys = [d for d in deploys if before_since <= d.when < before_until]
    old_cf = _change_failure(old_deploys, entries)
    old_parts = {
        "incidents": float(len([e for e in old if not e.closed_as])),
        "median time to acknowledge (min)": _duration(old, "acknowledged_at", "x", "").overall.median_minutes,
        "median time to resolve (min)": _duration(old, "resolved_at", "x", "").overall.median_minutes,
        "change fail rate": old_cf.rate,
    }
    figures = []
    for name, value in parts.items():
        before = old_parts[name]
        if value is None or before is None:
            direction = "n/a"
        else:
            direction = "same" if value == before else "better" if value < before else "worse"
        figures.append(Trend(figure=name, now=value, before=before, direction=direction))
    return Trends(definition=defs.TRENDS, previous_since=format_timestamp(before_since),
                  previous_until=format_timestamp(before_until), figures=figures)


def incident_metrics(ws: Workspace, *, since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
                     now: dt.datetime | None = None, observed: Mapping[str, Sequence[Span]] | None = None,
                     data_from: Mapping[str, dt.datetime] | None = None,
                     config: CompanyConfig | None = None) -> MetricsReport:
    """Every figure over ``[since, until)`` (default: the 30 days up to now).

    ``observed``: the watch's spans per service (kinds major_outage, degraded_performance,
    under_maintenance, no_data), with ``data_from`` per service: when its observations start; by default
    read from the watch's history (none there: uptime comes from the records alone).
    """
    now = utc_now(now)
    end = _time(until, "until") or now
    start = _time(since, "since") or end - dt.timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise LearnError(f"since ({format_timestamp(start)}) must be before until ({format_timestamp(end)})")
    if config is None:
        try:
            config = load_config(ws.config_path).config
        except IncidentMCPError:
            config = None
    if observed is None:
        seen = observed_spans(ws, until=end)
        observed = seen.spans
        data_from = seen.data_from if data_from is None else data_from
    entries, skipped = read_entries(ws)
    period = _in(entries, start, end)
    deploys = read_deploys(ws).deploys
    period_deploys = [d for d in deploys if start <= d.when < end]
    mtta = _duration(period, "acknowledged_at", "never acknowledged", defs.TIME_TO_ACKNOWLEDGE)
    mttm = _duration(period, "mitigated_at", "no mitigation recorded", defs.TIME_TO_MITIGATE)
    ttr = _duration(period, "resolved_at", "still open", defs.TIME_TO_RESOLVE)
    change = _change_failure(period_deploys, entries)
    counts = _counts(period)
    parts: dict[str, float | None] = {
        "incidents": float(counts.total),
        "median time to acknowledge (min)": mtta.overall.median_minutes,
        "median time to resolve (min)": ttr.overall.median_minutes,
        "change fail rate": change.rate,
    }
    return MetricsReport(
        since=format_timestamp(start), until=format_timestamp(end), period_rule=defs.PERIOD,
        statistics=defs.PERCENTILES, incidents=counts, time_to_acknowledge=mtta, time_to_mitigate=mttm,
        time_to_resolve=ttr, time_in_state=_state_time(period, now), change_failure=change,
        uptime=_uptime(entries, config, start, end, now, observed, data_from or {}),
        trends=_trends(entries, deploys, start, end, parts), skipped=skipped[:MAX_SKIPPED])
