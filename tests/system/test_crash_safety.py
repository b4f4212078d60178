"""Crash safety (issue 7): writers SIGKILLed at random moments leave every file old or new, lose no event,
list no temp file, and the next start cleans up. The heavy run is ``bench/crash_bench.py`` (200+ kills);
``python -m pytest -m stress tests/system/test_crash_safety.py`` runs it too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incident_mcp import promotion
from incident_mcp.artifacts import AUDIT_LOG
from incident_mcp.promotion import promote, recover_promotions
from incident_mcp.workspace import STATE_DIR, TEMP_MARK, Workspace, append_line, atomic_write
from tests.support.checkout import cli_env
from tests.support.crash_checker import Checker, Figures
from tests.support.crash_worker import crash_loop, crash_points, make_workspace, run_life_fork

CI_KILLS = 25
PROBE = "RFC-CRASH-0001"
PROBE_REL = "artifacts/rfcs/RFC-CRASH-0001-probe.md"


def _one_life(tmp_path: Path, op: str, double: str | None) -> Figures:
    ws = make_workspace(tmp_path / "ws")
    log = tmp_path / "intent.log"
    checker = Checker(ws, log)
    return checker.check_life(run_life_fork(ws.root, log, 1, None, ops=[op], max_ops=1, double=double))


def test_a_short_crash_loop_leaves_every_file_old_or_new_and_loses_nothing(tmp_path: Path) -> None:
    figures = crash_loop(tmp_path / "ws", CI_KILLS, seed=2026)
    print(figures.summary())
    assert figures.failures == 0, "\n".join([figures.summary(), *figures.details])
    assert figures.kills == CI_KILLS
    assert figures.ops_committed > 0 and figures.kills_mid_operation > 0, figures.summary()


def test_a_kill_before_every_write_step_of_every_writer_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    figures, points = crash_points(tmp_path / "ws")
    print(f"crash points: {points}; {figures.summary()}")
    assert figures.failures == 0, "\n".join([figures.summary(), *figures.details])
    assert points == figures.kills >= 5 * len(OPS)  # every writer has several steps, each one hit
    assert figures.audit_repaired >= 1  # a kill between a status line and its log line was among them


OPS = ["open", "note", "promote", "regen", "add"]


@pytest.mark.parametrize("op", OPS)
def test_a_writer_that_is_not_atomic_is_caught_leaving_a_torn_file(tmp_path: Path, op: str) -> None:
    figures = _one_life(tmp_path, op, "torn")
    assert figures.kills == 1 and figures.kills_mid_write == 1
    assert figures.torn >= 1, figures.details


@pytest.mark.parametrize("op", OPS)
def test_a_writer_that_reports_success_without_writing_is_caught_losing_events(tmp_path: Path, op: str) -> None:
    figures = _one_life(tmp_path, op, "drop")
    assert figures.kills == 0 and figures.ops_committed == 1
    assert figures.lost_events >= 1, figures.details


@pytest.mark.parametrize("op", OPS)
def test_the_real_writers_pass_the_same_checks_when_not_killed(tmp_path: Path, op: str) -> None:
    figures = _one_life(tmp_path, op, None)
    assert (figures.ops_committed, figures.failures) == (1, 0), figures.details


# ---- a promotion killed between the status line and the audit line ------------------------------------------


def _killed_promotion(ws: Workspace, patch: Callable[[], None]) -> None:
    """Promote the probe draft → review in a child process that ``patch`` arranges to die mid-way."""
    pid = os.fork()
    if pid == 0:
        try:
            patch()
            promote(ws, PROBE, "review")
        finally:
            os._exit(0)  # reached only if the patch did not kill us
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _log_lines(ws: Workspace) -> list[str]:
    path = ws.root / AUDIT_LOG
    return [line.split("] ", 1)[1] for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _status(ws: Workspace) -> str:
    text = (ws.root / PROBE_REL).read_text(encoding="utf-8")
    return text.split("\nstatus: ", 1)[1].split("\n", 1)[0]


def _pending(ws: Workspace) -> list[Path]:
    return sorted((ws.root / STATE_DIR).glob("pending-*"))


@pytest.fixture
def probe_ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws", incidents_open=0, probes=1)


def test_a_promotion_killed_before_its_audit_line_gets_the_line_at_the_next_cli_start(probe_ws: Workspace) -> None:
    def kill_at_append() -> None:
        promotion.append_line = lambda *args, **kwargs: _die()  # type: ignore[attr-defined]  # patched where promotion reads it

    _killed_promotion(probe_ws, kill_at_append)
    assert (_status(probe_ws), _log_lines(probe_ws)) == ("review", [])  # the gap a crash leaves
    assert len(_pending(probe_ws)) == 1
    done = subprocess.run([sys.executable, "-m", "incident_mcp", "incident", "list", "--workspace", str(probe_ws.root)],
                          capture_output=True, text=True, env=cli_env(), timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert _log_lines(probe_ws) == [f"{PROBE_REL}: draft → review"]
    assert _pending(probe_ws) == []
    assert recover_promotions(probe_ws) == [] and len(_log_lines(probe_ws)) == 1


def test_the_next_promotion_of_the_artifact_writes_the_missing_line_before_its_own(probe_ws: Workspace) -> None:
    def kill_at_append() -> None:
        promotion.append_line = lambda *args, **kwargs: _die()  # type: ignore[attr-defined]  # patched where promotion reads it

    _killed_promotion(probe_ws, kill_at_append)
    promote(probe_ws, PROBE, "approved")
    assert _log_lines(probe_ws) == [f"{PROBE_REL}: draft → review", f"{PROBE_REL}: review → approved"]
    assert _pending(probe_ws) == []


def test_a_promotion_killed_after_its_audit_line_is_not_logged_twice(probe_ws: Workspace) -> None:
    def kill_after_append() -> None:
        real = append_line

        def append_then_die(*args: Any, **kwargs: Any) -> None:
            real(*args, **kwargs)
            _die()

        promotion.append_line = append_then_die  # type: ignore[attr-defined]  # patched where promotion reads it

    _killed_promotion(probe_ws, kill_after_append)
    assert len(_pending(probe_ws)) == 1
    assert recover_promotions(probe_ws) == []
    assert _log_lines(probe_ws) == [f"{PROBE_REL}: draft → review"] and _pending(probe_ws) == []


def test_a_promotion_killed_before_its_status_write_changes_nothing_after_recovery(probe_ws: Workspace) -> None:
    def kill_at_status_write() -> None:
        real = atomic_write

        def write(target: Path, text: str) -> None:
            if target.name.endswith(".md"):
                _die()
            real(target, text)

        promotion.atomic_write = write  # type: ignore[attr-defined]  # patched where promotion reads it

    _killed_promotion(probe_ws, kill_at_status_write)
    assert len(_pending(probe_ws)) == 1
    assert recover_promotions(probe_ws) == []
    assert (_status(probe_ws), _log_lines(probe_ws), _pending(probe_ws)) == ("draft", [], [])


def test_a_pending_record_naming_a_path_outside_the_workspace_is_dropped_without_writing(
        probe_ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("x")
    lock = "artifact-" + "0" * 24
    (probe_ws.state_dir() / f"pending-{lock}.json").write_text(
        '{"file": "../outside.md", "sha256": "' + "0" * 64 + '", "log_line": "[x] ../outside.md: a → b", '
        '"log_offset": 0}')
    assert recover_promotions(probe_ws) == []
    assert _pending(probe_ws) == [] and _log_lines(probe_ws) == [] and outside.read_text() == "x"


# ---- disk full and I/O errors in the one writer that bypasses atomic_write: the audit-log append ---------------


def _is_audit_log(fd: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").endswith("promotions.log")
    except OSError:
        return False


@pytest.mark.parametrize("stage", ["short-write", "write-enospc", "fsync-eio"])
def test_a_failed_audit_append_leaves_log_and_status_as_they_were(
        probe_ws: Workspace, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    promote(probe_ws, PROBE, "review")  # a log with one line already
    log = probe_ws.root / AUDIT_LOG
    log_before, file_before = log.read_bytes(), (probe_ws.root / PROBE_REL).read_bytes()
    real_write, real_fsync = os.write, os.fsync

    def write(fd: int, data: bytes) -> int:
        if stage == "fsync-eio" or not _is_audit_log(fd):
            return real_write(fd, data)
        if stage == "short-write":  # the disk filled up half-way through the line
            return real_write(fd, bytes(data)[: len(data) // 2])
        raise OSError(28, os.strerror(28))

    def fsync(fd: int) -> None:
        if _is_audit_log(fd):
            raise OSError(5, os.strerror(5))
        real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    if stage == "fsync-eio":
        monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError):
        promote(probe_ws, PROBE, "approved")
    monkeypatch.undo()
    assert log.read_bytes() == log_before
    assert (probe_ws.root / PROBE_REL).read_bytes() == file_before
    assert _pending(probe_ws) == [] and list(probe_ws.root.rglob(f"*{TEMP_MARK}*")) == []
    promote(probe_ws, PROBE, "approved")  # and the next attempt goes through cleanly
    assert _log_lines(probe_ws) == [f"{PROBE_REL}: draft → review", f"{PROBE_REL}: review → approved"]


# ---- the next start sweeps leftovers ---------------------------------------------------------------------------


def test_the_next_cli_start_removes_temp_files_of_dead_writers_wherever_we_write(
        company_os_ws: Path, tmp_path: Path) -> None:
    dead = [company_os_ws / f".company.config.yaml.999999999.deadbeef{TEMP_MARK}"]
    for folder in ("artifacts/decision-memos", "standards/ops", STATE_DIR, "tools/ops"):
        (company_os_ws / folder).mkdir(parents=True, exist_ok=True)
        dead.append(company_os_ws / folder / f".x.md.999999999.0badf00d{TEMP_MARK}")
    alive = company_os_ws / "artifacts" / f".y.md.{os.getpid()}.deadbeef{TEMP_MARK}"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / f".z.md.999999999.deadbeef{TEMP_MARK}").write_text("not ours")
    (company_os_ws / "standards" / "linked").symlink_to(outside)
    for path in [*dead, alive]:
        path.write_text("partial")
    done = subprocess.run([sys.executable, "-m", "incident_mcp", "incident", "list", "--workspace",
                           str(company_os_ws)], capture_output=True, text=True, env=cli_env(), timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert [p for p in dead if p.exists()] == []
    assert alive.exists()  # a live writer's temp file is its own
    assert (outside / f".z.md.999999999.deadbeef{TEMP_MARK}").exists()


def test_a_read_only_server_start_leaves_leftovers_alone(company_os_ws: Path) -> None:
    from incident_mcp.cli.main import build_parser, recover_at_start

    leftover = company_os_ws / "artifacts" / f".x.md.999999999.deadbeef{TEMP_MARK}"
    leftover.write_text("partial")
    recover_at_start(build_parser().parse_args(["serve", "--read-only", "--workspace", str(company_os_ws)]))
    assert leftover.exists()
    recover_at_start(build_parser().parse_args(["serve", "--workspace", str(company_os_ws)]))
    assert not leftover.exists()


# ---- heavy runs (not in CI: python -m pytest -m stress) ---------------------------------------------------------


@pytest.mark.stress
def test_every_write_step_of_every_writer_over_ten_rounds(tmp_path: Path) -> None:
    figures, points = crash_points(tmp_path / "ws", rounds=10)
    print(f"crash points: {points}; {figures.summary()}")
    assert figures.failures == 0, "\n".join([figures.summary(), *figures.details])


@pytest.mark.stress
@pytest.mark.parametrize("mode", ["fork", "exec"])
def test_two_hundred_kills_leave_no_torn_file_and_lose_no_event(tmp_path: Path, mode: str) -> None:
    figures = crash_loop(tmp_path / "ws", 200, seed=7, mode=mode)
    print(figures.summary())
    assert figures.failures == 0, "\n".join([figures.summary(), *figures.details])
    assert figures.kills == 200
