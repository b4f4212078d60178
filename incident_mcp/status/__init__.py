"""Live status checks that do not lie: concurrent, bounded, re-checked before anything is called down.

Modules: ``addresses`` (is an IP public, in every spelling), ``targets`` (what may be probed),
``transport`` (policy-checked fresh connections, certificate days), ``body`` (bounded decompression),
``health`` (expectations and application/health+json), ``causes`` (why a request failed),
``loop_lag`` (our own stalls), ``options`` (a sweep's knobs and limits, a check's deadline), ``checker``
(one check: attempts, re-check, verdict), ``sweep`` (all checks at once), ``rollup`` (overall state and
severity hint), ``models`` (the results).
"""

from incident_mcp.status.causes import classify_error
from incident_mcp.status.checker import Checker
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
from incident_mcp.status.options import CheckOptions, deadline_seconds
from incident_mcp.status.rollup import overall_state, severity_hint
from incident_mcp.status.sweep import ProgressCallback, check_targets
from incident_mcp.status.targets import (
    TargetPolicy,
    parse_target_url,
    select_targets,
    service_targets,
    unchecked_services,
    url_targets,
)

__all__ = [
    "CheckOptions",
    "CheckTarget",
    "Checker",
    "Finding",
    "Overall",
    "ProgressCallback",
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
    "unchecked_services",
    "url_targets",
]
