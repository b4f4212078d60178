"""Writing the site folder all at once: a complete new folder is built next to the old one, then swapped in.

A reader (a web server, ``git add``, an upload step) sees the old site or the new one, never a mix: the
new tree is written and fsynced in a temp folder beside the target, then exchanged with it in one
``renameat2(RENAME_EXCHANGE)`` (Linux), else two renames. Files that did not change are hard-linked from
the old tree (their bytes and times stay as they were). Files someone else put in the folder (``CNAME``,
``_headers``, ``netlify.toml``) are carried over; files we wrote before and no longer produce (an incident
closed as a duplicate) are dropped. The list of what we wrote is kept in ``.incident-mcp-site.json``.
A folder that is neither empty nor ours is refused, so a wrong ``--out`` cannot swallow a folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from incident_mcp.errors import WorkspaceError
from incident_mcp.workspace import TEMP_MARK, Workspace, check_relative, fsync_path

MANIFEST = ".incident-mcp-site.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class WriteResult:
    """What a write did: where, and how many files changed, stayed the same or were removed."""

    out: Path
    files: int
    changed: int
    unchanged: int
    removed: int
    kept_foreign: int


def default_out(ws: Workspace, configured: str) -> Path:
    """``incident_response.status_page.out`` inside the workspace (confined like every workspace path)."""
    path = ws.path(configured.strip() or "status-site")
    return path.resolve()


def check_out(ws: Workspace, out: Path) -> Path:
    """The resolved target folder; refused when it is the workspace, holds it, or is not a folder we own."""
    target = out.expanduser().resolve()
    if target == ws.root or target in ws.root.parents:
        raise WorkspaceError(f"refusing to write the status page over {target}: it is the workspace or holds it; "
                             "choose a folder of its own (default: status-site)")
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} exists and is not a folder; choose another --out")
    if target.is_dir() and not (target / MANIFEST).is_file() and any(target.iterdir()):
        raise WorkspaceError(f"{target} is not empty and was not written by status-page build (no {MANIFEST}); "
                             "choose a new or empty folder")
    return target


def _previous(target: Path) -> set[str]:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def manifest_text(files: Mapping[str, str]) -> str:
    """The manifest: what we wrote, so the next build knows which files are ours."""
    return json.dumps({"generator": "incident-mcp status-page build", "files": sorted(files)}, indent=2) + "\n"


_FEW = 64


def _sync_tree(root: Path, files: list[Path], folders: list[Path]) -> None:
    """Make everything written under ``root`` durable before it is swapped in: an fsync per new file and per
    folder when there are few (a rebuild changes a handful), else one ``syncfs`` of the file system (Linux;
    hundreds of fsyncs cost seconds on a real disk), else an fsync each anyway."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs if len(files) > _FEW else None
    except (OSError, AttributeError):
        syncfs = None
    if syncfs is not None:
        fd = os.open(root, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in [*files, *folders]:
        fsync_path(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the call is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        rename2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = rename2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _sweep_staging(target: Path) -> None:
    """Remove temp folders left beside ``target`` by builds that died."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[0-9a-f]{8}" + re.escape(TEMP_MARK) + "$")
    if not target.parent.is_dir():
        return
    for entry in target.parent.iterdir():
        match = pattern.match(entry.name)
        if not match or entry.is_symlink() or not entry.is_dir():
            continue
        pid = int(match.group(1))
        alive = pid == os.getpid()
        if not alive:
            try:
                os.kill(pid, 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:
                alive = True
        if not alive:
            shutil.rmtree(entry, ignore_errors=True)


def _carry(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        dest.symlink_to(source.readlink())
        return
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def write_site(target: Path, files: Mapping[str, str]) -> WriteResult:
    """Replace the folder ``target`` (already checked by ``check_out``) with ``files`` in one step."""
    for rel in files:
        check_relative(rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_staging(target)
    staging = _staging_name(target)
    staging.mkdir()
    previous = _previous(target) if target.is_dir() else set()
    all_files = {**files, MANIFEST: manifest_text(files)}
    try:
        staged = _stage(staging, target, all_files, previous)
        kept = _carry_foreign(target, staging, all_files, previous) if target.is_dir() else 0
        _sync_tree(staging, staged.written, sorted(staged.folders, key=lambda p: len(p.parts), reverse=True))
        removed = len(previous - set(all_files))
        staging = _swap_in(staging, target)
        fsync_path(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WriteResult(out=target, files=len(all_files), changed=len(staged.written),
                       unchanged=staged.unchanged, removed=removed, kept_foreign=kept)


def _staging_name(target: Path) -> Path:
    """A temp folder beside ``target``, named so ``_sweep_staging`` can tell when its writer died."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_MARK}")


@dataclass
class _Staged:
    """What staging wrote: new files (to sync), folders made, and files linked unchanged from the old tree."""

    written: list[Path] = field(default_factory=list)
    folders: set[Path] = field(default_factory=set)
    unchanged: int = 0


def _stage(staging: Path, target: Path, all_files: Mapping[str, str], previous: set[str]) -> _Staged:
    """Write ``all_files`` into ``staging``; a file of ours whose bytes did not change is hard-linked instead."""
    staged = _Staged(folders={staging})
    for rel, text in all_files.items():
        dest = staging / rel
        if dest.parent not in staged.folders:
            dest.parent.mkdir(parents=True, exist_ok=True)
            staged.folders.add(dest.parent)
        data = text.encode("utf-8")
        if (rel in previous or rel == MANIFEST) and _link_if_same(target / rel, dest, data):
            staged.unchanged += 1
            continue
        dest.write_bytes(data)
        staged.written.append(dest)
    return staged


def _link_if_same(old: Path, dest: Path, data: bytes) -> bool:
    """Hard-link ``old`` at ``dest`` when it is a regular file holding exactly ``data``; False otherwise."""
    with contextlib.suppress(OSError):
        if not old.is_symlink() and old.is_file() and old.stat().st_size == len(data) and old.read_bytes() == data:
            os.link(old, dest)
            return True
    return False


def _carry_foreign(target: Path, staging: Path, all_files: Mapping[str, str], previous: set[str]) -> int:
    """Carry into ``staging`` the files someone else put in ``target`` (neither ours now nor before)."""
    kept = 0
    for path in sorted(target.rglob("*")):
        rel = path.relative_to(target).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if rel not in all_files and rel not in previous:
            _carry(path, staging / rel)
            kept += 1
    return kept


def _swap_in(staging: Path, target: Path) -> Path:
    """Put ``staging`` in ``target``'s place in one step; returns what is left to remove (the old tree)."""
    if not target.exists():
        staging.rename(target)
    elif not _exchange(staging, target):
        retired = _staging_name(target)
        target.rename(retired)
        staging.rename(target)
        return retired
    return staging
