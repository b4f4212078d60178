"""From per-service results to one overall state and a severity hint the agent can pass to classification.

The hint rules are data, checked in order; the first that matches names the suggested severity. They
follow the P0–P3 table of the runbook: a critical service down is a complete outage (P0), a non-critical
one down or a critical one degraded is a major feature broken (P1), and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from incident_mcp.status.models import (
    Overall,
    ServiceResult,
    Severity,
    SeverityHint,
    StatusCounts,
    StatusReport,
)


def _cert_only(result: ServiceResult) -> bool:
    """Degraded only because a certificate expires soon (nothing is broken yet)."""
    return result.reason == "tls_expiring" and all(f.code == "tls_expiring" for f in result.findings)


@dataclass(frozen=True)
class HintRule:
    """One row of the hint table: which results it picks, and the severity when it picks any."""

    severity: Severity
    rule: str
    picks: Callable[[ServiceResult], bool]
    needs_all_down: bool = False
    needs_all_critical: bool = False


HINT_RULES: tuple[HintRule, ...] = (
    HintRule("P0", "every critical service is down (complete outage)", lambda r: r.critical and r.state == "down",
             needs_all_critical=True),
    HintRule("P0", "a critical service is down (others are up: a core path is out)",
             lambda r: r.critical and r.state == "down"),
    HintRule("P0", "every checked service is down", lambda r: r.state == "down", needs_all_down=True),
    HintRule("P1", "a certificate in a chain expires within a day",
             lambda r: _cert_only(r) and r.cert_days is not None and r.cert_days < 1),
    HintRule("P1", "a service is down", lambda r: r.state == "down"),
    HintRule("P1", "a critical service is degraded (slow, failing checks or flapping)",
             lambda r: r.critical and r.state == "degraded" and not _cert_only(r)),
    HintRule("P2", "a non-critical service is degraded",
             lambda r: r.state == "degraded" and not _cert_only(r)),
    HintRule("P3", "a certificate expires soon (renew it before it breaks)", _cert_only),
)


def severity_hint(results: Sequence[ServiceResult]) -> SeverityHint | None:
    """The first hint rule that matches, with the services it matched; None when all is well."""
    for rule in HINT_RULES:
        picked = [r.name for r in results if rule.picks(r)]
        if not picked:
            continue
        if rule.needs_all_down and len(picked) != len(results):
            continue
        if rule.needs_all_critical and len(picked) != sum(1 for r in results if r.critical):
            continue
        return SeverityHint(severity=rule.severity, rule=rule.rule, services=picked)
    return None


def overall_state(results: Sequence[ServiceResult]) -> Overall:
    """operational / degraded / partial_outage / major_outage, or unknown when we could not tell."""
    if not results:
        return "unknown"
    down = [r for r in results if r.state == "down"]
    if down:
        # A service we could not judge counts as not down: "major" needs evidence, not absence of it.
        if any(r.critical for r in down) or len(down) == len(results):
            return "major_outage"
        return "partial_outage"
    if any(r.state == "degraded" for r in results):
        return "degraded"
    if any(r.state == "unknown" for r in results):
        return "unknown"
    return "operational"


def counts_of(results: Sequence[ServiceResult]) -> StatusCounts:
    """How many results are in each state."""
    tally = {"up": 0, "degraded": 0, "down": 0, "unknown": 0}
    for result in results:
        tally[result.state] += 1
    return StatusCounts(**tally)


_WORDS: dict[Overall, str] = {
    "operational": "All services operational",
    "degraded": "Degraded",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "unknown": "Status unknown",
}


def build_report(results: list[ServiceResult], *, checked_at: datetime, duration: float, partial: bool,
                 notes: list[str]) -> StatusReport:
    """The report of one sweep."""
    overall = overall_state(results)
    counts = counts_of(results)
    parts = [f"{n} {state}" for state, n in counts.model_dump().items() if n]
    summary = f"{_WORDS[overall]}: {', '.join(parts) or 'nothing checked'}"
    if overall == "operational":
        # Say what "all" covers: only the services checked, never the ones left out.
        names = [r.name for r in results]
        summary = (f"All checked services operational: {', '.join(names[:8])}{' …' if len(names) > 8 else ''} "
                   f"({len(names)} up)")
    flapping = [r.name for r in results if r.flapping]
    if flapping:
        summary += f"; flapping: {', '.join(flapping[:5])}{' …' if len(flapping) > 5 else ''}"
    return StatusReport(
        checked_at=checked_at.isoformat(timespec="seconds"), duration_ms=round(duration * 1000),
        overall=overall, summary=summary, counts=counts, severity_hint=severity_hint(results),
        partial=partial, services=results, notes=notes,
    )
