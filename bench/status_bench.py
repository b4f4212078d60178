"""Benchmark: our concurrent status checker against a serial curl loop like Company OS's status-check.sh.

    python bench/status_bench.py                 # 1,000 endpoints, 5 s deadline, curl on 100 of them
    python bench/status_bench.py --size 200 --curl-subset 50 --deadline-ms 3000

Endpoints (all on 127.0.0.1, served by another process): 88% fast, 8% slow (0.2–1.5 s), 2% hanging,
1% dripping one byte a second, 1% huge body or gzip bomb. The checker runs in its own process so its
peak RSS is its own. The lower bound for any checker is max(slowest healthy endpoint, deadline): the
hanging ones cannot be called down before the deadline. Targets: sweep within lower bound + 1 s, zero
healthy endpoints reported down, peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIX = (("fast", 0.88), ("slow", 0.08), ("hang", 0.02), ("drip", 0.01), ("huge", 0.005), ("bomb", 0.005))
HEALTHY = ("fast", "slow")


def endpoints(bases: list[str], size: int, seed: int) -> list[dict[str, Any]]:
    """``size`` endpoints in the benchmark mix, shuffled deterministically."""
    rng = random.Random(seed)
    kinds: list[str] = []
    for kind, share in MIX:
        kinds += [kind] * round(size * share)
    kinds = (kinds + ["fast"] * size)[:size]
    rng.shuffle(kinds)
    out = []
    for index, kind in enumerate(kinds):
        base = bases[index % len(bases)]
        delay = 0.0
        if kind == "fast":
            path = f"/ok?i={index}"
        elif kind == "slow":
            delay = round(rng.uniform(0.2, 1.5), 3)
            path = f"/slow?ms={round(delay * 1000)}&i={index}"
        elif kind == "hang":
            path = f"/hang?i={index}"
        elif kind == "drip":
            path = f"/drip?interval=1&bytes=60&i={index}"
        elif kind == "huge":
            path = f"/huge?mb=50&i={index}"
        else:
            path = f"/bomb?i={index}"
        out.append({"url": base + path, "kind": kind, "delay": delay})
    return out


def subset(items: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """A subset of ``size`` with the same mix (each kind at least once if it exists)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    picked: list[dict[str, Any]] = []
    for kind, share in MIX:
        picked += by_kind.get(kind, [])[: max(1, round(size * share))]
    return picked[:size] if len(picked) > size else picked


# ---- the checker, in a worker process ------------------------------------------------------------


def worker(path: Path, deadline_ms: int, concurrency: int | None, starting: int | None = None) -> None:
    """Run one sweep over the endpoints in ``path`` and print what happened as JSON."""
    sys.path.insert(0, str(ROOT))
    import anyio

    from incident_mcp.config import Expectations
    from incident_mcp.status import CheckOptions, CheckTarget, TargetPolicy, check_targets

    items = json.loads(path.read_text())
    expect = Expectations(timeout_ms=deadline_ms)
    targets = [CheckTarget(name=str(i), url=item["url"], expect=expect) for i, item in enumerate(items)]
    options = CheckOptions(max_starting=starting or None)
    if concurrency:
        options = dataclasses.replace(options, max_connections=concurrency)
    started = time.perf_counter()
    report = anyio.run(lambda: check_targets(targets, policy=TargetPolicy.permissive(), options=options))
    elapsed = time.perf_counter() - started
    verdicts: Counter[str] = Counter()
    for item, result in zip(items, report.services, strict=True):
        verdicts[f"{item['kind']}:{result.state}/{result.reason}"] += 1
    print(json.dumps({
        "elapsed": elapsed,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "verdicts": dict(verdicts),
        "healthy_down": sum(n for k, n in verdicts.items() if k.split(":")[0] in HEALTHY and ":down" in k),
        "notes": report.notes,
    }))


