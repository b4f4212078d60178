"""The numbers across incidents: definitions, duration statistics, DORA figures, uptime and error budget.

Modules: ``definitions`` (the text of every definition), ``durations`` (n, mean, median, nearest-rank p90),
``report`` (reading the records and computing every figure), ``text`` (the CLI rendering with trends).
"""

from incident_mcp.metrics.durations import DurationStats, median, nearest_rank
from incident_mcp.metrics.report import MetricsReport, incident_metrics
from incident_mcp.metrics.text import format_report

__all__ = ["DurationStats", "MetricsReport", "format_report", "incident_metrics", "median", "nearest_rank"]
