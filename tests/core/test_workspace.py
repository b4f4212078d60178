"""Workspace location, path confinement and atomic writes."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from incident_mcp.errors import PathEscapeError, WorkspaceError
from incident_mcp.workspace import TEMP_MARK, Workspace, atomic_write, create_exclusive


def test_locate_walks_up_from_a_subfolder_to_the_folder_holding_the_config(company_os_ws: Path) -> None:
    deep = company_os_ws / "artifacts" / "rfcs"
    assert Workspace.locate(cwd=deep).root == company_os_ws.resolve()


def test_locate_prefers_the_explicit_folder_then_the_environment(
        company_os_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("INCIDENT_MCP_WORKSPACE", str(other))
    assert Workspace.locate(cwd=company_os_ws).root == other.resolve()
    assert Workspace.locate(company_os_ws).root == company_os_ws.resolve()


def test_locate_without_a_config_anywhere_says_how_to_point_at_the_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENT_MCP_WORKSPACE", raising=False)
    with pytest.raises(WorkspaceError, match="--workspace"):
        Workspace.locate(cwd=tmp_path)


@pytest.mark.parametrize("rel", [
    "../outside.md", "artifacts/../../x", "/etc/passwd", "C:/x", "c:x", "artifacts\\x.md", "a\x00b",
    "artifacts/\u202eevil.md", "artifacts/x\u2028y.md", "", ".", "artifacts/./x.md",
])
def test_paths_that_could_leave_the_workspace_are_refused(company_os_ws: Path, rel: str) -> None:
    with pytest.raises(PathEscapeError):
        Workspace.at(company_os_ws).path(rel)


def test_a_symlink_inside_the_workspace_pointing_out_is_refused(company_os_ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (company_os_ws / "artifacts" / "link").symlink_to(outside)
    with pytest.raises(PathEscapeError, match="outside"):
        Workspace.at(company_os_ws).path("artifacts/link/x.md")


def test_a_sibling_folder_sharing_the_prefix_is_outside(company_os_ws: Path) -> None:
    sibling = company_os_ws.parent / (company_os_ws.name + "-evil")
    sibling.mkdir()
    (company_os_ws / "artifacts" / "s").symlink_to(sibling)
    with pytest.raises(PathEscapeError):
        Workspace.at(company_os_ws).path("artifacts/s/x")


def test_atomic_write_replaces_the_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_text("old")
    atomic_write(target, "new ✓")
    assert target.read_text() == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


class _FailingFile:
    """A file object whose write fails like a full disk."""

    def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
        self.fd = fd

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(("stage", "code"), [("write", errno.ENOSPC), ("fsync", errno.EIO),
                                             ("replace", errno.EIO), ("fsync", errno.ENOSPC)])
def test_a_failed_write_leaves_the_old_file_intact_and_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, code: int) -> None:
    target = tmp_path / "a.md"
    target.write_text("old")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    if stage == "write":
        monkeypatch.setattr(os, "fdopen", _FailingFile)
    elif stage == "fsync":
        monkeypatch.setattr(os, "fsync", fail)
    else:
        monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(OSError, match=os.strerror(code)):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_create_exclusive_creates_once_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "INC-001.md"
    assert create_exclusive(target, "first")
    assert not create_exclusive(target, "second")
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["INC-001.md"]


def test_sweep_removes_temp_files_of_dead_writers_only(company_os_ws: Path) -> None:
    ws = Workspace.at(company_os_ws)
    folder = company_os_ws / "artifacts" / "decision-memos"
    dead = folder / f".x.md.999999999.deadbeef{TEMP_MARK}"
    alive = folder / f".y.md.{os.getpid()}.deadbeef{TEMP_MARK}"
    dead.write_text("partial")
    alive.write_text("in flight")
    assert ws.sweep_temp_files() == [dead]
    assert alive.exists()


def test_locks_are_kept_in_a_private_folder_ignored_by_git(company_os_ws: Path) -> None:
    ws = Workspace.at(company_os_ws)
    with ws.lock("incident-INC-001"):
        pass
    assert (company_os_ws / ".incident-mcp" / ".gitignore").read_text() == "*\n"
    with pytest.raises(PathEscapeError), ws.lock("../x"):
        pass
