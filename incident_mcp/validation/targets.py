"""Choosing what a run validates: the whole workspace, or the files the given paths and ids stand for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from incident_mcp.artifacts import ArtifactIndex, iter_markdown_files
from incident_mcp.errors import ArtifactError, ArtifactNotFoundError, PathEscapeError
from incident_mcp.validation.model import show
from incident_mcp.validation.rules import Rule
from incident_mcp.workspace import Workspace, check_relative

MAX_PATHS = 1000  # paths or ids in one validation request


def looks_like_id(given: str) -> bool:
    """Whether an argument names an artifact by id rather than by path (no '/', no '.md')."""
    return "/" not in given and not given.endswith(".md") and bool(given) and "\\" not in given \
        and given not in (".", "..")


def folder_of(prefix: str) -> str:
    """The folder a rule prefix lies in (``standards/ops/`` → ``standards/ops``, ``a/INC-`` → ``a``)."""
    return prefix.rstrip("/") if prefix.endswith("/") else prefix.rpartition("/")[0]


def whole_workspace(ws: Workspace, index: ArtifactIndex, rules: Sequence[Rule]) -> list[str]:
    """Every artifact, plus the ``*.md`` files a rule selects in its own folder outside ``artifacts/``."""
    targets = [entry.rel for entry in index.entries]
    seen = set(targets)
    for folder in sorted({folder_of(r.prefix) for r in rules if r.prefix}):
        if not folder or folder == "artifacts" or folder.startswith("artifacts/"):
            continue
        try:
            root = ws.path(folder)
        except PathEscapeError:
            continue
        for path in iter_markdown_files(ws, root):
            rel = path.relative_to(ws.root).as_posix()
            if rel not in seen and any(r.applies(rel) for r in rules):
                seen.add(rel)
                targets.append(rel)
    return sorted(targets)


def resolve(ws: Workspace, index: ArtifactIndex, paths: Sequence[str]) -> list[str]:
    """The files the given paths and ids stand for, each once.

    Inputs are bounded, de-duplicated and each folder walked at most once before anything is read:
    ``["artifacts/"] * 1000`` (or a thousand links to one folder, or a folder and its subfolders) is one
    walk, not a thousand.
    """
    if len(paths) > MAX_PATHS:
        raise ArtifactError(f"{len(paths):,} paths given; at most {MAX_PATHS:,} (a folder stands for every "
                            "file under it; give no path to check the whole workspace)")
    targets: list[str] = []
    walked: list[Path] = []  # real folders already walked
    for given in dict.fromkeys(paths):
        if looks_like_id(given):
            found = index.by_id.get(given)
            if not found:
                raise ArtifactNotFoundError(f"no artifact with id {show(given)!r} under artifacts/")
            targets.extend(artifact.rel for artifact in found)
            continue
        path = ws.path(given)
        rel = PurePosixPath(*check_relative(given).parts).as_posix()
        if path.is_dir():
            real = path.resolve()
            if any(real == done or done in real.parents for done in walked):
                continue  # the same folder (by another spelling or link), or inside one already walked
            walked.append(real)
            targets.extend(p.relative_to(ws.root).as_posix() for p in iter_markdown_files(ws, path))
        elif path.is_file():
            targets.append(rel)
        else:
            raise ArtifactNotFoundError(f"no file at {show(given)!r} in the workspace")
    return list(dict.fromkeys(targets))
