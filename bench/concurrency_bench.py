"""Concurrency at volume (issue 7): many processes on one workspace at once, with the figures that must hold.

* openings: P processes × N incidents each, all started together → P·N unique ids and files, each intact;
* notes: P processes × M notes on one incident → none lost, each process's in its own order;
* promotions: P processes walking the same A artifacts through review, approved, archived → every logged
  change starts where the previous one ended, no step skipped, none logged twice.

    python bench/concurrency_bench.py                     # 16 × 25 openings, 16 × 25 notes, 16 over 8 artifacts
    python bench/concurrency_bench.py --processes 32 --per-process 50
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.concurrency_load import make_workspace, run_notes, run_openings, run_promotions  # noqa: E402


def main() -> int:
    """Run the three loads and print their figures; exit 1 if any check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--per-process", type=int, default=25, help="incidents opened and notes added per process")
    parser.add_argument("--artifacts", type=int, default=8, help="artifacts every process tries to promote")
    args = parser.parse_args()
    p, n = args.processes, args.per_process
    top = Path(tempfile.mkdtemp(prefix="concurrency-bench-"))
    problems: list[str] = []
    try:
        started = time.monotonic()
        opened = run_openings(make_workspace(top / "open"), p, n)
        print(f"openings   {p} × {n}: opened {opened.opened}, unique ids {opened.unique_ids}, files {opened.files}, "
              f"problems {len(opened.problems)}  ({time.monotonic() - started:.1f} s)")
        problems += opened.problems

        started = time.monotonic()
        committed, on_disk, note_problems = run_notes(make_workspace(top / "notes"), p, n)
        print(f"notes      {p} × {n} on one incident: committed {committed}, on disk {on_disk}, lost events "
              f"{committed - on_disk}, problems {len(note_problems)}  ({time.monotonic() - started:.1f} s)")
        problems += note_problems

        started = time.monotonic()
        changes, lines, promo_problems = run_promotions(make_workspace(top / "promote"), p, args.artifacts)
        print(f"promotions {p} processes × {args.artifacts} artifacts × 3 steps: changes {changes}, log lines "
              f"{lines}, skipped or doubled steps {len(promo_problems)}  ({time.monotonic() - started:.1f} s)")
        problems += promo_problems
    finally:
        shutil.rmtree(top, ignore_errors=True)
    for problem in problems[:50]:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
