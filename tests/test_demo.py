"""The demo runs end to end on the bundled company, from a checkout and from an installed wheel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def test_the_demo_copies_the_example_company_and_walks_through_every_step(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "demo"
    done = run_cli("demo", "--into", str(target), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Brightdesk" in done.stdout
    assert (target / "company.config.yaml").is_file()
    assert str(target) in done.stdout


def test_the_demo_refuses_to_write_into_a_folder_that_is_not_empty(tmp_path: Path,
                                                                   run_cli: Callable[..., Any]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = run_cli("demo", "--into", str(tmp_path))
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
