"""Crash-safety harness (issue 7): a writer that logs every write before making it, and the checker.

The worker drives the public core API — ``open_incident``, ``update_incident``, ``promote``,
``generate_runbook`` (after a config change) and ``write_artifact_text`` — in a loop until it is
killed. Every ``atomic_write`` / ``create_exclusive`` the core makes is logged first (the path and the
SHA-256 of the exact bytes about to be written) and confirmed after, one ``write(2)`` per line on an
``O_APPEND`` log, so wherever SIGKILL lands the log says which versions each file may hold. After each
kill, ``Checker.check_life`` proves (and counts what it cannot):

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
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
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

from incident_mcp import incidents, workspace
from incident_mcp.artifacts import (
    AUDIT_LOG,
    ArtifactIndex,
    iter_artifact_files,
    parse_artifact,
    read_text_exact,
    write_artifact_text,
)
from incident_mcp.cli.main import recover_at_start
from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.document import refresh_body
from incident_mcp.incidents.record import format_id, incident_files
from incident_mcp.promotion import promote
from incident_mcp.runbook import generate_runbook
from incident_mcp.validation import composition, validate_workspace
from incident_mcp.workspace import TEMP_MARK, Workspace
from tests.support.checkout import COMPANY_OS, REPO

PROBE_DIR = "artifacts/rfcs"
PROBE_PREFIX = "RFC-CRASH-"
GEN_RE = re.compile(r"crash-gen-(\d+)")
COMPANY_LINE = re.compile(r'^  name: ".*?"', re.MULTILINE)
NEXT_STATUS = {"draft": "review", "review": "approved", "approved": "archived"}
WEIGHTS = {"open": 2, "note": 5, "promote": 3, "regen": 1, "add": 1}
AUDIT_RE = re.compile(r"^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\] (.+): (\w+) → (\w+)$")
FILLER = "abc xyz ünïcödé ✓ 日本 🔥 'quoted' \"double\" --- : # - | \\ \n"
DOUBLES = ("torn", "drop")


def sha(data: bytes) -> str:
    """SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


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


