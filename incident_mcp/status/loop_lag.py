"""How long our own event loop stalled: a timeout measured while we were not running proves nothing.

A ticker sleeps a short interval and records how late it woke up. A check asks how much stall overlapped
its own window; if too much of its deadline went to our stalls, a timeout or slow verdict is ours, not
the service's, and the result says ``unknown (overload)`` instead of ``down``.
"""

from __future__ import annotations

import asyncio
from collections import deque

INTERVAL = 0.05
NOISE = 0.01  # wake-ups later than this count as stall


class LoopLag:
    """Records event-loop stalls while ``run`` is running (start it in the sweep's task group)."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self._interval = interval
        self._stalls: deque[tuple[float, float]] = deque(maxlen=20_000)  # (woke up at, seconds late)
        self._last_wake: float | None = None

    async def run(self) -> None:
        """Tick until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            self._last_wake = before
            await asyncio.sleep(self._interval)
            woke = loop.time()
            late = woke - before - self._interval
            if late > NOISE:
                self._stalls.append((woke, late))

    def stalled(self, start: float, end: float) -> float:
        """Seconds of stall overlapping [start, end], including a stall still in progress now."""
        total = 0.0
        for woke, late in reversed(self._stalls):
            if woke <= start:
                break
            total += max(0.0, min(woke, end) - max(woke - late, start))
        if self._last_wake is not None:  # the ticker itself has not run yet: a stall is going on
            due = self._last_wake + self._interval + NOISE
            now = asyncio.get_running_loop().time()
            if now > due:
                total += max(0.0, min(now, end) - max(due, start))
        return total

    def worst(self, start: float | None = None, end: float | None = None) -> float:
        """The longest single stall overlapping [start, end] (default: the whole run), in seconds."""
        low = float("-inf") if start is None else start
        high = float("inf") if end is None else end
        longest = max((late for woke, late in self._stalls if woke > low and woke - late < high), default=0.0)
        if self._last_wake is not None and start is not None:
            due = self._last_wake + self._interval
            now = asyncio.get_running_loop().time()
            if now > due + NOISE and due < high:
                longest = max(longest, now - due)
        return longest
