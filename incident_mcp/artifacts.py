"""Company OS artifacts: Markdown files with YAML frontmatter, parsed as data and indexed by id.

Frontmatter is parsed with a safe YAML loader and written with a safe dumper that quotes every
string that could be misread (newlines, ``---``, Unicode line separators), so a hostile title
round-trips exactly and can never inject a field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from incident_mcp.errors import ArtifactError, ArtifactNotFoundError
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

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:")
# Strings containing any of these are written double-quoted, where YAML escapes them.
_NEEDS_QUOTES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


class FrontmatterError(ArtifactError):
    """The frontmatter block is missing, unterminated, or not a YAML mapping."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class Artifact:
    """One artifact file as parsed: its frontmatter (data), its body (text) and where keys sit."""

    rel: str
    text: str
    meta: dict[str, Any]
    body: str
    key_lines: dict[str, int] = field(default_factory=dict)
    body_line: int = 1

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


def split_frontmatter(text: str) -> tuple[str, str, int]:
    """Split a document into (frontmatter text, body, body's first line number)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        raise FrontmatterError("file does not start with a '---' frontmatter line", line=1)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") == "---":
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2
    raise FrontmatterError("frontmatter is not closed by a '---' line", line=1)


def parse_artifact(text: str, rel: str = "<text>") -> Artifact:
    """Parse an artifact's text; raises FrontmatterError (with a line) when it cannot be read."""
    front, body, body_line = split_frontmatter(text)
    try:
        meta = yaml.load(front, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader/SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise FrontmatterError(f"frontmatter is not valid YAML: {problem}", line=line) from None
    except (RecursionError, ValueError, OverflowError) as err:
        raise FrontmatterError(f"frontmatter could not be read: {type(err).__name__}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontmatterError("frontmatter must be a YAML mapping of fields", line=2)
    key_lines: dict[str, int] = {}
    for offset, line in enumerate(front.split("\n")):
        match = _KEY_LINE.match(line)
        if match and match.group(1) not in key_lines:
            key_lines[match.group(1)] = offset + 2
    return Artifact(rel=rel, text=text, meta={str(k): v for k, v in meta.items()}, body=body,
                    key_lines=key_lines, body_line=body_line)


class _Dumper(yaml.SafeDumper):
    """Safe dumper whose output round-trips through ``yaml.safe_load`` for any string."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _NEEDS_QUOTES.search(value) or value != value.strip() or value.startswith("---"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


class FlowList(list[Any]):
    """A list written in flow style (``[a, b]``), as Company OS's shell tools expect for references."""


def _represent_flow_list(dumper: yaml.SafeDumper, value: FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowList, _represent_flow_list)


def dump_yaml(data: Any) -> str:
    """Dump data as block-style YAML that loads back to exactly the same value."""
    text: str = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=2**31 - 1)
    return text


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


def set_frontmatter_line(text: str, key: str, value: str) -> str:
    """Rewrite only the line of top-level ``key`` inside the frontmatter (one-line git diff)."""
    _front, _body, body_line = split_frontmatter(text)
    lines = text.split("\n")
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for index in range(1, body_line - 2):
        if pattern.match(lines[index]):
            newline = "\r" if lines[index].endswith("\r") else ""
            lines[index] = f"{key}: {value}{newline}"
            return "\n".join(lines)
    raise FrontmatterError(f"frontmatter has no '{key}:' line to update")


def today_utc() -> str:
    """Today's date in UTC as YYYY-MM-DD."""
    return dt.datetime.now(dt.UTC).date().isoformat()


def iter_artifact_files(workspace: Workspace) -> Iterator[Path]:
    """Every ``*.md`` under artifacts/ that is a real artifact file (no temp, audit, or escaping links)."""
    root = workspace.artifacts_dir
    if not root.is_dir() or not workspace.contains(root):
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or is_temp_name(name):
                continue
            if entry.is_symlink() and not workspace.contains(entry):
                continue
            if entry.is_dir():
                stack.append(entry)
            elif name.endswith(".md") and entry.is_file():
                yield entry


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
        for path in iter_artifact_files(workspace):
            rel = path.relative_to(workspace.root).as_posix()
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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return IndexEntry(rel, None, FrontmatterError("file is not UTF-8 text"))
    except OSError as err:
        return IndexEntry(rel, None, FrontmatterError(f"file could not be read: {err.strerror}"))
    try:
        return IndexEntry(rel, parse_artifact(text, rel))
    except FrontmatterError as err:
        return IndexEntry(rel, None, err)


def read_artifact(workspace: Workspace, rel: str) -> Artifact:
    """Read and parse one artifact by workspace-relative path (confined to the workspace)."""
    path = workspace.path(rel)
    if not path.is_file():
        raise ArtifactNotFoundError(f"no artifact file at {rel!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FrontmatterError(f"{rel}: file is not UTF-8 text") from None
    return parse_artifact(text, workspace.rel(path))


def write_artifact_text(workspace: Workspace, rel: str, text: str) -> Path:
    """Atomically replace an artifact file's text (confined to the workspace)."""
    path = workspace.path(rel)
    atomic_write(path, text)
    return path
