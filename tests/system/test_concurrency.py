"""Concurrency at volume (issue 7): 16 processes × 25 openings give 400 unique ids and 400 intact files;
concurrent notes on one incident lose none; concurrent promotions never skip a step or log one twice.

The loads live in ``tests/support/concurrency_load.py``, shared with ``bench/concurrency_bench.py`` (which prints
timings too).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.concurrency_load import make_workspace, run_notes, run_openings, run_promotions

# ---- the tests (the bench runs the same with timings) -------------------------------------------------------------


def test_sixteen_processes_opening_twenty_five_incidents_each_get_four_hundred_unique_ids_and_files(
        tmp_path: Path) -> None:
    figures = run_openings(make_workspace(tmp_path / "ws"), 16, 25)
    assert (figures.opened, figures.unique_ids, figures.files) == (400, 400, 400)
    assert figures.problems == []


def test_sixteen_processes_adding_notes_to_one_incident_lose_none_and_keep_each_ones_order(tmp_path: Path) -> None:
    committed, on_disk, problems = run_notes(make_workspace(tmp_path / "ws"), 16, 8)
    assert (committed, on_disk, problems) == (128, 128, [])


def test_sixteen_processes_promoting_the_same_artifacts_never_skip_a_step_or_log_one_twice(tmp_path: Path) -> None:
    changes, lines, problems = run_promotions(make_workspace(tmp_path / "ws"), 16, 3)
    assert problems == []
    assert 3 <= changes == lines <= 9
