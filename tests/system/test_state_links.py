"""Linked state files and kept permissions: a link planted in ``.incident-mcp/`` is never followed, and an
atomic rewrite keeps the file's mode (and owner and group).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incident_mcp import incidents
from incident_mcp.errors import WorkspaceError
from incident_mcp.promotion import promote
from incident_mcp.workspace import Workspace, atomic_write

RFC = "artifacts/rfcs/RFC-003-background-jobs.md"


def _artifact_lock(rel: str) -> str:
    return "artifact-" + hashlib.sha256(rel.encode("utf-8")).hexdigest()[:24]


@pytest.fixture
def ws(example_ws: Path) -> Workspace:
    return Workspace.at(example_ws)


def test_a_linked_incident_lock_is_refused_and_its_target_never_created(ws: Workspace, tmp_path: Path) -> None:
    opened = incidents.open_incident(ws, title="API down", severity="P1")
    target = tmp_path / "created-by-attacker"
    (ws.root / ".incident-mcp" / f"incident-{opened.id}.lock").symlink_to(target)
    with pytest.raises(WorkspaceError, match=r"incident-INC-\d+\.lock is a symbolic link"):
        incidents.update_incident(ws, opened.id, event="note", text="x")
    assert not target.exists()


@pytest.mark.parametrize("lock", ["incident-ids", "audit-log", "init", _artifact_lock(RFC)])
def test_no_lock_is_taken_through_a_link(ws: Workspace, tmp_path: Path, lock: str) -> None:
    target = tmp_path / "target"
    ws.state_dir()
    (ws.root / ".incident-mcp" / f"{lock}.lock").symlink_to(target)
    with pytest.raises(WorkspaceError, match="symbolic link"), ws.lock(lock):
        pass
    assert not target.exists()


def test_a_lock_that_is_a_fifo_or_folder_is_refused_not_waited_on(ws: Workspace) -> None:
    ws.state_dir()
    os.mkfifo(ws.root / ".incident-mcp" / "fifo.lock")
    with pytest.raises(WorkspaceError, match="not a regular file"), ws.lock("fifo"):
        pass


def test_validate_with_a_committed_pending_promotion_and_a_linked_lock_creates_nothing(
        ws: Workspace, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    state = ws.state_dir()
    target = tmp_path / "made-by-validate"
    record = {"file": RFC, "sha256": "0" * 64, "log_line": "x", "log_offset": 0}
    lock = _artifact_lock(RFC)
    (state / f"pending-{lock}.json").write_text(json.dumps(record), encoding="utf-8")
    (state / f"{lock}.lock").symlink_to(target)
    result = run_cli("validate", "--workspace", str(ws.root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not target.exists()


def test_a_linked_pending_record_is_not_read_through(ws: Workspace, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"file": RFC, "sha256": "0" * 64, "log_line": "x", "log_offset": 0}))
    state = ws.state_dir()
    link = state / f"pending-{_artifact_lock(RFC)}.json"
    link.symlink_to(secret)
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.read_state_file(link, 65_536)


def test_an_update_keeps_a_private_record_private(ws: Workspace) -> None:
    opened = incidents.open_incident(ws, title="API down", severity="P1")
    path = ws.root / opened.path
    path.chmod(0o600)
    incidents.update_incident(ws, opened.id, event="note", text="checked the logs")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "checked the logs" in path.read_text(encoding="utf-8")


def test_a_promotion_keeps_the_rfc_mode(ws: Workspace) -> None:
    path = ws.root / RFC
    path.chmod(0o640)
    promote(ws, "RFC-003", "archived")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert "status: archived" in path.read_text(encoding="utf-8")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_an_atomic_write_keeps_owner_and_group_where_allowed(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_text("old")
    os.chown(target, 4242, 4343)
    target.chmod(0o604)
    atomic_write(target, "new")
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4242, 4343, 0o604)
    assert target.read_text() == "new"


def test_init_neither_reads_nor_writes_through_a_linked_manifest(ws: Workspace, tmp_path: Path,
                                                                 run_cli: Callable[..., Any]) -> None:
    from incident_mcp.installer import MANIFEST

    outside = tmp_path / "outside.json"
    outside.write_text('{"version": 1, "files": {}}\n')
    ws.state_dir()
    (ws.root / ".incident-mcp" / MANIFEST).symlink_to(outside)
    result = run_cli("init", "--workspace", str(ws.root))
    assert result.returncode == 0, result.stderr
    assert outside.read_text() == '{"version": 1, "files": {}}\n'
    assert not (ws.root / ".incident-mcp" / MANIFEST).is_symlink()
