"""Live status checks that do not lie: concurrent, bounded, re-checked before anything is called down.

Modules: ``addresses`` (is an IP public, in every spelling), ``targets`` (what may be probed),
``transport`` (policy-checked fresh connections), ``body`` (bounded decompression), ``health``
(expectations and application/health+json), ``loop_lag`` (our own stalls), ``checker`` (attempts,
re-checks, sweeps), ``rollup`` (overall state and severity hint), ``models`` (the results).
"""

from incident_mcp.status.checker import Checker, CheckOptions, check_targets, classify_error, deadline_seconds
from incident_mcp.status.models import (
    CheckTarget,
    Finding,
    Overall,
    Reason,
    ServiceResult,
    SeverityHint,
    State,
    StatusCounts,
    StatusReport,
)
from incident_mcp.status.rollup import overall_state, severity_hint
from incident_mcp.status.targets import (
    TargetPolicy,
    parse_target_url,
    select_targets,
    service_targets,
    url_targets,
)

__all__ = [
    "CheckOptions",
    "CheckTarget",
    "Checker",
    "Finding",
    "Overall",
    "Reason",
    "ServiceResult",
    "SeverityHint",
    "State",
    "StatusCounts",
    "StatusReport",
    "TargetPolicy",
    "check_targets",
    "classify_error",
    "deadline_seconds",
    "overall_state",
    "parse_target_url",
    "select_targets",
    "service_targets",
    "severity_hint",
    "url_targets",
]
