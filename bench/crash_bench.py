"""Crash safety at volume (issue 7): SIGKILL a writer at random moments, N times, and check after each kill.

Each life of the worker (``tests/support/crash_worker.py``) opens incidents, adds timeline notes, promotes RFCs
through their lifecycle, changes the config and regenerates the runbook, and adds artifacts — all through
the public core API — until it is killed after a random delay. After every kill the checker proves each
file is byte for byte its old or its new version (the worker logs the hash of every write before making
it), every artifact parses and validates, every committed event is on disk and nothing else, every
status change has its audit line after the next start, no temp file is listed, and the next start (the
CLI's own start-up repairs) leaves no temp file behind. Prints one line of figures; exit 1 on any failure.

    python bench/crash_bench.py                       # 200 kills, workers forked from this process
    python bench/crash_bench.py --mode exec           # each worker a fresh interpreter (slower, ~1 s/kill)
    python bench/crash_bench.py --kills 1000 --seed 3
    python bench/crash_bench.py --double torn --kills 20   # self-test: a non-atomic writer must be caught
    python bench/crash_bench.py --points --rounds 20       # deterministic: a kill before every write step
                                                           # of every writer (like SQLite's crash tests)
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

from tests.support.crash_checker import Figures  # noqa: E402
from tests.support.crash_worker import DOUBLES, crash_loop, crash_points  # noqa: E402


def main() -> int:
    """Run the crash loop and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-delay", type=float, default=0.25, help="seconds; each kill lands uniformly in [0, this)")
    parser.add_argument("--mode", choices=["fork", "exec"], default="fork")
    parser.add_argument("--double", choices=DOUBLES, help="replace the core's writes with a broken double")
    parser.add_argument("--keep", action="store_true", help="keep the workspace and the intent log")
    parser.add_argument("--points", action="store_true",
                        help="instead of random kills: kill each writer before each of its write steps in turn")
    parser.add_argument("--rounds", type=int, default=5, help="with --points: sweeps over the growing workspace")
    args = parser.parse_args()

    top = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    started = time.monotonic()

    def progress(done: int, figures: Figures) -> None:
        if done % 25 == 0 or done == args.kills:
            total = "" if args.points else f"/{args.kills}"
            print(f"  {done}{total} kills, {time.monotonic() - started:.0f} s, failures so far: "
                  f"{figures.failures}", file=sys.stderr, flush=True)

    points = None
    try:
        if args.points:
            figures, points = crash_points(top / "ws", rounds=args.rounds, progress=progress)
        else:
            figures = crash_loop(top / "ws", args.kills, seed=args.seed, max_delay=args.max_delay, mode=args.mode,
                                 double=args.double, progress=progress)
    finally:
        if args.keep:
            print(f"workspace kept at {top}", file=sys.stderr)
        else:
            shutil.rmtree(top, ignore_errors=True)
    how = f"crash points: {points} ({args.rounds} rounds)" if points is not None else \
        f"mode: {args.mode}, seed: {args.seed}"
    print(f"{how}, {time.monotonic() - started:.0f} s")
    print(figures.summary())
    for line in figures.details:
        print("  " + line.replace("\n", "\n    "))
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
