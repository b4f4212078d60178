"""The knobs and limits of a sweep: connection and start limits, and each check's whole deadline.

Kept apart from the checker so a sweep can size its limits before any check runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from incident_mcp import __version__
from incident_mcp.status.models import CheckTarget


def default_max_connections() -> int:
    """Open sockets a sweep may hold: what the file-descriptor limit leaves, at most 2,048."""
    try:
        import resource  # Unix only; Windows has no descriptor limit to respect here

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            soft = 4096
    except (ImportError, OSError, ValueError):  # pragma: no cover - platform dependent
        soft = 512
    return max(8, min(2048, soft - 64))


@dataclass(frozen=True)
class CheckOptions:
    """Knobs of a sweep; the defaults suit one service to a few thousand.

    ``max_connections`` is the explicit connection-pool limit (each check may hold two: the attempt and
    its re-check, so half as many checks run at once). ``max_starting`` bounds the checks connecting and
    sending at one moment — the CPU-heavy part — so a big sweep comes in waves that keep our event loop
    answering; by default about 200 per second of the shortest deadline (at most 1,024), so a burst costs
    a small part of any deadline. A check's deadline starts when it gets past both, never while it queues
    behind our own limits. (Measured on 2 busy cores: a thousand starts at once froze the loop for about
    a second — fine against 5 s deadlines, not against 2 s ones; pacing much harder only delays the
    slowest targets.)
    """

    max_connections: int = field(default_factory=default_max_connections)
    max_starting: int | None = None
    sweep_timeout: float | None = None  # seconds; default: the longest check deadline + 2 s
    max_body_bytes: int = 1024 * 1024
    max_redirects: int = 5
    ca_file: str | None = None
    hedge_fraction: float = 0.5  # a second attempt starts when the first has no answer by then
    user_agent: str = f"incident-mcp/{__version__} (status check)"

    def __post_init__(self) -> None:
        if self.max_connections < 2:
            raise ValueError("max_connections must be at least 2")
        if self.max_starting is not None and self.max_starting < 1:
            raise ValueError("max_starting must be at least 1")
        if not 0 < self.hedge_fraction <= 1:
            raise ValueError("hedge_fraction must be in (0, 1]")


def starting_limit(options: CheckOptions, targets: Sequence[CheckTarget]) -> int:
    """``max_starting``, or about 200 starts per second of the shortest deadline (32 to 1,024)."""
    if options.max_starting is not None:
        return options.max_starting
    shortest = min((deadline_seconds(t) for t in targets), default=5.0)
    return max(32, min(1024, round(200 * shortest)))


def deadline_seconds(target: CheckTarget) -> float:
    """A check's whole deadline: ``timeout_ms``, or ``down_ms`` when that is lower (slower is down anyway)."""
    expect = target.expect
    limit = min(expect.timeout_ms, expect.down_ms) if expect.down_ms else expect.timeout_ms
    return limit / 1000
