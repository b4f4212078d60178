"""Severity levels P0–P3 as data (the spec's table and triage procedures) and the rules that classify impact.

Pure: no I/O. Classification evaluates every rule, keeps every level that matched, and returns the
highest, applying the spec's "when unsure between two levels, choose the higher".

Choices the spec leaves open (documented in the README as well):

* Update cadence: P0 every 30 min and P1 every 2 h (spec); P2 once a day (its resolution target is
  24 h, so one update a day keeps affected users informed until then); P3 once a week.
* Acknowledge-by: P0 5 min, P1 30 min (spec); P2 4 *business* hours, counted Monday–Friday
  09:00–17:00 in ``incident_response.timezone`` (default UTC); P3 has no acknowledgement target.
* First communication: P0 15 min, P1 1 h (spec); P2 only "if applicable" (no due time); P3 none.
* Response time "Immediate, all hands" reads "Immediate: drop everything else" (the reader is alone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["P0", "P1", "P2", "P3"]
SEVERITIES: tuple[Severity, ...] = ("P0", "P1", "P2", "P3")
UsersAffected = Literal["all", "most", "some", "few", "none", "unknown"]
CoreFlow = Literal["payments", "auth", "signup"]
FeatureBroken = Literal["none", "minor", "major"]
# The overall result of a status check. Both vocabularies are accepted: Company OS's status-check
# (healthy / degraded / down) and check_status's rollup (operational / degraded / partial_outage / major_outage).
StatusRollup = Literal["healthy", "operational", "degraded", "partial_outage", "major_outage", "down", "unknown"]

SEVERE_LATENCY_MS = 10_000  # the spec's P1 example: "API response times >10s"
SLOW_LATENCY_MS = 2_000  # Company OS's status-check calls a response slower than 2 s DEGRADED


@dataclass(frozen=True)
class TriageStep:
    """One step of a severity's triage procedure; ``due_after`` counts from detection."""

    text: str
    due_after: dt.timedelta | None = None
    business_hours: bool = False


@dataclass(frozen=True)
class SeverityLevel:
    """One row of the severity table plus its triage procedure and time targets."""

    level: Severity
    name: str
    description: str
    examples: tuple[str, ...]
    response_time: str
    resolution_target: dt.timedelta
    acknowledge_within: dt.timedelta | None
    acknowledge_in_business_hours: bool
    first_communication_within: dt.timedelta | None
    update_every: dt.timedelta | None
    triage: tuple[TriageStep, ...]

    @property
    def label(self) -> str:
        """``P1 (High)``."""
        return f"{self.level} ({self.name})"


_MIN = dt.timedelta(minutes=1)
_HOUR = dt.timedelta(hours=1)

