"""A sweep: every target checked concurrently under explicit limits and one deadline, partial results kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from incident_mcp.status.checker import Checker
from incident_mcp.status.loop_lag import LoopLag
from incident_mcp.status.models import CheckTarget, ServiceResult, StatusReport
from incident_mcp.status.options import CheckOptions, deadline_seconds, starting_limit
from incident_mcp.status.rollup import build_report
from incident_mcp.status.targets import TargetPolicy

ProgressCallback = Callable[[ServiceResult, int, int], Awaitable[None]]


async def check_targets(targets: Sequence[CheckTarget], *, policy: TargetPolicy,
                        options: CheckOptions | None = None,
                        on_result: ProgressCallback | None = None) -> StatusReport:
    """Check every target concurrently; results come back in the order given, complete or not.

    Targets still waiting or running when the sweep deadline passes are reported ``unknown``
    (``not_checked``) and the report is marked partial.
    """
    options = options or CheckOptions()
    checked_at = datetime.now(UTC)
    t0 = asyncio.get_running_loop().time()
    sweep_budget = options.sweep_timeout or (max((deadline_seconds(t) for t in targets), default=0.0) + 2.0)
    lag = LoopLag()
    async with Checker(policy, options, lag) as checker:
        sweep = _Sweep(checker, targets, options, on_result)
        ticker = asyncio.ensure_future(lag.run())
        try:
            async with asyncio.timeout(sweep_budget), asyncio.TaskGroup() as group:
                for index, target in enumerate(targets):
                    group.create_task(sweep.one(index, target))
        except TimeoutError:
            pass  # the sweep deadline: unfinished checks are reported below
        finally:
            ticker.cancel()
    final = sweep.final(sweep_budget)
    return build_report(final, checked_at=checked_at, duration=asyncio.get_running_loop().time() - t0,
                        partial=any(r.reason == "not_checked" for r in final), notes=_lag_notes(final, lag))


class _Sweep:
    """One sweep's limits and results: at most half ``max_connections`` checks in flight, at most
    ``starting_limit`` of them connecting and sending at once."""

    def __init__(self, checker: Checker, targets: Sequence[CheckTarget], options: CheckOptions,
                 on_result: ProgressCallback | None) -> None:
        self.checker = checker
        self.targets = targets
        self.on_result = on_result
        self.results: list[ServiceResult | None] = [None] * len(targets)
        self.running: set[int] = set()
        self.in_flight = asyncio.Semaphore(max(1, options.max_connections // 2))
        self.starting = asyncio.Semaphore(starting_limit(options, targets))
        self.done = 0

    async def one(self, index: int, target: CheckTarget) -> None:
        """Check one target under the limits; its start slot is freed once its request is on the wire."""
        async with self.in_flight:
            await self.starting.acquire()
            held = [True]

            def sent() -> None:
                if held[0]:
                    held[0] = False
                    self.starting.release()

            self.running.add(index)
            try:
                result = await self.checker.check(target, sent)
            finally:
                sent()
            self.results[index] = result
            self.running.discard(index)
        self.done += 1
        if self.on_result is not None:
            with contextlib.suppress(Exception):  # progress is best effort: it must not stop the sweep
                await self.on_result(result, self.done, len(self.targets))

    def final(self, sweep_budget: float) -> list[ServiceResult]:
        """Every target's result, in order; ``unknown`` (``not_checked``) for those the deadline cut off."""
        final: list[ServiceResult] = []
        for index, target in enumerate(self.targets):
            result = self.results[index]
            if result is None:
                what = "was still running" if index in self.running else "had not started"
                result = ServiceResult(name=target.name, url=target.url, critical=target.critical,
                                       state="unknown", reason="not_checked",
                                       message=f"the sweep deadline ({sweep_budget:.1f} s) passed while this "
                                               f"check {what}")
            final.append(result)
        return final


def _lag_notes(final: Sequence[ServiceResult], lag: LoopLag) -> list[str]:
    """A note when our own event loop froze long enough to matter, and what it spoiled."""
    spoiled = sum(1 for r in final if r.reason == "overload")
    if not spoiled and lag.worst() <= 0.5:
        return []
    return [f"our own event loop froze for up to {lag.worst():.1f} s during the sweep; "
            + (f"{spoiled} timing verdict(s) it may have spoiled are reported unknown (overload)"
               if spoiled else "no verdict depended on it")]
