"""Company OS artifacts: the schema, the walk over ``artifacts/`` and the index by id.

Frontmatter itself (split, parse, fast path, dump, line edit, partial read) lives in
``incident_mcp.frontmatter``; its names are re-exported here for the modules that import them
from ``artifacts``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_mcp.errors import ArtifactNotFoundError
from incident_mcp.frontmatter.dump import NEEDS_QUOTES, FlowList, dump_yaml
from incident_mcp.frontmatter.line_edit import set_frontmatter_line
from incident_mcp.frontmatter.loader import (
    ALIAS_EXPANSION_ALLOWANCE,
    SAFE_LOADER,
    YAMLExpansionError,
    check_expansion,
)
from incident_mcp.frontmatter.parse import parse_frontmatter
from incident_mcp.frontmatter.reading import MAX_ARTIFACT_BYTES, read_document, read_text_exact, size_refusal
from incident_mcp.frontmatter.split import FrontmatterError, split_frontmatter
from incident_mcp.workspace import Workspace, atomic_write, is_temp_name

REQUIRED_FIELDS = ("id", "type", "title", "status", "created", "author")
STATUSES = ("draft", "review", "approved", "archived")
TYPES = (
    "prd", "rfc", "test-plan", "qa-report", "launch-brief", "security-review", "decision-memo",
    "test-data", "icp", "market-intelligence", "research", "sprint-plan", "feedback-report", "experiment",
)
REFERENCE_FIELDS = ("parent", "children", "depends_on", "blocks")
AUDIT_LOG = "artifacts/.audit-log/promotions.log"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

__all__ = [  # the frontmatter names are re-exported for the modules that import them from here
    "ALIAS_EXPANSION_ALLOWANCE", "AUDIT_LOG", "ID_PATTERN", "MAX_ARTIFACT_BYTES", "NEEDS_QUOTES", "REFERENCE_FIELDS",
    "REQUIRED_FIELDS", "SAFE_LOADER", "STATUSES", "TYPES", "Artifact", "ArtifactIndex", "FlowList", "FrontmatterError",
    "IndexEntry", "YAMLExpansionError", "check_expansion", "dump_frontmatter", "dump_yaml", "iter_artifact_files",
    "iter_markdown_files", "parse_artifact", "read_text_exact", "reference_ids", "render_artifact",
    "set_frontmatter_line", "size_refusal", "split_frontmatter", "write_artifact_text",
]


@dataclass
class Artifact:
    """One artifact file as parsed: its frontmatter (data), its body (text) and where keys sit."""

    rel: str
    text: str
    meta: dict[str, Any]
    body: str
    key_lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1
    # Top-level keys written more than once: key -> lines of the repeats (YAML keeps the last value).
    duplicate_keys: dict[str, list[int]] = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        """The artifact id, if it is a string."""
        value = self.meta.get("id")
        return value if isinstance(value, str) and value else None

    @property
    def status(self) -> str | None:
        """The lifecycle status as written."""
        value = self.meta.get("status")
        return value if isinstance(value, str) else None

    @property
    def title(self) -> str:
        """The title as text ('' when missing)."""
        value = self.meta.get("title")
        return value if isinstance(value, str) else ""

    def references(self) -> dict[str, list[str]]:
        """Reference fields as lists of ids (``parent`` as a 0- or 1-element list)."""
        return {name: reference_ids(self.meta.get(name)) for name in REFERENCE_FIELDS}

    def line_of(self, key: str) -> int | None:
        """The 1-based line of a top-level frontmatter key, if present."""
        return self.key_lines.get(key)


def reference_ids(value: Any) -> list[str]:
    """Normalise a reference field (null, a single id, or a list) into a list of id strings."""
    if value is None or value == "" or value == "null":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)]


def parse_artifact(text: str, rel: str = "<text>") -> Artifact:
    """Parse an artifact's text; raises FrontmatterError (with a line) when it cannot be read."""
    front, body, body_line = split_frontmatter(text)
    meta, key_lines, duplicates = parse_frontmatter(front)
    return Artifact(rel=rel, text=text, meta=meta, body=body, key_lines=key_lines, body_line=body_line,
                    duplicate_keys=duplicates)


def dump_frontmatter(meta: Mapping[str, Any]) -> str:
    """Frontmatter block (with both ``---`` lines) for ``meta``; reference lists in flow style."""
    prepared: dict[str, Any] = {}
    for key, value in meta.items():
        if key in (*REFERENCE_FIELDS, "tags") and isinstance(value, list) and all(
                _is_plain_id(v) for v in value):
            prepared[key] = FlowList(value)
        else:
            prepared[key] = value
    return "---\n" + dump_yaml(prepared) + "---\n"


