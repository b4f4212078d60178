"""Benchmark: a watch round over 1,000 loopback services against the checker's bound, and the size of the
check history for 30 days × 100 services at a 60 s interval against the 50 KB per service per month budget.

    python bench/watch_bench.py                      # both parts
    python bench/watch_bench.py --size 200 --rounds 3 --sim-services 20

Part 1 serves the status benchmark's endpoint mix (88% fast, 8% slow, 2% hanging, 1% dripping, 1% huge or
gzip bomb) from another process, then runs the checker's sweep alone and ``--rounds`` watch rounds (check,
decide, incident, history, state) on a temp workspace declaring every endpoint a service. The bound for
any checker is max(slowest healthy endpoint, deadline); the status benchmark's target is that bound + 1 s,
and a watch round must stay within it too. The third round confirms the hanging endpoints down and opens
one incident for all of them.

Part 2 simulates 30 days of rounds through the real history writer: per service a latency profile, short
blips (one failed round), outages of 5–90 minutes, slow stretches, a weekly maintenance hour, and the watch
itself off for 30 minutes twice a week (no data). It reports file sizes per service and month, plus one
pathological service that flaps down and up every few rounds all month.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.status_bench import HEALTHY, endpoints  # noqa: E402
from incident_mcp.config import load_config  # noqa: E402
from incident_mcp.status import TargetPolicy, check_targets, service_targets  # noqa: E402
from incident_mcp.uptime import SpanKind  # noqa: E402
from incident_mcp.watch.history import HistoryWriter, RoundEntry  # noqa: E402
from incident_mcp.watch.runner import run_round  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

BUDGET = 50 * 1024
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


# ---- part 1: one round over 1,000 services ---------------------------------------------------------


def round_bench(size: int, rounds: int, deadline_ms: int, seed: int) -> tuple[list[tuple[str, Any]], bool]:
    farm = subprocess.Popen([sys.executable, str(ROOT / "bench" / "loopback_farm.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert farm.stdout is not None
        bases = json.loads(farm.stdout.readline())["bases"]
        items = endpoints(bases, size, seed)
        slowest = max((i["delay"] for i in items if i["kind"] in HEALTHY), default=0.0)
        bound = max(slowest, deadline_ms / 1000)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            services = [{"name": f"svc-{n:04d}", "url": item["url"], "critical": n % 10 == 0,
                         "expect": {"timeout_ms": deadline_ms}} for n, item in enumerate(items)]
            (root / "company.config.yaml").write_text(yaml.safe_dump({"incident_response": {"services": services}}))
            ws = Workspace.at(root)
            config = load_config(ws.config_path).config
            targets = service_targets(config, [s["name"] for s in services])
            print(f"{size} loopback services: " + ", ".join(f"{n} {k}" for k, n in
                                                           Counter(i["kind"] for i in items).items()))
            sweeps, timings, cpu_sweeps, cpu_rounds = [], [], [], []
            for index in range(rounds):  # alternate, so both see the same machine load
                started, cpu = time.perf_counter(), time.process_time()
                report = asyncio.run(check_targets(targets, policy=TargetPolicy.for_agent(config)))
                sweeps.append(time.perf_counter() - started)
                cpu_sweeps.append(time.process_time() - cpu)
                reasons = Counter(f"{r.state}:{r.reason}" for r in report.services if r.state != "up")
                print(f"checker sweep alone {index + 1}: {sweeps[-1]:.2f} s ({report.summary}; "
                      f"{dict(reasons.most_common(4))})")
                started, cpu = time.perf_counter(), time.process_time()
                result = asyncio.run(run_round(ws, now=T0 + dt.timedelta(minutes=index)))
                timings.append(time.perf_counter() - started)
                cpu_rounds.append(time.process_time() - cpu)
                phases = ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items())
                summary = result.report.summary if result.report else result.skipped
                print(f"watch round {index + 1}: {timings[-1]:.2f} s ({phases}; {summary})"
                      f"  {'; '.join(result.actions) or 'no action'}")
            history = sum(p.stat().st_size for p in (root / "watch" / "history").rglob("*.json"))
            files = sum(1 for _ in (root / "watch" / "history").rglob("*.json"))
    finally:
        if farm.stdin:
            farm.stdin.close()
        farm.wait(timeout=10)
    target = bound + 1.0
    rows: list[tuple[str, Any]] = [
        *((f"checker sweep alone / watch round {i + 1} (s)", f"{a:.2f} / {t:.2f}")
          for i, (a, t) in enumerate(zip(sweeps, timings, strict=True))),
        *((f"CPU: sweep alone / watch round {i + 1} (s)", f"{a:.2f} / {t:.2f}")
          for i, (a, t) in enumerate(zip(cpu_sweeps, cpu_rounds, strict=True))),
        ("median overhead of a round over the sweep alone (s)",
         f"{sorted(t - a for a, t in zip(sweeps, timings, strict=True))[len(timings) // 2]:.2f}"),
        ("lower bound max(slowest healthy, deadline) (s)", f"{bound:.2f}"),
        ("target: bound + 1 s, the status benchmark's (s)", f"{target:.2f}"),
        ("history after the rounds", f"{files} files, {history / 1024:.0f} KB"),
    ]
    return rows, max(timings) <= target


# ---- part 2: 30 days of history --------------------------------------------------------------------


def _profile(rng: random.Random) -> dict[str, Any]:
    return {"median": rng.uniform(30, 400), "spread": rng.uniform(1.1, 1.8), "outages": rng.randint(0, 6),
            "blips": rng.randint(0, 40), "slow": rng.randint(0, 10)}


def _schedule(rng: random.Random, profile: dict[str, Any], days: int, per_day: int) -> dict[int, str]:
    """Round index → what happens in it (down, blip, slow), for one service."""
    events: dict[int, str] = {}
    total = days * per_day
    for _ in range(profile["outages"]):
        start = rng.randrange(total)
        for i in range(start, min(total, start + rng.randint(5, 90))):
            events[i] = "down"
    for _ in range(profile["blips"]):
        events.setdefault(rng.randrange(total), "blip")
    for _ in range(profile["slow"]):
        start = rng.randrange(total)
        for i in range(start, min(total, start + rng.randint(3, 60))):
            events.setdefault(i, "slow")
    return events


OPEN_AFTER, RECOVER_AFTER = 3, 2  # failed rounds that confirm an outage, healthy rounds that end it


class _Streak:
    """One service's failed and healthy streaks, as the watch keeps them, with the outage they confirm."""

    def __init__(self) -> None:
        self.fails = self.oks = 0
        self.confirmed = False
        self.first_failed: dt.datetime | None = None

    def observe(self, health: str, maintenance: bool, at: dt.datetime,
                interval: int) -> tuple[bool, dt.datetime | None]:
        """One round (maintenance rounds count for nothing): (newly confirmed down, recovered since)."""
        if maintenance:
            return False, None
        if health == "down":
            if not self.fails:
                self.first_failed = at
            self.fails, self.oks = self.fails + 1, 0
            newly_down = self.fails >= OPEN_AFTER and not self.confirmed
            self.confirmed = self.confirmed or newly_down
            return newly_down, None
        self.oks, self.fails = self.oks + 1, 0
        if self.oks >= RECOVER_AFTER and self.confirmed:
            self.confirmed = False
            return False, at - dt.timedelta(seconds=(RECOVER_AFTER - 1) * interval)
        return False, None


