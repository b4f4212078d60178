"""Crash-safety harness (issue 7): a writer that logs every write before making it, and the checker.

The worker drives the public core API — ``open_incident``, ``update_incident``, ``promote``,
``generate_runbook`` (after a config change) and ``write_artifact_text`` — in a loop until it is
killed. Every ``atomic_write`` / ``create_exclusive`` the core makes is logged first (the path and the
SHA-256 of the exact bytes about to be written) and confirmed after, one ``write(2)`` per line on an
``O_APPEND`` log, so wherever SIGKILL lands the log says which versions each file may hold. After each
kill, ``Checker.check_life`` (in ``crash_checker``) proves (and counts what it cannot):

* every watched file is byte for byte its old or its new version (``torn``), nothing changed that no
  logged write explains (``stray``), and every artifact parses and validates (``invalid``);
* every committed operation is on disk, in order, and nothing else is (``lost_events`` /
  ``phantom_events``); the one operation in flight at the kill happened wholly or not at all;
* a status change on disk has its audit-log line (``audit_missing``), every log line is whole;
* no temp file is listed as an artifact or incident (``temp_listed``), and the next start — the CLI's
  own start-up sweep — removes every leftover (``temp_remaining``).

Kills come two ways: ``crash_loop`` at random moments (SIGKILL from outside after a random delay), and
``crash_points`` deterministically, before each write step of each writer in turn (an audit hook kills
the worker just before its n-th open-for-write, rename, link or remove inside the workspace).

Two test doubles prove the checker can fail: ``torn`` replaces the core's atomic writes with a plain
write that dies half-way (the checker must count a torn file), ``drop`` with writes that report success
and write nothing (it must count lost events).

Used by ``tests/system/test_crash_safety.py`` (25 random kills and every crash point in CI) and
``bench/crash_bench.py`` (200+ kills, or ``--points``). The worker alone, from the checkout:
``python -m tests.support.crash_worker ROOT LOG SEED [--ops open,note] [--double torn] [--die-at N]``.
The intent log and the logged writes are in ``crash_intent``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_mcp import incidents
from incident_mcp.artifacts import read_text_exact, write_artifact_text
from incident_mcp.incidents.record import format_id, incident_files
from incident_mcp.promotion import promote
from incident_mcp.runbook import generate_runbook
from incident_mcp.workspace import Workspace
from tests.support.checkout import COMPANY_OS, REPO
from tests.support.crash_checker import Checker, Figures, Life
from tests.support.crash_disk import GEN_RE, PROBE_DIR, PROBE_PREFIX, read_probes
from tests.support.crash_intent import IntentLog, instrument

COMPANY_LINE = re.compile(r'^  name: ".*?"', re.MULTILINE)
NEXT_STATUS = {"draft": "review", "review": "approved", "approved": "archived"}
WEIGHTS = {"open": 2, "note": 5, "promote": 3, "regen": 1, "add": 1}
FILLER = "abc xyz ünïcödé ✓ 日本 🔥 'quoted' \"double\" --- : # - | \\ \n"
DOUBLES = ("torn", "drop")


# ---- the workspace ------------------------------------------------------------------------------------------


def probe_text(number: int) -> str:
    """A small valid RFC that the worker walks through the lifecycle."""
    ident = f"{PROBE_PREFIX}{number:04d}"
    return (f"---\nid: {ident}\ntype: rfc\ntitle: Crash probe {number}\nstatus: draft\ncreated: 2026-03-01\n"
            f"author: crash-worker\nparent: null\nchildren: []\ndepends_on: []\nblocks: []\n---\n\n"
            f"# Crash probe {number}\n\nAn RFC the crash worker promotes through its lifecycle.\n")


def make_workspace(root: Path, *, incidents_open: int = 2, probes: int = 2) -> Workspace:
    """A Company OS workspace with a marked company name, a runbook, a few incidents and probe RFCs."""
    root.mkdir(parents=True)
    config = (COMPANY_OS / "company.config.yaml").read_text(encoding="utf-8")
    (root / "company.config.yaml").write_text(COMPANY_LINE.sub('  name: "crash-gen-0"', config, count=1),
                                              encoding="utf-8")
    shutil.copytree(COMPANY_OS / "artifacts", root / "artifacts")
    ws = Workspace.at(root)
    generate_runbook(ws)
    for n in range(incidents_open):
        incidents.open_incident(ws, title=f"Seed incident {n}", severity="P2")
    for n in range(1, probes + 1):
        write_artifact_text(ws, f"{PROBE_DIR}/{PROBE_PREFIX}{n:04d}-probe.md", probe_text(n))
    return ws


# ---- the worker ----------------------------------------------------------------------------------------------


def _filler(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(FILLER) for _ in range(rng.randrange(most)))


def _run_op(ws: Workspace, log: IntentLog, write: Callable[[Path, str], None], rng: random.Random, seq: str,
            op: str) -> None:
    ids = [format_id(n) for n, _ in incident_files(ws)]
    probes = read_probes(ws)
    movable = sorted(pid for pid, (_, status) in probes.items() if status in NEXT_STATUS)
    if op == "note" and not ids:
        op = "open"
    if op == "promote" and not movable:
        op = "add"
    if op == "open":
        title = f"Crash {seq}" + rng.choice(["", " — ünïcödé ✓", " with 'quotes': and --- dashes"])
        severity = rng.choice(["P0", "P1", "P2", "P3"])
        log.write(t="op", seq=seq, op=op, title=title)
        opened = incidents.open_incident(ws, title=title, severity=severity, summary=_filler(rng, 3000))
        log.write(t="done", seq=seq, id=opened.id, path=opened.path)
    elif op == "note":
        ident = rng.choice(ids)
        text = f"note {seq} " + _filler(rng, 2000)
        log.write(t="op", seq=seq, op=op, id=ident, text=text)
        incidents.update_incident(ws, ident, event="note", text=text)
        log.write(t="done", seq=seq)
    elif op == "promote":
        ident = rng.choice(movable)
        rel, old = probes[ident]
        log.write(t="op", seq=seq, op=op, id=ident, path=rel, old=old, new=NEXT_STATUS[old])
        result = promote(ws, ident, NEXT_STATUS[old])
        log.write(t="done", seq=seq, changed=result.changed, log_line=result.log_line)
    elif op == "regen":
        config = read_text_exact(ws.config_path)
        match = GEN_RE.search(config)
        gen = (int(match.group(1)) if match else 0) + 1
        log.write(t="op", seq=seq, op=op, gen=gen)
        write(ws.config_path, GEN_RE.sub(f"crash-gen-{gen}", config, count=1))
        generate_runbook(ws)
        log.write(t="done", seq=seq)
    elif op == "add":
        number = max((int(pid[len(PROBE_PREFIX):]) for pid in probes), default=0) + 1
        rel = f"{PROBE_DIR}/{PROBE_PREFIX}{number:04d}-probe.md"
        log.write(t="op", seq=seq, op=op, id=f"{PROBE_PREFIX}{number:04d}", path=rel)
        write_artifact_text(ws, rel, probe_text(number))
        log.write(t="done", seq=seq)
    else:
        raise ValueError(f"unknown op {op!r}")


def die_before_write_step(root: Path, step: int) -> None:
    """SIGKILL this process just before its ``step``-th file-system write step inside ``root`` (1-based).

    Write steps are the audit events of opening a file for writing (creating a temp file, a lock, the
    audit log), renaming, linking, removing and creating folders: every boundary inside ``atomic_write``,
    ``create_exclusive`` and the promotion's pending record and log append.
    """
    prefix = str(root) + os.sep
    seen = [0]
    writing_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & writing_flags))
        elif event in ("os.rename", "os.link", "os.remove", "os.mkdir", "os.rmdir"):
            path, writing = args[0], True
        else:
            return
        if not writing or not isinstance(path, (str, bytes, os.PathLike)):
            return
        if not os.path.abspath(os.fsdecode(path)).startswith(prefix):
            return
        seen[0] += 1
        if seen[0] == step:
            os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)


def run_worker(root: Path, log_path: Path, seed: int, *, ops: list[str] | None = None, max_ops: int | None = None,
               double: str | None = None, die_at: int | None = None, ready: Callable[[], None] | None = None) -> None:
    """Write through the core API until killed (or ``max_ops`` operations), logging every write first.

    ``die_at``: die just before that write step (see ``die_before_write_step``) instead of waiting for a kill.
    """
    ws = Workspace.at(root)
    log = IntentLog(log_path)
    write = instrument(ws, log, double)
    if die_at is not None:
        die_before_write_step(ws.root, die_at)
    rng = random.Random(seed)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    log.write(t="life", seed=seed, pid=os.getpid())
    if ready:
        ready()
    count = 0
    while max_ops is None or count < max_ops:
        op = ops[count % len(ops)] if ops else rng.choices(names, weights)[0]
        count += 1
        try:
            _run_op(ws, log, write, rng, f"{seed}-{count}", op)
        except Exception as err:
            log.write(t="error", op=op, error=f"{type(err).__name__}: {err}", trace=traceback.format_exc())
            raise


# ---- lives: start, kill, wait -------------------------------------------------------------------------------


def run_life_fork(root: Path, log_path: Path, seed: int, delay: float | None, **worker: Any) -> Life:
    """Fork a worker from this (already imported) process, SIGKILL it after ``delay`` s (None: let it end)."""
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's stack
        code = 0
        try:
            run_worker(root, log_path, seed, **worker)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    if delay is not None:
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return Life(killed=os.WTERMSIG(status) == signal.SIGKILL, exit_code=None)
    return Life(killed=False, exit_code=os.WEXITSTATUS(status))


def run_life_exec(root: Path, log_path: Path, seed: int, delay: float | None, *, ops: list[str] | None = None,
                  max_ops: int | None = None, double: str | None = None, die_at: int | None = None) -> Life:
    """Start the worker as a fresh interpreter (this module as a script), kill it ``delay`` s after it is ready."""
    args = [sys.executable, "-m", "tests.support.crash_worker", str(root), str(log_path), str(seed)]
    if ops:
        args += ["--ops", ",".join(ops)]
    if max_ops is not None:
        args += ["--max-ops", str(max_ops)]
    if double:
        args += ["--double", double]
    if die_at is not None:
        args += ["--die-at", str(die_at)]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()  # "ready": imports done, kills land among the writes
        if delay is not None:
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
        code = process.wait()
        stderr = process.stderr.read().decode("utf-8", "replace")
    return Life(killed=code == -signal.SIGKILL, exit_code=None if code < 0 else code, stderr=stderr)


def crash_loop(root: Path, kills: int, *, seed: int = 0, max_delay: float = 0.25, mode: str = "fork",
               double: str | None = None, progress: Callable[[int, Figures], None] | None = None) -> Figures:
    """Build a workspace at ``root``, then ``kills`` times: start a worker, SIGKILL it at a random moment, check."""
    ws = make_workspace(root)
    log_path = root.parent / f"{root.name}-intent.log"
    checker = Checker(ws, log_path)
    rng = random.Random(seed)
    run_life = run_life_fork if mode == "fork" else run_life_exec
    for index in range(kills):
        life = run_life(ws.root, log_path, seed * 1_000_003 + index, rng.uniform(0.0, max_delay), double=double)
        checker.check_life(life)
        if progress:
            progress(index + 1, checker.figures)
    return checker.figures


def crash_points(root: Path, *, rounds: int = 1, ops: list[str] | None = None,
                 progress: Callable[[int, Figures], None] | None = None) -> tuple[Figures, int]:
    """Kill each operation before each of its write steps in turn (step 1, 2, … until it completes).

    Deterministic, unlike random kills: every boundary of every writer is hit. Returns the figures and
    the number of crash points visited. ``rounds`` repeats the sweep on the grown workspace.
    """
    ws = make_workspace(root)
    log_path = root.parent / f"{root.name}-intent.log"
    checker = Checker(ws, log_path)
    points = 0
    for round_ in range(rounds):
        for op in ops or list(WEIGHTS):
            step = 1
            while True:
                life = run_life_fork(ws.root, log_path, 10_000 * round_ + 100 * step + len(op), None, ops=[op],
                                     max_ops=1, die_at=step)
                checker.check_life(life)
                if not life.killed:
                    break  # the operation finished before reaching this step: every step has been hit
                points += 1
                step += 1
                if progress:
                    progress(points, checker.figures)
    return checker.figures, points


def main(argv: list[str] | None = None) -> int:
    """The worker as a script (used by ``run_life_exec``): print "ready", then write until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("log", type=Path)
    parser.add_argument("seed", type=int)
    parser.add_argument("--ops", help="comma-separated operations to cycle through (default: random mix)")
    parser.add_argument("--max-ops", type=int)
    parser.add_argument("--double", choices=DOUBLES)
    parser.add_argument("--die-at", type=int, help="die just before this write step")
    args = parser.parse_args(argv)

    def ready() -> None:
        print("ready", flush=True)

    run_worker(args.root, args.log, args.seed, ops=args.ops.split(",") if args.ops else None, max_ops=args.max_ops,
               double=args.double, die_at=args.die_at, ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