class IntentLog:
    """JSON lines, each written with one ``write(2)`` on an O_APPEND file: a kill never splits a line
    that was started (and a line not started was never acted on)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **entry: Any) -> None:
        """Append one entry."""
        os.write(self.fd, (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii"))


def _die_half_way(target: Path, data: bytes, *, exclusive: bool) -> None:
    """The torn double: a plain in-place write that is killed half-way through."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(target, flags, 0o644)
    os.write(fd, data[: len(data) // 2])
    os.fsync(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def instrument(ws: Workspace, log: IntentLog, double: str | None = None) -> Callable[[Path, str], None]:
    """Route every core module's ``atomic_write`` / ``create_exclusive`` through a logging wrapper.

    The wrapper logs the path and hash of what is about to be written, calls the real function (or
    the double), then confirms. Returns the ``atomic_write`` wrapper for the worker's own config writes.
    """
    writes = _LoggedWrites(ws, log, double)
    assert composition.RULES  # the rules' modules are loaded before their writes are rerouted
    rerouted = _reroute({"atomic_write": (writes.real_write, writes.atomic_write),
                         "create_exclusive": (writes.real_create, writes.create_exclusive)})
    if not rerouted:
        raise RuntimeError("no core module writes through atomic_write any more: the harness sees nothing")
    return writes.atomic_write


class _LoggedWrites:
    """The core's two write functions wrapped: log the intent, write (or play the double), confirm."""

    def __init__(self, ws: Workspace, log: IntentLog, double: str | None) -> None:
        self.ws, self.log, self.double = ws, log, double
        self.real_write, self.real_create = workspace.atomic_write, workspace.create_exclusive

    def _rel(self, target: Path) -> str:
        return Path(target).resolve().relative_to(self.ws.root).as_posix()

    def atomic_write(self, target: Path, text: str) -> None:
        """``workspace.atomic_write``, logged; the doubles tear or drop writes to watched files."""
        data = text.encode("utf-8")
        rel = self._rel(target)
        self.log.write(t="write", path=rel, sha=sha(data))
        try:
            if self.double == "torn" and is_watched(rel):
                _die_half_way(target, data, exclusive=False)
            elif self.double != "drop" or not is_watched(rel):
                self.real_write(target, text)
        except BaseException:
            self.log.write(t="wrote", path=rel, ok=False)
            raise
        self.log.write(t="wrote", path=rel, ok=True)

    def create_exclusive(self, target: Path, text: str) -> bool:
        """``workspace.create_exclusive``, logged; the doubles tear or drop every such write."""
        data = text.encode("utf-8")
        rel = self._rel(target)
        self.log.write(t="write", path=rel, sha=sha(data))
        ok = False
        try:
            if self.double == "torn":
                _die_half_way(target, data, exclusive=True)
            ok = True if self.double == "drop" else self.real_create(target, text)
        finally:
            self.log.write(t="wrote", path=rel, ok=ok)
        return ok


def _reroute(replacements: dict[str, tuple[object, object]]) -> int:
    """In every loaded core module but ``workspace``, replace each name bound to its real function by the wrapper."""
    rerouted = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("incident_mcp") or module is workspace or module is None:
            continue
        for attr, (real, wrapper) in replacements.items():
            if getattr(module, attr, None) is real:
                setattr(module, attr, wrapper)
                rerouted += 1
    return rerouted


def _filler(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(FILLER) for _ in range(rng.randrange(most)))


def _probes(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Probe RFC id -> (workspace-relative path, status) as on disk; a probe that does not parse has status "?"."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((ws.root / PROBE_DIR).glob(f"{PROBE_PREFIX}*.md")):
        rel = ws.rel(path)
        try:
            artifact = parse_artifact(read_text_exact(path), rel)
        except (IncidentMCPError, UnicodeDecodeError):
            found[path.name[: len(PROBE_PREFIX) + 4]] = (rel, "?")
            continue
        found[str(artifact.id)] = (rel, str(artifact.status))
    return found


def _run_op(ws: Workspace, log: IntentLog, write: Callable[[Path, str], None], rng: random.Random, seq: str,
            op: str) -> None:
    ids = [format_id(n) for n, _ in incident_files(ws)]
    probes = _probes(ws)
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


@dataclasses.dataclass
class Life:
    """How one worker life ended."""

    killed: bool
    exit_code: int | None
    stderr: str = ""


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


# ---- the checker ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """What a crash loop measured; everything but the first block must stay zero."""

    kills: int = 0
    kills_mid_operation: int = 0
    kills_mid_write: int = 0
    in_flight_landed: int = 0
    ops_committed: int = 0
    events_committed: int = 0
    temp_found: int = 0
    temp_swept: int = 0
    audit_repaired: int = 0
    # failures
    torn: int = 0
    stray: int = 0
    invalid: int = 0
    lost_events: int = 0
    phantom_events: int = 0
    audit_missing: int = 0
    audit_torn: int = 0
    temp_listed: int = 0
    temp_remaining: int = 0
    worker_errors: int = 0
    details: list[str] = dataclasses.field(default_factory=list)

    FAILURES = ("torn", "stray", "invalid", "lost_events", "phantom_events", "audit_missing", "audit_torn",
                "temp_listed", "temp_remaining", "worker_errors")

    @property
    def failures(self) -> int:
        """Sum of every failure counter."""
        return sum(getattr(self, name) for name in self.FAILURES)

    def fail(self, counter: str, detail: str, amount: int = 1) -> None:
        """Count a failure and keep a readable line about it (the first 50)."""
        setattr(self, counter, getattr(self, counter) + amount)
        if len(self.details) < 50:
            self.details.append(f"{counter}: {detail}")

    def summary(self) -> str:
        """The one-line figure the bench and the tests print."""
        return (f"kills: {self.kills} (mid-operation {self.kills_mid_operation}, mid-write {self.kills_mid_write}, "
                f"in-flight landed {self.in_flight_landed}), ops committed: {self.ops_committed}, "
                f"torn files: {self.torn}, stray changes: {self.stray}, invalid files: {self.invalid}, "
                f"lost events: {self.lost_events}, phantom events: {self.phantom_events}, "
                f"status changes without audit line: {self.audit_missing} (repaired at start "
                f"{self.audit_repaired}), torn audit lines: {self.audit_torn}, "
                f"temp files listed: {self.temp_listed}, leftover temp files: {self.temp_found} "
                f"(swept {self.temp_swept}, remaining {self.temp_remaining}), worker errors: {self.worker_errors}")


@dataclasses.dataclass
class Model:
    """What the workspace must hold, from every operation the log shows committed."""

    files: dict[str, str]
    notes: dict[str, list[str]]
    titles: dict[str, str]
    statuses: dict[str, str]
    audit: list[str]
    config_gen: int
    runbook_gen: dict[str, int]


def is_watched(rel: str) -> bool:
    """Whether a workspace-relative path is one ``watched_files`` hashes."""
    return rel == "company.config.yaml" or (rel.startswith(("artifacts/", "standards/")) and rel.endswith(".md")
                                            and not workspace.is_temp_name(rel))


def watched_files(ws: Workspace) -> dict[str, str]:
    """Hash of every file the writers may touch: the config, ``artifacts/**/*.md``, ``standards/**/*.md``."""
    out = {"company.config.yaml": sha(ws.config_path.read_bytes())}
    for folder in ("artifacts", "standards"):
        for path in (ws.root / folder).rglob("*.md"):
            if not workspace.is_temp_name(path.name) and path.is_file():
                out[ws.rel(path)] = sha(path.read_bytes())
    return out


def temp_files(ws: Workspace) -> list[Path]:
    """Every temp file anywhere in the workspace."""
    return sorted(p for p in ws.root.rglob(f"*{TEMP_MARK}*") if p.is_file())


def _disk_incidents(ws: Workspace) -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for number, _path in incident_files(ws):
        record = incidents.read_incident(ws, format_id(number)).record
        out[record.id] = (record.title, [e.text for e in record.timeline if e.kind == "note"])
    return out


def _audit_lines(ws: Workspace) -> tuple[list[str], list[str]]:
    """(``path: old → new`` of each whole line, lines that are cut short or malformed) of the audit log."""
    path = ws.root / AUDIT_LOG
    text = path.read_bytes().decode("utf-8", "replace") if path.exists() else ""
    if not text:
        return [], []
    *whole, tail = text.split("\n")
    lines, bad = [], [tail] if tail else []
    for line in whole:
        match = AUDIT_RE.match(line)
        if match:
            lines.append(f"{match.group(1)}: {match.group(2)} → {match.group(3)}")
        else:
            bad.append(line)
    return lines, bad


def _runbook_gens(ws: Workspace) -> dict[str, int]:
    gens: dict[str, int] = {}
    for path in sorted((ws.root / "standards").rglob("*.md")):
        found = {int(n) for n in GEN_RE.findall(path.read_text(encoding="utf-8"))}
        gens[ws.rel(path)] = found.pop() if len(found) == 1 else -1
    return gens


@dataclasses.dataclass
class _DiskState:
    """What the workspace holds after a kill (and the start-up repairs), read once for the model check."""

    incidents: dict[str, tuple[str, list[str]]]
    statuses: dict[str, str]
    audit: list[str]
    audit_bad: list[str]
    gens: dict[str, int]
    config_gen: int

    @classmethod
    def read(cls, ws: Workspace) -> _DiskState:
        audit, audit_bad = _audit_lines(ws)
        config = GEN_RE.search(ws.config_path.read_text(encoding="utf-8"))
        return cls(incidents=_disk_incidents(ws), statuses={k: v[1] for k, v in _probes(ws).items()}, audit=audit,
                   audit_bad=audit_bad, gens=_runbook_gens(ws), config_gen=int(config.group(1)) if config else -1)


class Checker:
    """Keeps the model of what the workspace must hold and checks it after each kill."""

    def __init__(self, ws: Workspace, log_path: Path) -> None:
        self.ws = ws
        self.log_path = log_path
        self.offset = log_path.stat().st_size if log_path.exists() else 0
        self.figures = Figures()
        disk = _disk_incidents(ws)
        config_gen = GEN_RE.search(ws.config_path.read_text(encoding="utf-8"))
        self.model = Model(
            files=watched_files(ws), notes={k: v[1] for k, v in disk.items()},
            titles={k: v[0] for k, v in disk.items()},
            statuses={k: v[1] for k, v in _probes(ws).items()}, audit=_audit_lines(ws)[0],
            config_gen=int(config_gen.group(1)) if config_gen else 0, runbook_gen=_runbook_gens(ws))

    def _new_entries(self) -> list[dict[str, Any]]:
        with self.log_path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]  # a line the kill cut short was never acted on
        self.offset += len(whole)
        return [json.loads(line) for line in whole.decode("ascii").splitlines() if line]

    def check_life(self, life: Life) -> Figures:
        """Check the workspace after one life; returns the running figures."""
        f = self.figures
        entries = self._new_entries()
        errors = [e for e in entries if e["t"] == "error"]
        if errors or (not life.killed and life.exit_code not in (0, None)):
            f.fail("worker_errors", errors[0]["trace"] if errors else f"exit {life.exit_code}: {life.stderr[-2000:]}")
        if life.killed:
            f.kills += 1
        # As the kill left it: files old or new, valid, no temp file listed. Then the next start (the CLI's
        # start-up repairs), and what a user sees after it: every committed event, every audit line.
        stages: list[Callable[[], None]] = [lambda: self._check_files(entries), self._check_temp_files,
                                            self._check_valid, self._check_bodies, self._start,
                                            lambda: self._check_model(entries)]
        for stage in stages:
            try:
                stage()
            except (IncidentMCPError, OSError, UnicodeDecodeError) as err:  # a file too broken to read at all
                f.fail("invalid", f"{type(err).__name__}: {err}")
        self.model.files = watched_files(self.ws)
        return f

    def _check_files(self, entries: list[dict[str, Any]]) -> None:
        """Each file is its last confirmed version, or — for the write in flight — the one before it."""
        f = self.figures
        confirmed: dict[str, str | None] = {}
        pending: dict[str, str] = {}
        writes = [e for e in entries if e["t"] in ("write", "wrote")]
        if writes and writes[-1]["t"] == "write":
            f.kills_mid_write += 1
        for entry in writes:
            if not is_watched(entry["path"]):
                continue  # e.g. the promotion's pending record in .incident-mcp/
            if entry["t"] == "write":
                pending[entry["path"]] = entry["sha"]
            elif entry["t"] == "wrote":
                sha_written = pending.pop(entry["path"], None)
                if entry["ok"] and sha_written is not None:
                    confirmed[entry["path"]] = sha_written
        now = watched_files(self.ws)
        for rel in sorted(set(now) | set(self.model.files) | set(confirmed) | set(pending)):
            before = confirmed.get(rel, self.model.files.get(rel))
            allowed = {before} | ({pending[rel]} if rel in pending else set())
            if now.get(rel) not in allowed:
                kind = "torn" if rel in pending or rel in confirmed else "stray"
                f.fail(kind, f"{rel}: on disk {str(now.get(rel))[:12]}, allowed "
                             f"{sorted(str(a)[:12] for a in allowed)}")

    def _check_temp_files(self) -> None:
        f = self.figures
        found = temp_files(self.ws)
        f.temp_found += len(found)
        listed = [str(p) for p in iter_artifact_files(self.ws) if TEMP_MARK in p.name]
        listed += [e.rel for e in ArtifactIndex.build(self.ws).entries if TEMP_MARK in e.rel]
        offset: int | None = 0
        while offset is not None:
            page = incidents.list_incidents(self.ws, limit=100, offset=offset)
            listed += [s.path for s in page.incidents if TEMP_MARK in s.path]
            offset = page.next_offset
        listed += [str(p) for _, p in incident_files(self.ws) if TEMP_MARK in p.name]
        for item in listed:
            f.fail("temp_listed", item)

    def _check_valid(self) -> None:
        report = validate_workspace(self.ws)
        bad = sorted({p.file for p in report.problems if p.severity == "error"})
        for rel in bad:
            first = next(p.message for p in report.problems if p.file == rel and p.severity == "error")
            self.figures.fail("invalid", f"{rel}: {first}")

    def _check_model(self, entries: list[dict[str, Any]]) -> None:
        """Apply the committed operations to the model, settle the one in flight, compare with the disk."""
        disk = _DiskState.read(self.ws)
        self._replay(entries, disk)
        self._compare_incidents(disk.incidents)
        self._compare_statuses(disk.statuses)
        self._compare_audit(disk.audit, disk.audit_bad)
        self._compare_generations(disk.config_gen, disk.gens)

    def _replay(self, entries: list[dict[str, Any]], disk: _DiskState) -> None:
        """Committed operations go into the model; the one in flight too if its effect is on disk."""
        f = self.figures
        ops = {e["seq"]: e for e in entries if e["t"] == "op"}
        done = {e["seq"]: e for e in entries if e["t"] == "done"}
        for seq, op in ops.items():
            if seq in done:
                f.ops_committed += 1
                self._apply(op, done[seq])
                continue
            f.kills_mid_operation += 1
            landed = self._landed(op, disk)
            if landed is not None:
                f.in_flight_landed += 1
                self._apply(op, landed)

    def _compare_incidents(self, disk: dict[str, tuple[str, list[str]]]) -> None:
        """Every committed event on disk, in order, and nothing else."""
        m, f = self.model, self.figures
        for ident in sorted(set(m.notes) | set(disk)):
            want = m.notes.get(ident)
            got = disk.get(ident)
            if want is None:
                f.fail("phantom_events", f"{ident} is on disk but was never opened")
            elif got is None:
                f.fail("lost_events", f"{ident} was opened but is not on disk", 1 + len(want))
            else:
                self._compare_notes(ident, want, got[1])
                if got[0] != m.titles.get(ident):
                    f.fail("phantom_events", f"{ident}: title {got[0]!r}, expected {m.titles.get(ident)!r}")

    def _compare_notes(self, ident: str, want: list[str], got: list[str]) -> None:
        """One incident's notes: none lost, none never committed, in the committed order."""
        f = self.figures
        lost = [t for t in want if t not in got]
        extra = [t for t in got if t not in want]
        if lost:
            f.fail("lost_events", f"{ident}: {len(lost)} committed note(s) missing", len(lost))
        if extra:
            f.fail("phantom_events", f"{ident}: {len(extra)} note(s) never committed", len(extra))
        if not lost and not extra and got != want:
            f.fail("lost_events", f"{ident}: notes out of order")

    def _compare_statuses(self, statuses: dict[str, str]) -> None:
        """Each probe RFC has the status the model says."""
        m = self.model
        for ident in sorted(set(m.statuses) | set(statuses)):
            if m.statuses.get(ident) != statuses.get(ident):
                self.figures.fail("lost_events",
                                  f"{ident}: status {statuses.get(ident)!r}, expected {m.statuses.get(ident)!r}")

    def _compare_audit(self, audit: list[str], audit_bad: list[str]) -> None:
        """The audit log is whole and holds exactly the model's lines, in order (each gap counted once)."""
        m, f = self.model, self.figures
        for line in audit_bad:
            f.fail("audit_torn", repr(line[:120]))
        if audit == m.audit:
            return
        missing = [line for line in m.audit if line not in audit]
        extra = [line for line in audit if line not in m.audit]
        for line in missing:
            f.fail("audit_missing", f"no audit line for {line}")
        for line in extra:
            f.fail("phantom_events", f"audit line for a change never made: {line}")
        if not missing and not extra:
            f.fail("audit_missing", "audit lines out of order")
        m.audit = audit  # count each gap once

    def _compare_generations(self, config_gen: int, gens: dict[str, int]) -> None:
        """The config and every runbook document carry the generation the model says."""
        m, f = self.model, self.figures
        if config_gen != m.config_gen:
            f.fail("lost_events", f"config generation {config_gen}, expected {m.config_gen}")
        if gens != m.runbook_gen:
            f.fail("lost_events", f"runbook generations {gens}, expected {m.runbook_gen}")
            m.runbook_gen = gens

    def _landed(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        """For the operation in flight: the result it had if its effect is on disk, else None."""
        settle = {"open": self._landed_open, "note": self._landed_note, "promote": self._landed_promote,
                  "regen": self._landed_regen, "add": self._landed_add}.get(op["op"])
        return settle(op, disk) if settle else None

    def _landed_open(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        found = [k for k, (title, _) in disk.incidents.items() if title == op["title"] and k not in self.model.notes]
        return {"id": found[0]} if found else None

    def _landed_note(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        got = disk.incidents.get(op["id"], ("", []))[1]
        return {"landed": True} if got == [*self.model.notes.get(op["id"], []), op["text"]] else None

    def _landed_promote(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        if disk.statuses.get(op["id"]) != op["new"]:
            return None
        line = f"{op['path']}: {op['old']} → {op['new']}"
        logged = line in disk.audit[len(self.model.audit):]
        if not logged:
            self.figures.fail("audit_missing", f"{op['id']} is {op['new']} on disk but the log has no '{line}'")
        return {"changed": True, "log_line": line if logged else None}

    def _landed_regen(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        """Two steps: the config, then each document; each landed or not, in that order."""
        m = self.model
        if disk.config_gen != op["gen"]:
            return None
        m.config_gen = op["gen"]
        for rel, old in m.runbook_gen.items():
            if disk.gens.get(rel) == op["gen"]:
                m.runbook_gen[rel] = op["gen"]
            elif disk.gens.get(rel) != old:
                break  # neither version: reported by the comparison that follows
        return {"partial": True}

    def _landed_add(self, op: dict[str, Any], disk: _DiskState) -> dict[str, Any] | None:
        return {"landed": True} if op["id"] in disk.statuses else None

    def _apply(self, op: dict[str, Any], result: dict[str, Any]) -> None:
        m = self.model
        kind = op["op"]
        if kind == "open":
            m.notes[result["id"]] = []
            m.titles[result["id"]] = op["title"]
        elif kind == "note":
            m.notes.setdefault(op["id"], []).append(op["text"])
            self.figures.events_committed += 1
        elif kind == "promote" and result.get("changed"):
            m.statuses[op["id"]] = op["new"]
            if result.get("log_line"):
                m.audit.append(f"{op['path']}: {op['old']} → {op['new']}")
        elif kind == "regen" and not result.get("partial"):
            m.config_gen = op["gen"]
            m.runbook_gen = dict.fromkeys(m.runbook_gen, op["gen"])
        elif kind == "add":
            m.statuses[op["id"]] = "draft"

    def _check_bodies(self) -> None:
        """Each changed incident's body is complete: re-rendering its blocks from its frontmatter changes nothing."""
        now = watched_files(self.ws)
        for rel, digest in now.items():
            if self.model.files.get(rel) == digest or not rel.startswith("artifacts/decision-memos/INC-"):
                continue
            artifact = parse_artifact(read_text_exact(self.ws.root / rel), rel)
            record = incidents.read_incident(self.ws, str(artifact.id)).record
            merged = refresh_body(artifact.body, record)
            if merged.text != artifact.body or merged.kept_edited:
                self.figures.fail("invalid", f"{rel}: body is not what its frontmatter renders")

    def _start(self) -> None:
        """The next start: the CLI's own start-up repairs; afterwards no temp file may remain."""
        f = self.figures
        before, lines_before = temp_files(self.ws), _audit_lines(self.ws)[0]
        recover_at_start(argparse.Namespace(workspace=str(self.ws.root)))
        after, lines_after = temp_files(self.ws), _audit_lines(self.ws)[0]
        f.temp_swept += len(before) - len(after)
        f.audit_repaired += len(lines_after) - len(lines_before)
        for path in after:
            f.fail("temp_remaining", self.ws.rel(path))


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