def _round_entry(name: str, what: str, profile: dict[str, Any], streak: _Streak, at: dt.datetime,
                 maintenance: bool, interval: int, rng: random.Random) -> RoundEntry:
    """What one round adds to a service's history, for the planned event (up, down, blip or slow)."""
    latency = int(rng.lognormvariate(0, 0.35) * profile["median"])
    health = "down" if what in ("down", "blip") else "degraded" if what == "slow" else "up"
    if what == "slow":
        latency = int(latency * 8) + 2000
    newly_down, recovered_since = streak.observe(health, maintenance, at, interval)
    kind: SpanKind | None = ("under_maintenance" if maintenance else "major_outage" if streak.confirmed
                             else "degraded_performance" if health == "degraded" else None)
    return RoundEntry(service=name, health=health, kind=kind, latency_ms=None if health == "down" else latency,
                      since=streak.first_failed if newly_down else None, maintenance=maintenance,
                      recovered_since=recovered_since)


def simulate(services: int, days: int, interval: int, seed: int) -> tuple[list[tuple[str, Any]], bool]:
    """A month of watch history for ``services`` services (and a pathological flapper): its size per service."""
    rng = random.Random(seed)
    per_day = 86_400 // interval
    names = [f"svc-{n:03d}" for n in range(services)] + ["flapper"]
    profiles = {name: _profile(rng) for name in names}
    plans = {name: _schedule(rng, profiles[name], days, per_day) for name in names[:-1]}
    plans["flapper"] = {i: "down" for i in range(days * per_day) if (i // 4) % 2 == 0}  # 4 down, 4 up, all month
    streaks = {name: _Streak() for name in names}
    gaps = {d * per_day + per_day // 3 + k for d in range(0, days, 3) for k in range(30 * 60 // interval)}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.at(tmp)
        for day in range(days):
            writer = HistoryWriter(ws, interval)
            for k in range(per_day):
                index = day * per_day + k
                if index in gaps:
                    continue  # the watch was not running
                at = T0 + dt.timedelta(seconds=index * interval)
                maintenance = day % 7 == 2 and 120 <= k * interval // 60 < 180
                for name in names:
                    writer.add(at, _round_entry(name, plans[name].get(index, "up"), profiles[name], streaks[name],
                                                at, maintenance, interval, rng))
            writer.save()
        sizes = {p.parent.name: p.stat().st_size for p in (Path(tmp) / "watch" / "history").rglob("*.json")}
    elapsed = time.perf_counter() - started
    normal = sorted(v for k, v in sizes.items() if k != "flapper")
    rows: list[tuple[str, Any]] = [
        ("simulated", f"{services} services × {days} days at {interval} s "
                      f"({services * days * per_day:,} service-rounds) in {elapsed:.0f} s"),
        ("history per service-month, median", f"{normal[len(normal) // 2] / 1024:.1f} KB"),
        ("history per service-month, largest", f"{normal[-1] / 1024:.1f} KB"),
        ("history, all services", f"{sum(normal) / 1024:.0f} KB"),
        ("pathological flapper (down/up every 4 rounds, all month)", f"{sizes['flapper'] / 1024:.1f} KB"),
        ("budget per service-month", f"{BUDGET / 1024:.0f} KB"),
        ("naive log (one JSON line per check, ~90 bytes)", f"{days * per_day * 90 / 1024:.0f} KB per service"),
    ]
    return rows, normal[-1] <= BUDGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="services in the round benchmark (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="watch rounds to time (default 3)")
    parser.add_argument("--deadline-ms", type=int, default=5000, help="per-check deadline (default 5000)")
    parser.add_argument("--sim-services", type=int, default=100, help="services in the simulation (default 100)")
    parser.add_argument("--sim-days", type=int, default=30, help="days simulated (default 30)")
    parser.add_argument("--interval", type=int, default=60, help="seconds between rounds (default 60)")
    parser.add_argument("--skip-round", action="store_true", help="only the history simulation")
    parser.add_argument("--skip-sim", action="store_true", help="only the round benchmark")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    checks: list[tuple[str, bool]] = []
    if not args.skip_round:
        rows, ok = round_bench(args.size, args.rounds, args.deadline_ms, args.seed)
        print()
        for label, value in rows:
            print(f"  {label:58} {value}")
        checks.append((f"every watch round of {args.size} services within the checker's bound + 1 s", ok))
    if not args.skip_sim:
        rows, ok = simulate(args.sim_services, args.sim_days, args.interval, args.seed)
        print()
        for label, value in rows:
            print(f"  {label:58} {value}")
        checks.append(("largest service-month of history within 50 KB (the pathological flapper aside)", ok))
    print()
    for text, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
