"""Many processes at once on one workspace: unique ids, no lost or torn file, no lost update."""

from __future__ import annotations

import multiprocessing
import shutil
from multiprocessing.synchronize import Barrier
from pathlib import Path

from incident_mcp import incidents
from incident_mcp.artifacts import parse_artifact
from incident_mcp.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "company-os"
WORKERS = 16
DEADLINE_S = 60  # hang protection only


def _open_one(root: str, index: int, barrier: Barrier, results: multiprocessing.Queue[tuple[int, str]]) -> None:
    ws = Workspace.at(root)
    barrier.wait()
    opened = incidents.open_incident(ws, title=f"Outage seen by worker {index}", severity="P1",
                                     summary=f"worker {index}", services=["api"])
    results.put((index, opened.id))


def _note_one(root: str, incident_id: str, index: int, barrier: Barrier) -> None:
    ws = Workspace.at(root)
    barrier.wait()
    incidents.update_incident(ws, incident_id, event="note", text=f"note from worker {index}")


def _run(target: object, args_for: list[tuple[object, ...]]) -> None:
    ctx = multiprocessing.get_context("fork")
    processes = [ctx.Process(target=target, args=args) for args in args_for]  # type: ignore[arg-type]
    for process in processes:
        process.start()
    for process in processes:
        process.join(DEADLINE_S)
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]


def test_sixteen_processes_opening_at_once_get_unique_ids_and_intact_files(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "artifacts", tmp_path / "artifacts")
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    results: multiprocessing.Queue[tuple[int, str]] = ctx.Queue()
    _run(_open_one, [(str(tmp_path), i, barrier, results) for i in range(WORKERS)])
    got = dict(results.get(timeout=5) for _ in range(WORKERS))
    assert sorted(got.values()) == [f"INC-{n:03d}" for n in range(1, WORKERS + 1)]
    files = sorted((tmp_path / "artifacts" / "decision-memos").glob("INC-*.md"))
    assert len(files) == WORKERS
    ws = Workspace.at(tmp_path)
    for index, incident_id in got.items():
        record = incidents.read_incident(ws, incident_id).record
        assert (record.title, record.summary) == (f"Outage seen by worker {index}", f"worker {index}")
    for path in files:
        artifact = parse_artifact(path.read_text(encoding="utf-8"), ws.rel(path))
        assert incidents.incident_record_problems(artifact) == []
    assert not [p for p in (tmp_path / "artifacts").rglob("*") if "incident-mcp-tmp" in p.name]


def test_sixteen_processes_updating_one_incident_lose_no_event(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "artifacts", tmp_path / "artifacts")
    ws = Workspace.at(tmp_path)
    incident_id = incidents.open_incident(ws, title="Shared", severity="P0").id
    barrier = multiprocessing.get_context("fork").Barrier(WORKERS)
    _run(_note_one, [(str(tmp_path), incident_id, i, barrier) for i in range(WORKERS)])
    notes = [e.text for e in incidents.read_incident(ws, incident_id).record.timeline if e.kind == "note"]
    assert sorted(notes) == sorted(f"note from worker {i}" for i in range(WORKERS))
