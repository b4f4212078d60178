"""The runbook benchmark still runs (tiny sizes, one repetition): it is the source of the published figures."""

from __future__ import annotations

import subprocess
import sys

from tests.support.checkout import REPO

BENCH = REPO / "bench" / "runbook_bench.py"


def test_the_bench_runs_and_prints_every_row() -> None:
    result = subprocess.run([sys.executable, str(BENCH), "--services", "3", "--rfcs", "2", "--repeat", "1"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for row in ("generate (create)", "generate (unchanged)", "generate (dry run)", "render only",
                "lower bound: render, no data", "lower bound: string concat", "first call in a fresh process"):
        assert row in result.stdout