LEVELS: dict[Severity, SeverityLevel] = {
    "P0": SeverityLevel(
        level="P0", name="Critical",
        description="Complete service outage, data loss, security breach",
        examples=("Production database down", "Authentication broken for all users",
                  "Confirmed data exfiltration"),
        response_time="Immediate: drop everything else",
        resolution_target=1 * _HOUR,
        acknowledge_within=5 * _MIN, acknowledge_in_business_hours=False,
        first_communication_within=15 * _MIN,
        update_every=30 * _MIN,
        triage=(
            TriageStep("Acknowledge the incident within 5 minutes of detection", 5 * _MIN),
            TriageStep("Open a dedicated incident channel or document (this record is the document)"),
            TriageStep("Run a status check (check_status, or ./tools/ops/status-check.sh) against all "
                       "critical service URLs"),
            TriageStep("Determine blast radius: which users/features are affected"),
            TriageStep("Decide: rollback immediately or apply hotfix"),
            TriageStep("Execute the rollback checklist (rollback_plan) if rolling back"),
            TriageStep("Communicate status within 15 minutes of detection", 15 * _MIN),
            TriageStep("Continue updates every 30 minutes until resolved"),
        ),
    ),
    "P1": SeverityLevel(
        level="P1", name="High",
        description="Major feature broken, significant performance degradation, data integrity risk",
        examples=("Payment processing failing", "API response times >10s", "Primary replica out of sync"),
        response_time="Within 30 minutes",
        resolution_target=4 * _HOUR,
        acknowledge_within=30 * _MIN, acknowledge_in_business_hours=False,
        first_communication_within=1 * _HOUR,
        update_every=2 * _HOUR,
        triage=(
            TriageStep("Acknowledge within 30 minutes", 30 * _MIN),
            TriageStep("Run a status check (check_status, or ./tools/ops/status-check.sh) to assess scope"),
            TriageStep("Identify the failing component from logs/error tracking"),
            TriageStep("Determine if rollback is needed or if a targeted fix is faster"),
            TriageStep("Communicate initial assessment within 1 hour", 1 * _HOUR),
            TriageStep("Update every 2 hours until resolved"),
        ),
    ),
    "P2": SeverityLevel(
        level="P2", name="Medium",
        description="Minor feature broken, workaround exists, non-critical performance issue",
        examples=("Export feature timing out (manual workaround available)", "Dashboard loading slowly",
                  "Non-critical background job stalled"),
        response_time="Next business day",
        resolution_target=24 * _HOUR,
        acknowledge_within=4 * _HOUR, acknowledge_in_business_hours=True,
        first_communication_within=None,
        update_every=24 * _HOUR,
        triage=(
            TriageStep("Acknowledge within 4 hours (business hours)", 4 * _HOUR, business_hours=True),
            TriageStep("Document the issue and known workaround"),
            TriageStep("Schedule investigation for next available work session"),
            TriageStep("Communicate workaround to affected users if applicable"),
        ),
    ),
    "P3": SeverityLevel(
        level="P3", name="Low",
        description="Cosmetic issue, minor inconvenience, improvement opportunity",
        examples=("UI alignment off on one browser", "Tooltip text incorrect",
                  "Non-blocking deprecation warning in logs"),
        response_time="Next sprint",
        resolution_target=7 * 24 * _HOUR,
        acknowledge_within=None, acknowledge_in_business_hours=False,
        first_communication_within=None,
        update_every=7 * 24 * _HOUR,
        triage=(
            TriageStep("Log the issue in the backlog"),
            TriageStep("Prioritize during next sprint planning"),
            TriageStep("No immediate action required"),
        ),
    ),
}


def level(severity: str) -> SeverityLevel:
    """The table row for ``P0``…``P3`` (case-insensitive); ValueError names what is accepted."""
    key = severity.strip().upper() if isinstance(severity, str) else severity
    if key not in LEVELS:
        raise ValueError(f"severity {severity!r} is not one of P0, P1, P2, P3")
    return LEVELS[key]


def higher(a: Severity, b: Severity) -> Severity:
    """The more severe of two levels (P0 is the highest)."""
    return a if SEVERITIES.index(a) <= SEVERITIES.index(b) else b


# ---- business hours ------------------------------------------------------------------------------------

BUSINESS_START_HOUR = 9
BUSINESS_END_HOUR = 17


