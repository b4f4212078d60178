"""One attempt's outcome, and the pure decision that turns a check's one or two attempts into its verdict.

``combine_attempts`` holds every rule about a re-check (hedged or not): which attempt speaks for the
service, what the other adds as findings, and whether the two disagreed (flapping). It takes no clock and
no I/O, so each rule is a row of a table test instead of a timing-dependent loopback test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from incident_mcp.status.models import Finding, Reason, State


@dataclass
class Attempt:
    """One attempt's verdict and measurements (loop-clock seconds for ``started`` and ``ended``)."""

    state: State
    reason: Reason
    message: str
    started: float
    ended: float = 0.0
    status_code: int | None = None
    cert_days: float | None = None
    redirects: int = 0
    final_url: str | None = None
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""  # the message when no finding stands against the response

    @property
    def latency_ms(self) -> int:
        return max(0, round((self.ended - self.started) * 1000))


@dataclass(frozen=True)
class Combined:
    """The attempt that speaks for the service, the findings the other adds, and whether they disagreed."""

    chosen: Attempt
    findings: list[Finding]
    flapping: bool


def needs_recheck(attempt: Attempt) -> bool:
    """Down, or spoiled by our own freeze: either way a (second) attempt must decide."""
    return attempt.state == "down" or attempt.reason == "overload"


def combine_attempts(first: Attempt | None, second: Attempt | None, *, start: float, now: float) -> Combined:
    """The verdict of a check from its attempts; None for an attempt that never finished (cancelled).

    ``start`` is when the check began and ``now`` when it ended (for a check where neither finished).
    """
    if first is None:
        return _without_first(second, start=start, now=now)
    if first.reason == "overload" and second is not None and second.reason != "overload":
        # Our own freeze spoiled the first attempt: it is no evidence either way; the second decides.
        return Combined(second, [Finding(code="overload", state="unknown",
                                         message=f"first attempt: {first.message}")], False)
    if first.state != "down" or second is None:
        return Combined(first, [], False)
    return _after_down(first, second)


def _without_first(second: Attempt | None, *, start: float, now: float) -> Combined:
    """The first attempt was cancelled: the second was conclusive, or answered while the first hung."""
    if second is None:
        return Combined(Attempt("unknown", "error", "the check was cancelled before any attempt finished", start,
                                ended=now), [], False)
    if second.state not in ("up", "degraded"):  # conclusive without an answer (e.g. blocked)
        return Combined(second, [], False)
    waited = round((second.started - start) * 1000)
    findings = [Finding(code="slow", state="degraded",
                        message=f"first attempt: no complete response after {waited:,} ms")]
    chosen = second
    if chosen.state == "up":
        chosen = replace(chosen, state="degraded", reason="slow",
                         message=f"first attempt had no response after {waited:,} ms; a re-check on "
                                 f"a fresh connection answered ({chosen.message})")
    return Combined(chosen, findings, True)


def _after_down(first: Attempt, second: Attempt) -> Combined:
    """The first attempt was down: the re-check confirms it, contradicts it, or could not tell."""
    if second.state in ("up", "degraded"):
        findings = [Finding(code=first.reason, state="down", message=f"first attempt: {first.message}")]
        chosen = replace(second, state="degraded", reason=first.reason,
                         message=f"first attempt failed ({first.message}); a re-check on a fresh "
                                 f"connection got {second.message}")
        return Combined(chosen, findings, True)
    if second.state == "unknown":
        findings = [Finding(code=first.reason, state="down", message=f"first attempt: {first.message}")]
        return Combined(replace(second, message=f"{second.message} (first attempt: {first.message})"), findings,
                        False)
    # both down: name the more specific reason of the two
    chosen = second if first.reason == "timeout" and second.reason != "timeout" else first
    other = second if chosen is first else first
    if other.reason != chosen.reason:
        chosen = replace(chosen, message=f"{chosen.message}; re-check: {other.message}")
    return Combined(chosen, [], False)
