"""Every benchmark still runs at tiny sizes: they are the source of the published figures, and one that
crashes (as learn_bench did after duplicate refusal arrived) would leave the README quoting numbers nobody
can reproduce. Timings are printed, never asserted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.checkout import REPO, cli_env

TINY = {
    "attack_bench": ["--requests", "5", "--sockets", "5"],
    "concurrency_bench": ["--processes", "2", "--per-process", "2", "--artifacts", "2"],
    "crash_bench": ["--kills", "3"],
    "learn_bench": ["--commits", "50", "--records", "30", "--rounds", "1"],
    "runbook_bench": ["--services", "3", "--rfcs", "2", "--repeat", "1"],
    "startup_bench": ["--starts", "1", "--calls", "2", "--artifacts", "10"],
    "status_bench": ["--size", "20", "--curl-subset", "5"],
    "statuspage_bench": ["--incidents", "20", "--components", "3", "--repeat", "1"],
    "stream_bench": ["--requests", "20", "--width", "5"],
    "validate_bench": ["--sizes", "20", "--repeat", "1", "--sample", "2"],
    "watch_bench": ["--size", "10", "--rounds", "1", "--sim-services", "3", "--sim-days", "2"],
}

# Rows a reader of the README looks for: ours beside a baseline or a lower bound.
ROWS = {
    "learn_bench": ["recent_changes", "incident_metrics over 30 records", "lower bound"],
    "runbook_bench": ["generate (create)", "generate (unchanged)", "generate (dry run)", "render only",
                      "lower bound: render, no data", "lower bound: string concat", "first call in a fresh process"],
}


def test_every_bench_in_the_folder_has_tiny_sizes_here() -> None:
    assert {p.stem for p in (REPO / "bench").glob("*_bench.py")} == set(TINY)


@pytest.mark.parametrize("bench", sorted(TINY))
def test_the_bench_runs_to_the_end_and_prints_its_rows(bench: str) -> None:
    env = cli_env(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, str(REPO / "bench" / f"{bench}.py"), *TINY[bench]], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()
    for row in ROWS.get(bench, []):
        assert row in result.stdout, row
