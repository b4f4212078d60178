"""Learn benchmarks: ``recent_changes`` on a 10,000-commit repository and ``incident_metrics`` over 10,000 records,
each printed next to its lower bound (a bare ``git log`` of the window; reading the record files).

Run: python bench/learn_bench.py [--commits 10000] [--records 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from incident_mcp import changes, incidents, metrics  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402
from tests.support.git_fixtures import fast_import, init_repo  # noqa: E402

EXAMPLE = REPO / "incident_mcp" / "example_company"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) seconds over ``rounds`` calls; CPU is steadier on a busy machine."""
    times, cpu = [], []
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(times), min(times), statistics.median(cpu)


def show(what: str, figures: tuple[float, float, float]) -> str:
    """``what: median 50 ms (best 34 ms, CPU 20 ms)``; CPU of git itself is not counted (a child process)."""
    return (f"  {what}: median {figures[0] * 1000:.0f} ms (best {figures[1] * 1000:.0f} ms, "
            f"CPU in this process {figures[2] * 1000:.0f} ms)")


def git_log_window(root: Path, since: dt.datetime, until: dt.datetime) -> None:
    """The lower bound: one bare ``git log`` of the window, hashes only."""
    subprocess.run(["git", "-C", str(root), "log", f"--since={since.isoformat()}", f"--until={until.isoformat()}",
                    "--format=%H"], capture_output=True, check=True)


def bench_changes(folder: Path, commits: int, rounds: int) -> None:
    for label, span in (("typical: 100 days of history, 24 h window", dt.timedelta(days=100)),
                        ("worst: every commit inside the 24 h window", dt.timedelta(hours=23))):
        root = folder / f"repo-{span.days}"
        shutil.copytree(EXAMPLE, root)
        init_repo(root, START - dt.timedelta(days=1))
        step = span / commits
        began = time.perf_counter()
        fast_import(root, (START + step * i for i in range(commits)))
        built = time.perf_counter() - began
        ws = Workspace.at(root)
        end = START + span
        for i in range(20):
            changes.record_deploy(ws, service="api", version=f"v{i}", at=(end - dt.timedelta(hours=i)).isoformat(),
                                  now=end)
        at = end.isoformat()
        ours = timed(functools.partial(changes.recent_changes, ws, at=at, services=["api"], now=end), rounds)
        bound = timed(functools.partial(git_log_window, root, end - dt.timedelta(hours=24), end), rounds)
        found = changes.recent_changes(ws, at=at, services=["api"], now=end)
        print(f"recent_changes, {commits:,} commits ({label}; built in {built:.1f} s with fast-import)")
        print(show("ours", ours) + f"; {found.total} changes in the window, first: {found.changes[0].kind} "
              f"{found.changes[0].id}")
        print(show("lower bound, bare git log of the window", bound))


def write_records(ws: Workspace, count: int) -> None:
    """``count`` records made from three real ones (resolved P1, open P2, acknowledged P0), one day apart."""
    now = START + dt.timedelta(days=1)
    day = "2026-01-01"
    ids = []
    for severity, events in (("P1", ("acknowledged", "mitigation", "resolved")), ("P2", ()),
                             ("P0", ("acknowledged",))):
        opened = incidents.open_incident(ws, title=f"{severity} template", severity=severity, services=["api"],
                                         detected_at=f"{day}T10:00:00Z", now=now, force=True)
        for minute, event in enumerate(events, 1):
            incidents.update_incident(ws, opened.id, event=event, at=f"{day}T10:{minute * 10:02d}:00Z", now=now)
        ids.append(opened.id)
    folder = ws.root / "artifacts" / "decision-memos"
    templates = [next(folder.glob(f"{i}-*.md")).read_text(encoding="utf-8") for i in ids]
    for path in folder.glob("INC-*.md"):
        path.unlink()
    for n in range(1, count + 1):
        text = templates[n % 3]
        stamp = (START + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H")
        text = text.replace(ids[n % 3], f"INC-{n:05d}").replace(f"{day}T10", stamp)
        (folder / f"INC-{n:05d}-bench.md").write_text(text, encoding="utf-8")


def read_all(ws: Workspace) -> int:
    """The lower bound: read every record's bytes."""
    return sum(len(p.read_bytes()) for p in (ws.root / "artifacts" / "decision-memos").glob("INC-*.md"))


def bench_metrics(folder: Path, records: int, rounds: int) -> None:
    root = folder / "records"
    shutil.copytree(EXAMPLE, root)
    ws = Workspace.at(root)
    write_records(ws, records)
    for i in range(200):
        changes.record_deploy(ws, service="api", version=f"v{i}", at=(START + dt.timedelta(hours=i * 3)).isoformat(),
                              now=START + dt.timedelta(days=800))
    until = START + dt.timedelta(hours=records + 1)
    ours = timed(lambda: metrics.incident_metrics(ws, since=START, until=until, now=until), rounds)
    bound = timed(lambda: read_all(ws), rounds)
    report = metrics.incident_metrics(ws, since=START, until=until, now=until)
    print(f"incident_metrics over {records:,} records ({report.incidents.total:,} counted, "
          f"time to resolve n={report.time_to_resolve.overall.n:,})")
    print(show("ours", ours))
    print(show("lower bound, reading the record files", bound))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("INCIDENT_MCP_WORKSPACE", None)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        bench_changes(Path(tmp), args.commits, args.rounds)
        bench_metrics(Path(tmp), args.records, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
