"""Concurrent load on one workspace: many processes opening incidents, adding notes and promoting at once.

Shared by ``tests/system/test_concurrency.py`` (the figures that must hold) and ``bench/concurrency_bench.py``
(the same with timings).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from incident_mcp import incidents
from incident_mcp.artifacts import AUDIT_LOG, STATUSES, write_artifact_text
from incident_mcp.errors import PromotionError
from incident_mcp.incidents.record import format_id
from incident_mcp.promotion import promote
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import TEMP_MARK, Workspace
from tests.support.checkout import company_os_workspace
from tests.support.crash_worker import probe_text

DEADLINE_S = 120  # hang protection only
NEXT = {"draft": "review", "review": "approved", "approved": "archived"}


def make_workspace(root: Path) -> Workspace:
    """A Company OS workspace (config and example artifacts)."""
    return Workspace.at(company_os_workspace(root))


def _run_processes(target: Callable[..., None], args_for: list[tuple[Any, ...]]) -> None:
    ctx = multiprocessing.get_context("fork")
    processes = [ctx.Process(target=target, args=args) for args in args_for]
    for process in processes:
        process.start()
    for process in processes:
        process.join(DEADLINE_S)
    stuck = [p for p in processes if p.is_alive()]
    for process in stuck:
        process.kill()
    assert not stuck and all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]


def _collect(queue: Any, count: int) -> list[Any]:
    return [queue.get(timeout=DEADLINE_S) for _ in range(count)]


# ---- openings --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class OpenFigures:
    """What the openings produced."""

    opened: int
    unique_ids: int
    files: int
    problems: list[str]


def _open_many(root: str, proc: int, count: int, barrier: Barrier, out: Any) -> None:
    ws = Workspace.at(root)
    barrier.wait()
    for i in range(count):
        opened = incidents.open_incident(ws, title=f"Outage {proc}-{i}", severity="P2", summary=f"by {proc}-{i}")
        out.put((proc, i, opened.id))


def run_openings(ws: Workspace, processes: int, per_process: int) -> OpenFigures:
    """``processes`` processes open ``per_process`` incidents each, all at once; check ids and files."""
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    _run_processes(_open_many, [(str(ws.root), p, per_process, barrier, out) for p in range(processes)])
    results = _collect(out, processes * per_process)
    total = processes * per_process
    problems: list[str] = []
    ids = [ident for *_, ident in results]
    if sorted(ids) != [format_id(n) for n in range(1, total + 1)]:
        problems.append(f"ids are not INC-001..{format_id(total)} each once")
    files = sorted((ws.root / "artifacts" / "decision-memos").glob("INC-*.md"))
    for proc, i, ident in results:
        record = incidents.read_incident(ws, ident).record
        if (record.title, record.summary) != (f"Outage {proc}-{i}", f"by {proc}-{i}"):
            problems.append(f"{ident} holds {record.title!r}, expected 'Outage {proc}-{i}'")
    problems += _workspace_problems(ws)
    return OpenFigures(opened=len(results), unique_ids=len(set(ids)), files=len(files), problems=problems)


def _workspace_problems(ws: Workspace) -> list[str]:
    report = validate_workspace(ws)
    problems = [f"{p.file}: {p.message}" for p in report.problems if p.severity == "error"]
    problems += [f"temp file left: {p.name}" for p in ws.root.rglob(f"*{TEMP_MARK}*")]
    return problems


# ---- notes on one incident ------------------------------------------------------------------------------------


def _note_many(root: str, ident: str, proc: int, count: int, barrier: Barrier) -> None:
    ws = Workspace.at(root)
    barrier.wait()
    for i in range(count):
        incidents.update_incident(ws, ident, event="note", text=f"note {proc}-{i}")


def run_notes(ws: Workspace, processes: int, per_process: int) -> tuple[int, int, list[str]]:
    """All processes add notes to one incident at once: (committed, on disk, problems)."""
    ident = incidents.open_incident(ws, title="Shared by everyone", severity="P0").id
    barrier = multiprocessing.get_context("fork").Barrier(processes)
    _run_processes(_note_many, [(str(ws.root), ident, p, per_process, barrier) for p in range(processes)])
    notes = [e.text for e in incidents.read_incident(ws, ident).record.timeline if e.kind == "note"]
    problems: list[str] = []
    expected = {f"note {p}-{i}" for p in range(processes) for i in range(per_process)}
    if set(notes) != expected or len(notes) != len(expected):
        problems.append(f"{len(expected - set(notes))} note(s) lost, {len(notes) - len(set(notes))} duplicated")
    for proc in range(processes):  # each process's own notes stay in the order it added them
        own = [n for n in notes if n.startswith(f"note {proc}-")]
        if own != [f"note {proc}-{i}" for i in range(per_process) if f"note {proc}-{i}" in own]:
            problems.append(f"notes of process {proc} are out of order")
    problems += _workspace_problems(ws)
    return processes * per_process, len(notes), problems


# ---- promotions -----------------------------------------------------------------------------------------------


def _promote_all(root: str, ids: list[str], proc: int, barrier: Barrier, out: Any) -> None:
    ws = Workspace.at(root)
    barrier.wait()
    order = ids[proc % len(ids):] + ids[: proc % len(ids)]  # everyone starts on a different artifact
    for ident in order:
        for status in ("review", "approved", "archived"):
            try:
                changed = promote(ws, ident, status).changed
            except PromotionError:
                changed = False
            out.put((ident, status, changed))


def run_promotions(ws: Workspace, processes: int, artifacts: int) -> tuple[int, int, list[str]]:
    """Every process walks every artifact through review, approved, archived at once: (changes, log lines,
    problems). A logged change must start where the previous one ended and move one step (or to archived)."""
    ids = []
    for n in range(1, artifacts + 1):
        write_artifact_text(ws, f"artifacts/rfcs/RFC-CRASH-{n:04d}-probe.md", probe_text(n))
        ids.append(f"RFC-CRASH-{n:04d}")
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    _run_processes(_promote_all, [(str(ws.root), ids, p, barrier, out) for p in range(processes)])
    results = _collect(out, processes * artifacts * 3)
    log = (ws.root / AUDIT_LOG).read_text(encoding="utf-8").splitlines()
    problems: list[str] = []
    chains: dict[str, list[tuple[str, str]]] = {}
    for line in log:
        match = re.fullmatch(r"\[[0-9TZ:-]+\] artifacts/rfcs/(RFC-CRASH-\d+)-probe\.md: (\w+) → (\w+)", line)
        if not match:
            problems.append(f"malformed log line {line!r}")
            continue
        chains.setdefault(match.group(1), []).append((match.group(2), match.group(3)))
    for ident in ids:
        chain = chains.get(ident, [])
        status = "draft"
        for old, new in chain:
            step_ok = new == "archived" or STATUSES.index(new) == STATUSES.index(old) + 1
            if old != status or not step_ok:
                problems.append(f"{ident}: logged {old} → {new} while it was {status}")
            status = new
        on_disk = re.search(r"^status: (\w+)$", (ws.root / f"artifacts/rfcs/{ident}-probe.md").read_text("utf-8"),
                            re.MULTILINE)
        if status != "archived" or not on_disk or on_disk.group(1) != status:
            problems.append(f"{ident}: ends {on_disk.group(1) if on_disk else '?'} on disk, log says {status}")
    changes = sum(1 for *_, changed in results if changed)
    if changes != len(log):
        problems.append(f"{changes} promotions reported a change but the log has {len(log)} lines")
    problems += _workspace_problems(ws)
    return changes, len(log), problems
