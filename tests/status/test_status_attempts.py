"""combine_attempts: every rule of a check's re-check, one table row each (no clock, no sockets)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from incident_mcp.status.attempts import Attempt, combine_attempts, needs_recheck
from incident_mcp.status.models import Reason, State


def attempt(state: State, reason: Reason, message: str, started: float = 0.0) -> Attempt:
    return Attempt(state, reason, message, started, ended=started + 0.1)


UP = attempt("up", "ok", "HTTP 200 in 100 ms", started=1.0)
DEGRADED = attempt("degraded", "slow", "3,000 ms", started=1.0)
REFUSED = attempt("down", "refused", "connection refused")
TIMEOUT = attempt("down", "timeout", "no response within 2,000 ms")
RESET = attempt("down", "reset", "connection reset by the server", started=1.0)
OVERLOAD = attempt("unknown", "overload", "inconclusive: our own event loop froze")
BLOCKED = attempt("unknown", "blocked", "not probed: private address", started=1.0)
DNS_UNKNOWN = attempt("unknown", "dns", "our resolver failed", started=1.0)


@dataclass(frozen=True)
class Row:
    name: str
    first: Attempt | None
    second: Attempt | None
    state: State
    reason: Reason
    message: str
    finding_codes: tuple[str, ...]
    flapping: bool


ROWS = [
    Row("the first attempt cancelled for a conclusive second speaks by the second", None, BLOCKED,
        "unknown", "blocked", BLOCKED.message, (), False),
    Row("a hedge that answered up while the first hung is degraded and flapping", None, UP,
        "degraded", "slow", "first attempt had no response after 1,000 ms; a re-check on a fresh connection "
        "answered (HTTP 200 in 100 ms)", ("slow",), True),
    Row("a hedge that answered degraded while the first hung keeps its own reason", None, DEGRADED,
        "degraded", "slow", DEGRADED.message, ("slow",), True),
    Row("no attempt finishing is an unknown error", None, None,
        "unknown", "error", "the check was cancelled before any attempt finished", (), False),
    Row("a first attempt spoiled by our freeze lets the second decide", OVERLOAD, UP,
        "up", "ok", UP.message, ("overload",), False),
    Row("an up first attempt stands alone", UP, None, "up", "ok", UP.message, (), False),
    Row("a down first attempt without time for a re-check stands", REFUSED, None,
        "down", "refused", REFUSED.message, (), False),
    Row("a down first attempt contradicted by the re-check is degraded and flapping", REFUSED, UP,
        "degraded", "refused", "first attempt failed (connection refused); a re-check on a fresh connection got "
        "HTTP 200 in 100 ms", ("refused",), True),
    Row("a down first attempt with an inconclusive re-check is unknown with the first as a finding",
        REFUSED, DNS_UNKNOWN, "unknown", "dns", "our resolver failed (first attempt: connection refused)",
        ("refused",), False),
    Row("two downs name the more specific reason than a timeout", TIMEOUT, RESET,
        "down", "reset", "connection reset by the server; re-check: no response within 2,000 ms", (), False),
    Row("two downs for the same reason keep the first's message", REFUSED, REFUSED,
        "down", "refused", REFUSED.message, (), False),
    Row("two downs for different specific reasons keep the first and mention the re-check", REFUSED, RESET,
        "down", "refused", "connection refused; re-check: connection reset by the server", (), False),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_combine_attempts_follows_its_table(row: Row) -> None:
    combined = combine_attempts(row.first, row.second, start=0.0, now=5.0)
    assert (combined.chosen.state, combined.chosen.reason, combined.chosen.message) == (
        row.state, row.reason, row.message)
    assert tuple(f.code for f in combined.findings) == row.finding_codes
    assert combined.flapping is row.flapping


def test_a_check_where_no_attempt_finished_ends_when_the_check_did() -> None:
    assert combine_attempts(None, None, start=2.0, now=5.0).chosen.latency_ms == 3000


@pytest.mark.parametrize(("outcome", "expected"), [(UP, False), (DEGRADED, False), (BLOCKED, False),
                                                   (REFUSED, True), (OVERLOAD, True)])
def test_only_down_or_our_own_freeze_needs_a_recheck(outcome: Attempt, expected: bool) -> None:
    assert needs_recheck(outcome) is expected