def run_checker(items: list[dict[str, Any]], deadline_ms: int, concurrency: int | None,
                starting: int | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(items, handle)
    try:
        command = [sys.executable, __file__, "--worker", handle.name, "--deadline-ms", str(deadline_ms)]
        if concurrency:
            command += ["--concurrency", str(concurrency)]
        if starting:
            command += ["--max-starting", str(starting)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        wall = time.perf_counter() - started
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        raise SystemExit(f"checker worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall"] = wall
    return result


# ---- the serial curl loop of Company OS's status-check.sh ----------------------------------------


def run_curl(items: list[dict[str, Any]], deadline_ms: int) -> dict[str, Any]:
    """One curl per URL, one after another, with the script's flags."""
    seconds = f"{deadline_ms / 1000:.1f}"
    verdicts: Counter[str] = Counter()
    started = time.perf_counter()
    for item in items:
        done = subprocess.run(
            ["curl", "-o", "/dev/null", "-s", "-w", "%{http_code} %{time_total}", "--max-time", seconds,
             "--connect-timeout", seconds, "-L", item["url"]],
            capture_output=True, text=True, check=False, timeout=deadline_ms / 1000 + 10)
        if done.returncode != 0:
            state = "down"
        else:
            code, total = done.stdout.split()
            state = "degraded" if code != "200" or float(total) >= 2.0 else "up"
        verdicts[f"{item['kind']}:{state}"] += 1
    return {"elapsed": time.perf_counter() - started, "verdicts": dict(verdicts),
            "healthy_down": sum(n for k, n in verdicts.items() if k.split(":")[0] in HEALTHY and k.endswith("down"))}


# ---- report ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Runs:
    """The figures of one bench run: the full sweep, and the curl subset with both tools when curl exists."""

    items: list[dict[str, Any]]
    bound: float  # lower bound: max(slowest healthy endpoint, deadline), seconds
    ours: dict[str, Any]
    part: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    ours_part: dict[str, Any] | None = None
    curl: dict[str, Any] | None = None


def main() -> int:
    """Run the bench (or, with --worker, one checker sweep) and print the table; exit 1 if a check fails."""
    args = _parse_args()
    if args.worker:
        worker(args.worker, args.deadline_ms, args.concurrency, args.max_starting)
        return 0
    runs = _measure(args)
    _print_table(_rows(runs))
    _print_verdicts(runs)
    checks = _checks(runs)
    print()
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="endpoints for our checker (default 1000)")
    parser.add_argument("--curl-subset", type=int, default=100, help="endpoints for the serial curl loop "
                                                                      "(default 100; 0 skips it)")
    parser.add_argument("--deadline-ms", type=int, default=5000, help="per-check deadline (default 5000, "
                                                                      "Company OS's default timeout)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="checker connection limit (default: ours)")
    parser.add_argument("--max-starting", type=int, default=None,
                        help="checks connecting at once (default: ours)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def _measure(args: argparse.Namespace) -> Runs:
    """Start the loopback farm, sweep every endpoint with our checker, then the curl subset with both tools."""
    farm = subprocess.Popen([sys.executable, str(ROOT / "bench" / "loopback_farm.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert farm.stdout is not None
        bases = json.loads(farm.stdout.readline())["bases"]
        items = endpoints(bases, args.size, args.seed)
        slowest = max((i["delay"] for i in items if i["kind"] in HEALTHY), default=0.0)
        print(f"{len(items)} loopback endpoints: " + ", ".join(f"{n} {k}" for k, n in
                                                             Counter(i["kind"] for i in items).items()))
        runs = Runs(items=items, bound=max(slowest, args.deadline_ms / 1000),
                    ours=run_checker(items, args.deadline_ms, args.concurrency, args.max_starting))
        if args.curl_subset and shutil.which("curl"):
            runs.part = subset(items, args.curl_subset)
            runs.ours_part = run_checker(runs.part, args.deadline_ms, args.concurrency, args.max_starting)
            runs.curl = run_curl(runs.part, args.deadline_ms)
        elif args.curl_subset:
            print("curl not found: skipping the serial loop")
    finally:
        if farm.stdin:
            farm.stdin.close()
        farm.wait(timeout=10)
    return runs


def _rows(runs: Runs) -> list[tuple[str, int, str, str, str]]:
    """One table row per run, the curl extrapolation and the lower bound."""
    ours, items = runs.ours, runs.items
    rows = [("incident-mcp (concurrent)", len(items), f"{ours['elapsed']:.2f}", str(ours["healthy_down"]),
             f"{ours['maxrss_mb']:.0f} MB")]
    if runs.curl is not None and runs.ours_part is not None:
        part, ours_part, curl = runs.part, runs.ours_part, runs.curl
        rows.append(("incident-mcp on the curl subset", len(part), f"{ours_part['elapsed']:.2f}",
                     str(ours_part["healthy_down"]), f"{ours_part['maxrss_mb']:.0f} MB"))
        rows.append(("serial curl loop (Company OS)", len(part), f"{curl['elapsed']:.2f}",
                     str(curl["healthy_down"]), "-"))
        rows.append(("  … extrapolated to the full set", len(items),
                     f"{curl['elapsed'] * len(items) / len(part):.0f}", "-", "-"))
    rows.append(("lower bound max(slowest healthy, deadline)", len(items), f"{runs.bound:.2f}", "-", "-"))
    return rows


def _print_table(rows: list[tuple[str, int, str, str, str]]) -> None:
    header = ("run", "endpoints", "seconds", "healthy reported down", "peak RSS")
    widths = [max(len(h), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def _print_verdicts(runs: Runs) -> None:
    print()
    print("checker verdicts by endpoint kind:")
    for key, count in sorted(runs.ours["verdicts"].items()):
        print(f"  {key:34} {count}")
    for note in runs.ours["notes"]:
        print(f"  note: {note}")
    if runs.curl is not None:
        print("serial curl verdicts (Company OS rules: failed = down, non-200 or >= 2 s = degraded):")
        for key, count in sorted(runs.curl["verdicts"].items()):
            print(f"  {key:34} {count}")


def _checks(runs: Runs) -> list[tuple[str, bool]]:
    """What the run must show: within the lower bound + 1 s, no healthy endpoint down, peak RSS under 200 MB."""
    ours, target = runs.ours, runs.bound + 1.0
    return [
        (f"sweep {ours['elapsed']:.2f} s within lower bound + 1 s ({target:.2f} s)", ours["elapsed"] <= target),
        (f"healthy endpoints reported down: {ours['healthy_down']}", ours["healthy_down"] == 0),
        (f"peak RSS {ours['maxrss_mb']:.0f} MB under 200 MB", ours["maxrss_mb"] < 200),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