def add_business_hours(start: dt.datetime, duration: dt.timedelta, tz: dt.tzinfo) -> dt.datetime:
    """``start`` plus ``duration`` of business time (Mon–Fri 09:00–17:00 in ``tz``), returned in UTC.

    Time outside business hours does not count, so an incident detected on Saturday at 02:00 is
    due four hours into Monday morning.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    local = start.astimezone(tz)
    remaining = duration
    while True:
        day_start = local.replace(hour=BUSINESS_START_HOUR, minute=0, second=0, microsecond=0)
        day_end = local.replace(hour=BUSINESS_END_HOUR, minute=0, second=0, microsecond=0)
        if local.weekday() >= 5 or local >= day_end:
            local = _next_business_morning(local, tz)
            continue
        local = max(local, day_start)
        available = day_end - local
        if remaining <= available:
            return (local + remaining).astimezone(dt.UTC)
        remaining -= available
        local = _next_business_morning(local, tz)


def _next_business_morning(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    day = local.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(BUSINESS_START_HOUR), tzinfo=tz)


def acknowledge_due(severity: Severity, detected: dt.datetime, tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """When the incident must be acknowledged (None: no target for this severity)."""
    row = LEVELS[severity]
    if row.acknowledge_within is None:
        return None
    if row.acknowledge_in_business_hours:
        return add_business_hours(detected, row.acknowledge_within, tz)
    return detected + row.acknowledge_within


def step_due(step: TriageStep, detected: dt.datetime, tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """When a triage step is due, counted from detection (None: no due time)."""
    if step.due_after is None:
        return None
    if step.business_hours:
        return add_business_hours(detected, step.due_after, tz)
    return detected + step.due_after


# ---- classification -----------------------------------------------------------------------------------


class ImpactSignals(BaseModel):
    """What is known about the impact; leave a signal at its default when it is not known."""

    model_config = ConfigDict(extra="forbid")

    users_affected: UsersAffected = Field(
        default="unknown", description="Scope: how many users are affected (all, most, some, few, none, unknown)")
    outage: bool = Field(default=False, description="The product is completely unavailable")
    data_loss: bool = Field(default=False, description="Data was lost or corrupted")
    data_integrity_risk: bool = Field(
        default=False, description="Data may become inconsistent (e.g. replica out of sync) but none lost yet")
    security_breach: bool = Field(default=False, description="Confirmed or suspected security breach")
    core_flows_broken: list[CoreFlow] = Field(
        default_factory=list, description="Core flows that fail: payments, auth, signup")
    feature_broken: FeatureBroken = Field(
        default="none", description="A non-core feature is broken: none, minor or major")
    workaround_available: bool | None = Field(
        default=None, description="Users can get their job done another way (None: not known)")
    latency_ms: int | None = Field(
        default=None, ge=0, description="Typical response time users see now, in milliseconds")
    cosmetic_only: bool = Field(default=False, description="Only looks wrong; nothing fails")
    status_rollup: StatusRollup | None = Field(
        default=None, description="Overall result of a status check: healthy/operational, degraded, "
                                  "partial_outage, major_outage/down")
    unsure_between: list[Severity] = Field(
        default_factory=list, description="Levels you hesitate between; the higher one is taken")


class RuleMatch(BaseModel):
    """One rule that matched the signals."""

    level: Severity
    rule: str
    reason: str


class Classification(BaseModel):
    """The classified level, why, and what it commits you to."""

    severity: Severity
    label: str
    rule: str = Field(description="The rule that decided the level")
    reason: str = Field(description="Why that rule decided it, including 'choose the higher' when it applied")
    matched: list[RuleMatch] = Field(description="Every rule that matched, most severe first")
    description: str
    response_time: str
    resolution_target: str
    acknowledge_within: str | None
    first_communication_within: str | None
    update_every: str | None
    triage: list[str]


def describe(delta: dt.timedelta | None) -> str | None:
    """A duration as words: ``5 minutes``, ``4 hours``, ``1 week``."""
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0 and minutes >= size:
            count = minutes // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{minutes} minutes"


def _rules(s: ImpactSignals) -> list[RuleMatch]:
    broad = s.users_affected in ("all", "most")
    narrow = s.users_affected in ("some", "few")
    down = s.status_rollup in ("down", "major_outage")
    flows = ", ".join(s.core_flows_broken)
    rules: list[tuple[bool, Severity, str, str]] = [
        (s.security_breach, "P0", "security-breach", "a security breach is P0"),
        (s.data_loss, "P0", "data-loss", "data loss is P0"),
        (s.outage, "P0", "complete-outage", "a complete service outage is P0"),
        ("auth" in s.core_flows_broken and broad, "P0", "auth-broken-for-everyone",
         f"authentication broken for {s.users_affected} users locks everyone out (a P0 example)"),
        (down and not narrow, "P0", "status-check-down",
         f"a status check reports a service DOWN and the affected users are {s.users_affected}"),
        (down and narrow, "P1", "status-check-down-partial",
         f"a status check reports a service DOWN but only {s.users_affected} users are affected"),
        (s.status_rollup == "partial_outage", "P1", "status-check-partial-outage",
         "a status check reports a partial outage (some services down)"),
        (s.data_integrity_risk, "P1", "data-integrity-risk", "a data integrity risk is P1"),
        (bool(s.core_flows_broken), "P1", "core-flow-broken",
         f"a core flow is broken ({flows}); a broken core flow is at least P1"),
        (s.latency_ms is not None and s.latency_ms > SEVERE_LATENCY_MS, "P1", "severe-latency",
         f"responses take {s.latency_ms} ms, over {SEVERE_LATENCY_MS} ms (significant degradation)"),
        (s.feature_broken == "major", "P1", "major-feature-broken", "a major feature is broken"),
        (s.feature_broken == "minor" and broad and s.workaround_available is not True, "P1",
         "minor-feature-broken-for-everyone-without-workaround",
         f"a feature is broken for {s.users_affected} users and no workaround is known"),
        (s.status_rollup == "degraded" and broad, "P1", "status-check-degraded-broadly",
         f"a status check reports DEGRADED and {s.users_affected} users are affected"),
        (s.feature_broken == "minor", "P2", "minor-feature-broken", "a minor feature is broken"),
        (s.workaround_available is True and (s.feature_broken != "none" or bool(s.core_flows_broken)), "P2",
         "workaround-available", "a workaround exists"),
        (s.latency_ms is not None and SLOW_LATENCY_MS < s.latency_ms <= SEVERE_LATENCY_MS, "P2", "slow",
         f"responses take {s.latency_ms} ms (over {SLOW_LATENCY_MS} ms: a non-critical performance issue)"),
        (s.status_rollup == "degraded" and not broad, "P2", "status-check-degraded",
         "a status check reports DEGRADED"),
        (s.cosmetic_only, "P3", "cosmetic", "the issue is cosmetic only"),
    ]
    matches = [RuleMatch(level=lvl, rule=name, reason=why) for ok, lvl, name, why in rules if ok]
    if s.unsure_between:
        top = min(s.unsure_between, key=SEVERITIES.index)
        matches.append(RuleMatch(level=top, rule="unsure-between-levels",
                                 reason=f"you were unsure between {', '.join(sorted(set(s.unsure_between)))}; "
                                        "when unsure between two levels, choose the higher"))
    return matches


def _acknowledge_text(row: SeverityLevel) -> str | None:
    text = describe(row.acknowledge_within)
    if text and row.acknowledge_in_business_hours:
        text += " (business hours)"
    return text


def classify(signals: ImpactSignals) -> Classification:
    """Classify impact signals into P0–P3; the highest matched level wins, with the reason spelled out.

    With no signal pointing anywhere the result is P2 ("unsure: choose the higher" between the
    P2 and P3 a vague report could be), so an unknown problem is never filed as cosmetic.
    """
    matches = sorted(_rules(signals), key=lambda m: SEVERITIES.index(m.level))
    if not matches:
        matches = [RuleMatch(level="P2", rule="no-clear-signal",
                             reason="no signal points to a level; unsure between P2 and P3, choose the higher")]
    top = matches[0]
    reason = top.reason
    lower = [m for m in matches if m.level != top.level]
    if lower:
        # Lower matches are floors ("at least P1"), not doubt: the highest level that matches wins.
        also = ", ".join(f"{m.rule} ({m.level})" for m in lower)
        reason += f"; also matched {also}; the highest matching level wins ({top.level})"
    row = LEVELS[top.level]
    return Classification(
        severity=top.level, label=row.label, rule=top.rule, reason=reason, matched=matches,
        description=row.description, response_time=row.response_time,
        resolution_target=describe(row.resolution_target) or "",
        acknowledge_within=_acknowledge_text(row),
        first_communication_within=describe(row.first_communication_within),
        update_every=describe(row.update_every),
        triage=[step.text for step in row.triage],
    )
