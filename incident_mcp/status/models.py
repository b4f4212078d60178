"""What a status check reports: per-service results with a reason code, and the rollup of a sweep.

Results carry findings only — never a response body — so they are safe to hand to an agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from incident_mcp.config import Expectations

State = Literal["up", "degraded", "down", "unknown"]
Overall = Literal["operational", "degraded", "partial_outage", "major_outage", "unknown"]
Severity = Literal["P0", "P1", "P2", "P3"]

Reason = Literal[
    "ok",  # everything as expected
    "dns",  # the name does not resolve (down) or the resolver failed (unknown)
    "refused",  # nothing listens on the port
    "reset",  # the connection was reset or closed before a complete response
    "unreachable",  # no route to the host
    "network",  # our own machine has no route to that network (unknown, not the service)
    "timeout",  # no complete response within the deadline (or the down latency threshold)
    "tls",  # certificate verification or TLS handshake failed
    "tls_expiring",  # a certificate in the chain expires sooner than cert_min_days
    "status",  # a status code outside the expected ones
    "health",  # an application/health+json body said warn or fail
    "assertion",  # a body, JSON field or header condition did not hold
    "slow",  # a complete response, slower than degraded_ms
    "too_large",  # the body (after decompression) exceeded the cap
    "redirects",  # a redirect loop or too many redirects
    "blocked",  # the address may not be probed (private, loopback, metadata, non-http)
    "protocol",  # the server did not speak valid HTTP/1.1
    "overload",  # our own event loop stalled: timing verdicts would not be fair
    "not_checked",  # the sweep deadline passed before this check finished
    "error",  # an unexpected failure inside the checker
]

STATE_ORDER: dict[State, int] = {"up": 0, "unknown": 1, "degraded": 2, "down": 3}


@dataclass(frozen=True)
class CheckTarget:
    """One thing to probe: a configured service (``declared``) or an ad-hoc URL."""

    name: str
    url: str
    expect: Expectations = field(default_factory=Expectations)
    critical: bool = False
    declared: bool = False


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Finding(_Model):
    """One observation below the service level: a health+json check, a failed condition, a first attempt."""

    code: Reason
    state: State
    message: str
    component: str | None = None


class ServiceResult(_Model):
    """The verdict on one service (one URL): state, why, and the measurements behind it."""

    name: str
    url: str
    critical: bool = False
    state: State
    reason: Reason
    message: str = Field(description="one line for a human")
    status_code: int | None = None
    latency_ms: int | None = Field(default=None, description="the deciding attempt, redirects included")
    cert_days: float | None = Field(default=None, description="days until the earliest certificate in the "
                                                              "verified chain expires")
    flapping: bool = Field(default=False, description="a first attempt and its re-check disagreed")
    attempts: int = 0
    redirects: int = 0
    final_url: str | None = None
    findings: list[Finding] = Field(default_factory=list)


class SeverityHint(_Model):
    """A suggestion the agent can pass to classification; the human decides."""

    severity: Severity
    rule: str
    services: list[str]


class StatusCounts(_Model):
    """How many services ended in each state."""

    up: int = 0
    degraded: int = 0
    down: int = 0
    unknown: int = 0


class StatusReport(_Model):
    """One sweep: every service's result, the overall rollup and a severity hint."""

    checked_at: str
    duration_ms: int
    overall: Overall
    summary: str
    counts: StatusCounts
    severity_hint: SeverityHint | None = None
    partial: bool = Field(default=False, description="the sweep deadline cut some checks short")
    services: list[ServiceResult]
    notes: list[str] = Field(default_factory=list)
