"""The metrics report as plain text for the terminal, ending with a short "Trends" section."""

from __future__ import annotations

from incident_mcp.metrics.durations import DurationStats
from incident_mcp.metrics.report import DurationMetric, MetricsReport


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:g} min"


def _stats(stats: DurationStats) -> str:
    if not stats.n:
        return "n=0"
    return (f"mean {_minutes(stats.mean_minutes)}, median {_minutes(stats.median_minutes)}, "
            f"p90 {_minutes(stats.p90_minutes)} (n={stats.n})")


def _duration(title: str, metric: DurationMetric) -> list[str]:
    lines = [f"{title}: {_stats(metric.overall)}", f"  = {metric.definition}"]
    for severity, stats in metric.by_severity.items():
        lines.append(f"  {severity}: {_stats(stats)}")
    for gone in metric.overall.excluded:
        lines.append(f"  excluded, {gone.reason}: {gone.count} ({', '.join(gone.ids)})")
    return lines


def format_report(report: MetricsReport) -> str:
    """Every figure with its definition, then the trends."""
    counts = report.incidents
    lines = [f"Incident metrics {report.since} → {report.until}", f"  {report.period_rule}",
             f"  Statistics: {report.statistics}", "",
             f"Incidents: {counts.total} ({counts.still_open} still open); "
             + ", ".join(f"{k} {v}" for k, v in counts.by_severity.items())]
    if counts.by_service:
        lines.append("  by service: " + ", ".join(f"{k} {v}" for k, v in counts.by_service.items()))
    if counts.closed_as:
        lines.append("  closed as (not counted): " + ", ".join(f"{k} {v}" for k, v in counts.closed_as.items()))
    lines.append("")
    lines += _duration("Time to acknowledge (MTTA)", report.time_to_acknowledge)
    lines += _duration("Time to mitigate (MTTM)", report.time_to_mitigate)
    lines += _duration("Time to resolve", report.time_to_resolve)
    state = report.time_in_state
    lines += ["", "Time in state: " + ", ".join(f"{k} {_minutes(v)} total" + (
        f" / {_minutes(state.mean_minutes[k])} mean" if k in state.mean_minutes else "")
        for k, v in state.total_minutes.items()), f"  = {state.definition}", ""]
    change = report.change_failure
    rate = f"{change.rate:.1%}" if change.rate is not None else "- (no deploys logged)"
    lines += [f"Change fail rate: {rate} ({len(change.failed_deploys)} of {change.deploys} deploys)",
              f"  = {change.definition}"]
    if change.failed_deploys:
        lines.append(f"  failed: {', '.join(change.failed_deploys)}")
    lines += [f"Failed deployment recovery time: {_minutes(change.recovery_median_minutes)} median "
              f"(n={change.recovery_n})", f"  = {change.recovery_definition}"]
    lines += [f"  note: {note}" for note in change.notes]
    lines += ["", "Uptime:", f"  = {report.uptime.definition}"]
    for row in report.uptime.services:
        line = f"  {row.service}: {row.uptime} ({_minutes(row.down_minutes)} down)"
        budget = row.error_budget
        if budget is not None:
            line += (f"; SLO {budget.target_percent:g}% / {budget.window_days} d: budget "
                     f"{_minutes(budget.budget_minutes)}, used {_minutes(budget.used_minutes)} "
                     f"({budget.used_percent:g}%), left {_minutes(budget.left_minutes)}")
        lines.append(line)
    if any(row.error_budget for row in report.uptime.services):
        lines.append(f"  = {report.uptime.error_budget_definition}")
    trends = report.trends
    lines += ["", f"Trends (against {trends.previous_since} → {trends.previous_until}):"]
    for trend in trends.figures:
        now = "-" if trend.now is None else f"{trend.now:g}"
        before = "-" if trend.before is None else f"{trend.before:g}"
        lines.append(f"  {trend.figure}: {now} (before {before}) {trend.direction}")
    lines += [f"skipped: {item}" for item in report.skipped]
    return "\n".join(lines) + "\n"
