"""A sweep: every target checked concurrently under explicit limits and one deadline, partial results kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from incident_mcp.status.checker import Checker, CheckOptions, deadline_seconds, starting_limit
from incident_mcp.status.loop_lag import LoopLag
from incident_mcp.status.models import CheckTarget, ServiceResult, StatusReport
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
    results: list[ServiceResult | None] = [None] * len(targets)
    running: set[int] = set()
    sweep_budget = options.sweep_timeout or (max((deadline_seconds(t) for t in targets), default=0.0) + 2.0)
    in_flight = asyncio.Semaphore(max(1, options.max_connections // 2))
    starting = asyncio.Semaphore(starting_limit(options, targets))
    lag = LoopLag()
    done = 0

    async def one(index: int, target: CheckTarget) -> None:
        nonlocal done
        async with in_flight:
            await starting.acquire()
            held = [True]

            def sent() -> None:
                if held[0]:
                    held[0] = False
                    starting.release()

            running.add(index)
            try:
                result = await checker.check(target, sent)
            finally:
                sent()
            results[index] = result
            running.discard(index)
        done += 1
        if on_result is not None:
            with contextlib.suppress(Exception):  # progress is best effort: it must not stop the sweep
                await on_result(result, done, len(targets))

    async with Checker(policy, options, lag) as checker:
        ticker = asyncio.ensure_future(lag.run())
        try:
            async with asyncio.timeout(sweep_budget), asyncio.TaskGroup() as group:
                for index, target in enumerate(targets):
                    group.create_task(one(index, target))
        except TimeoutError:
            pass  # the sweep deadline: unfinished checks are reported below
        finally:
            ticker.cancel()

    final: list[ServiceResult] = []
    for index, target in enumerate(targets):
        result = results[index]
        if result is None:
            what = "was still running" if index in running else "had not started"
            result = ServiceResult(name=target.name, url=target.url, critical=target.critical, state="unknown",
                                   reason="not_checked",
                                   message=f"the sweep deadline ({sweep_budget:.1f} s) passed while this check "
                                           f"{what}")
        final.append(result)
    notes = []
    spoiled = sum(1 for r in final if r.reason == "overload")
    if spoiled or lag.worst() > 0.5:
        notes.append(f"our own event loop froze for up to {lag.worst():.1f} s during the sweep; "
                     + (f"{spoiled} timing verdict(s) it may have spoiled are reported unknown (overload)"
                        if spoiled else "no verdict depended on it"))
    return build_report(final, checked_at=checked_at, duration=asyncio.get_running_loop().time() - t0,
                        partial=any(r.reason == "not_checked" for r in final), notes=notes)