def _is_plain_id(value: Any) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def render_artifact(meta: Mapping[str, Any], body: str) -> str:
    """Full text of an artifact from its frontmatter data and Markdown body."""
    return dump_frontmatter(meta) + body


def iter_artifact_files(workspace: Workspace) -> Iterator[Path]:
    """Every ``*.md`` under artifacts/ that is a real artifact file (no temp, audit, or escaping links).

    Symlinks are followed only while they stay inside the workspace; each real folder is walked
    once (a link back up the tree cannot loop or multiply files), and a link to a file that is
    itself under artifacts/ is skipped, since that file is listed under its own name.
    """
    yield from iter_markdown_files(workspace, workspace.artifacts_dir)


def _new_listing(folder: Path, seen: set[tuple[int, int]]) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` by name, or none when that real folder was walked already or cannot be read."""
    try:
        info = folder.stat()
        if (info.st_dev, info.st_ino) in seen:
            return []
        seen.add((info.st_dev, info.st_ino))
        with os.scandir(folder) as listing:
            return sorted(listing, key=lambda e: e.name)
    except OSError:
        return []


def _entry_kind(workspace: Workspace, entry: os.DirEntry[str], path: Path, artifacts_real: Path) -> str | None:
    """``dir`` to walk, ``md`` to list, or None to skip (hidden, temp, a link leading out or to an artifact)."""
    name = entry.name
    if name.startswith(".") or is_temp_name(name):
        return None
    if entry.is_symlink():
        target = path.resolve()
        if not workspace.contains(path):
            return None
        if entry.is_file() and (target == artifacts_real or artifacts_real in target.parents):
            return None
    if entry.is_dir():
        return "dir"
    return "md" if name.endswith(".md") and entry.is_file() else None


def iter_markdown_files(workspace: Workspace, root: Path) -> Iterator[Path]:
    """Every ``*.md`` under ``root`` (inside the workspace), in sorted order, walking each real folder once."""
    if not root.is_dir() or not workspace.contains(root):
        return
    artifacts_real = workspace.artifacts_dir.resolve()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        subfolders: list[Path] = []
        for entry in _new_listing(folder, seen):
            path = folder / entry.name
            try:
                kind = _entry_kind(workspace, entry, path, artifacts_real)
            except OSError:
                continue
            if kind == "dir":
                subfolders.append(path)
            elif kind == "md":
                yield path
        stack.extend(reversed(subfolders))


@dataclass
class IndexEntry:
    """One artifact file in the index: the parsed artifact or the reason it could not be parsed."""

    rel: str
    artifact: Artifact | None
    error: FrontmatterError | None = None


@dataclass
class ArtifactIndex:
    """All artifacts of a workspace, by path and by id (ids may be duplicated; validation reports it)."""

    workspace: Workspace
    entries: list[IndexEntry]
    by_id: dict[str, list[Artifact]]

    @classmethod
    def build(cls, workspace: Workspace) -> ArtifactIndex:
        """Read and parse every artifact file once."""
        entries: list[IndexEntry] = []
        by_id: dict[str, list[Artifact]] = {}
        root = str(workspace.root) + os.sep
        for path in iter_artifact_files(workspace):
            name = str(path)
            rel = name[len(root):] if name.startswith(root) and os.sep == "/" else \
                path.relative_to(workspace.root).as_posix()
            entries.append(_load_entry(path, rel))
            artifact = entries[-1].artifact
            if artifact is not None and artifact.id is not None:
                by_id.setdefault(artifact.id, []).append(artifact)
        return cls(workspace, entries, by_id)

    def artifacts(self) -> Iterable[Artifact]:
        """Every artifact that parsed."""
        return (entry.artifact for entry in self.entries if entry.artifact is not None)

    def get(self, artifact_id: str) -> Artifact:
        """The artifact with this id (first by path when duplicated)."""
        found = self.by_id.get(artifact_id)
        if not found:
            raise ArtifactNotFoundError(f"no artifact with id {artifact_id!r} under artifacts/")
        return found[0]

    def exists(self, artifact_id: str) -> bool:
        """Whether some artifact has this id."""
        return artifact_id in self.by_id


def _load_entry(path: Path, rel: str) -> IndexEntry:
    text = read_document(path)
    if isinstance(text, FrontmatterError):
        return IndexEntry(rel, None, text)
    try:
        return IndexEntry(rel, parse_artifact(text, rel))
    except FrontmatterError as err:
        return IndexEntry(rel, None, err)


def write_artifact_text(workspace: Workspace, rel: str, text: str) -> Path:
    """Atomically replace an artifact file's text (confined to the workspace)."""
    path = workspace.path(rel)
    atomic_write(path, text)
    return path
