"""Company OS artifacts: Markdown files with YAML frontmatter, parsed as data and indexed by id.

Frontmatter is parsed with a safe YAML loader and written with a safe dumper that quotes every
string that could be misread (newlines, ``---``, Unicode line separators), so a hostile title
round-trips exactly and can never inject a field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
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
MAX_ARTIFACT_BYTES = 16_000_000  # as large as an incident record may be; a bigger file is reported, never read
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

# Anchors and aliases may expand a document to at most this much more than twice its own length
# (counted in nodes plus characters of text): a 600-byte alias tree otherwise expands to 10^9 items
# wherever a value is walked or turned into text.
ALIAS_EXPANSION_ALLOWANCE = 100_000
_UNKNOWN_LENGTH = 1_000_000  # a stream whose length the loader cannot see


class YAMLExpansionError(yaml.MarkedYAMLError):
    """A document whose aliases expand past the bound, or refer to themselves."""


_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _BoundedSafeLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader with a bound on what aliases may expand to, checked on the composed node graph
    (where an alias is one shared node) before anything is constructed or walked."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._expansion_limit = 2 * (len(stream) if isinstance(stream, str | bytes) else _UNKNOWN_LENGTH) \
            + ALIAS_EXPANSION_ALLOWANCE

    def get_single_node(self) -> yaml.Node | None:
        node: yaml.Node | None = super().get_single_node()
        if node is not None:
            check_expansion(node, self._expansion_limit)
        return node

    def get_node(self) -> yaml.Node | None:
        node: yaml.Node | None = super().get_node()
        if node is not None:
            check_expansion(node, self._expansion_limit)
        return node


# The one YAML loader of the project: libyaml's safe loader when available (much faster), else PyYAML's,
# bounded against alias bombs.
SAFE_LOADER: type[yaml.SafeLoader] = _BoundedSafeLoader


def check_expansion(root: yaml.Node, limit: int) -> None:
    """Raise YAMLExpansionError when ``root`` with every alias written out exceeds ``limit``
    (nodes plus characters of scalars), or when an alias refers to a node that contains it.

    Linear in the distinct nodes: each node's expanded size is computed once and reused.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            if isinstance(node, yaml.ScalarNode):
                size = 1 + len(node.value)
            elif isinstance(node, yaml.SequenceNode):
                size = 1 + sum(sizes[id(child)] for child in node.value)
            else:
                size = 1 + sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YAMLExpansionError(problem="an alias refers to a node that contains it (a recursive "
                                     "structure); write the value out", problem_mark=node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack.append((v, False))
                stack.append((k, False))
    total = sizes[id(root)]
    if total <= limit:
        return
    where, mark = "the document", root.start_mark
    if isinstance(root, yaml.MappingNode):
        biggest = max(root.value, key=lambda kv: sizes[id(kv[1])])
        if isinstance(biggest[0], yaml.ScalarNode):
            where, mark = f"the value of '{biggest[0].value[:60]}'", biggest[0].start_mark
    raise YAMLExpansionError(
        problem=f"anchors and aliases expand {where} to {total:,} nodes and characters, more than the "
                f"{limit:,} this file may hold (an alias bomb?); write the values out instead of repeating aliases",
        problem_mark=mark)
# Strings containing any of these are written double-quoted, where YAML escapes them.
_NEEDS_QUOTES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


class FrontmatterError(ArtifactError):
    """The frontmatter block is missing, unterminated, or not a YAML mapping.

    ``kind`` says which (``missing``, ``unclosed``, ``yaml``, ``not_mapping``, ``encoding``,
    ``unreadable``, ``line``) so validation can name a stable rule without parsing the message.
    """

    def __init__(self, message: str, *, line: int | None = None, kind: str = "yaml") -> None:
        self.line = line
        self.kind = kind
        self.detail = message
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


def split_frontmatter(text: str) -> tuple[str, str, int]:
    """Split a document into (frontmatter text, body, body's first line number)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first_end = text.find("\n")
    if (text if first_end < 0 else text[:first_end]).rstrip("\r") != "---":
        raise FrontmatterError("file does not start with a '---' frontmatter line", line=1, kind="missing")
    start = pos = first_end + 1
    line_no = 2
    while first_end >= 0:
        end = text.find("\n", pos)
        if (text[pos:] if end < 0 else text[pos:end]).rstrip("\r") == "---":
            front = text[start:pos - 1] if pos > start else ""
            return front, ("" if end < 0 else text[end + 1:]), line_no + 1
        if end < 0:
            break
        pos = end + 1
        line_no += 1
    raise FrontmatterError("frontmatter is not closed by a '---' line", line=1, kind="unclosed")


def parse_artifact(text: str, rel: str = "<text>") -> Artifact:
    """Parse an artifact's text; raises FrontmatterError (with a line) when it cannot be read.

    Key lines come from the YAML parser itself (not from a regex over the lines), so a quoted
    value that spans lines, or a raw U+2028 that YAML reads as a line break, cannot make a line
    inside a value look like a key. Frontmatter made only of simple one-line fields takes a fast
    path that yields exactly what YAML would (see ``_simple_frontmatter``).
    """
    front, body, body_line = split_frontmatter(text)
    simple = _simple_frontmatter(front)
    if simple is not None:
        meta, key_lines, duplicates = simple
        return Artifact(rel=rel, text=text, meta=meta, body=body, key_lines=key_lines, body_line=body_line,
                        duplicate_keys=duplicates)
    loader = SAFE_LOADER(front)
    node = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = _line_at(front, mark.index) if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        what = "refused" if isinstance(err, YAMLExpansionError) else "is not valid YAML"
        raise FrontmatterError(f"frontmatter {what}: {problem}", line=line) from None
    except (RecursionError, ValueError, OverflowError, TypeError) as err:
        key, line = _unreadable_value(front, node)
        where = f"the value of '{key}'" if key else "a value"
        raise FrontmatterError(f"frontmatter is YAML but {where} cannot be read ({type(err).__name__}: "
                               f"{str(err)[:100]}); a date that does not exist? write it in quotes",
                               line=line) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict) or (node is not None and not isinstance(node, yaml.MappingNode)):
        raise FrontmatterError("frontmatter must be a YAML mapping of fields", line=2, kind="not_mapping")
    key_lines = {}
    duplicates = {}
    for key_node, _value in node.value if node is not None else []:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        line = _line_at(front, key_node.start_mark.index)
        if key_node.value in key_lines:
            duplicates.setdefault(key_node.value, []).append(line)
        else:
            key_lines[key_node.value] = line
    return Artifact(rel=rel, text=text, meta={str(k): v for k, v in data.items()}, body=body,
                    key_lines=key_lines, body_line=body_line, duplicate_keys=duplicates)


def _unreadable_value(front: str, node: yaml.Node | None) -> tuple[str | None, int | None]:
    """The key and line of the first top-level value that YAML parses but cannot construct."""
    if not isinstance(node, yaml.MappingNode):
        return None, None
    for key_node, value_node in node.value:
        try:
            yaml.constructor.SafeConstructor().construct_object(value_node, deep=True)
        except (RecursionError, ValueError, OverflowError, TypeError, yaml.YAMLError):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            return key, _line_at(front, value_node.start_mark.index)
    return None, None


def _line_at(front: str, index: int) -> int:
    """The file line (1-based, counting only \n) of a character index inside the frontmatter text."""
    return front.count("\n", 0, index) + 2


# --- fast path: frontmatter of simple fields ---------------------------------------------------------
# Parsing YAML costs ~160 µs a file even with libyaml; a workspace of 10,000 artifacts must validate
# in well under 3 s. Most frontmatter is `key: word`, `key: "text"`, `key: 2026-02-23`, `key: [a, b]`
# and block lists of plain ids: those lines are read here, with PyYAML's own resolver deciding what a
# plain word means; anything else (comments, escapes, numbers, booleans, tabs, CR, nesting) goes to
# YAML. tests/test_artifacts_hostile.py checks that the two agree on generated frontmatter.

_PLAIN = r"[A-Za-z0-9_][A-Za-z0-9_./()+-]*(?: [A-Za-z0-9_./()+-]+)*"
# Text YAML reads literally inside quotes: no quote or backslash, nothing the YAML reader refuses,
# no character it treats as a line break (U+0085, U+2028, U+2029) and no byte-order mark.
_QUOTABLE = (r"\x20-\x21\x23-\x26\x28-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
             r"\U00010000-\U0010ffff")
_SIMPLE_FIELD = re.compile(
    rf"([A-Za-z_][A-Za-z0-9_-]*):(?: +(?:\"([{_QUOTABLE}']*)\"|'([{_QUOTABLE}\"]*)'|\[([^\[\]{{}}]*)\]|({_PLAIN})))? *")
_SIMPLE_ITEM = re.compile(rf"( *)- +({_PLAIN}) *")
_SIMPLE_WORD = re.compile(_PLAIN)
_SIMPLE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_RESOLVER = yaml.resolver.Resolver()
_NO_VALUE = object()
_STR_TAG = "tag:yaml.org,2002:str"
# PyYAML picks implicit resolvers by a scalar's first character: any other first character means str
# (unless a resolver was registered for every first character, which the safe loader does not do).
_RESOLVED_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)
_ANY_FIRST = None in yaml.resolver.Resolver.yaml_implicit_resolvers
_WORD_CACHE: dict[str, Any] = {}


def _plain_value(word: str) -> Any:
    """A plain (unquoted) word as YAML reads it, if it is text, null or a date; else _NO_VALUE."""
    if not _ANY_FIRST and word[0] not in _RESOLVED_FIRST:
        return word
    value = _WORD_CACHE.get(word, _WORD_CACHE)
    if value is not _WORD_CACHE:
        return value
    tag = _RESOLVER.resolve(yaml.ScalarNode, word, (True, False))  # type: ignore[no-untyped-call]
    value = _NO_VALUE
    if tag == _STR_TAG:
        value = word
    elif tag == "tag:yaml.org,2002:null":
        value = None
    elif tag == "tag:yaml.org,2002:timestamp" and (date := _SIMPLE_DATE.fullmatch(word)):
        with contextlib.suppress(ValueError):
            value = dt.date(int(date.group(1)), int(date.group(2)), int(date.group(3)))
    if len(_WORD_CACHE) > 4096:
        _WORD_CACHE.clear()
    _WORD_CACHE[word] = value
    return value


def _flow_list(inner: str) -> list[str] | None:
    """``a, b, c`` (the inside of ``[...]``) as a list of plain text ids, else None."""
    inner = inner.strip(" ")
    if not inner:
        return []
    items: list[str] = []
    for item in inner.split(","):
        word = item.strip(" ")
        if not _SIMPLE_WORD.fullmatch(word) or not isinstance(_plain_value(word), str):
            return None
        items.append(word)
    return items


def _simple_frontmatter(front: str) -> tuple[dict[str, Any], dict[str, int], dict[str, list[int]]] | None:
    """(meta, key lines, repeated keys) when every line is a simple field; None to let YAML decide."""
    if "\r" in front or "\t" in front:
        return None
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    lines = front.split("\n") if front else []
    index = 0
    while index < len(lines):
        match = _SIMPLE_FIELD.fullmatch(lines[index])
        if match is None:
            return None
        key, double, single, flow, plain = match.groups()
        key_line = index + 2
        if _plain_value(key) != key:
            return None
        value: Any
        if double is not None:
            value = double
        elif single is not None:
            value = single
        elif flow is not None:
            value = _flow_list(flow)
            if value is None:
                return None
        elif plain is not None:
            value = _plain_value(plain)
            if value is _NO_VALUE:
                return None
        else:
            value = None
            items: list[str] = []
            indent: str | None = None
            while index + 1 < len(lines) and (item := _SIMPLE_ITEM.fullmatch(lines[index + 1])):
                if (indent is not None and item.group(1) != indent) or not isinstance(_plain_value(item.group(2)), str):
                    return None
                indent = item.group(1)
                items.append(item.group(2))
                index += 1
            if indent is not None:
                value = items
            elif index + 1 < len(lines) and lines[index + 1][:1] in (" ", "-"):
                return None
        if key in key_lines:
            duplicates.setdefault(key, []).append(key_line)
        else:
            key_lines[key] = key_line
        meta[key] = value
        index += 1
    return meta, key_lines, duplicates


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
    """Dump data as block-style YAML that loads back to exactly the same value.

    Text holding a lone surrogate (possible in JSON input) cannot be stored as UTF-8: refused here
    with a clear error instead of failing later inside the write.
    """
    _refuse_surrogates(data)
    text: str = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=2**31 - 1)
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(data: Any, depth: int = 0) -> None:
    if isinstance(data, str):
        found = _SURROGATE.search(data)
        if found:
            raise ArtifactError(f"text contains a lone surrogate U+{ord(found.group()):04X}, which is not "
                                "valid Unicode and cannot be written as UTF-8")
    elif depth < 100 and isinstance(data, Mapping):
        for key, value in data.items():
            _refuse_surrogates(key, depth + 1)
            _refuse_surrogates(value, depth + 1)
    elif depth < 100 and isinstance(data, list | tuple):
        for item in data:
            _refuse_surrogates(item, depth + 1)


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
    """Rewrite only the line of top-level ``key`` inside the frontmatter (one-line git diff).

    The line is found by the YAML parser, and refused (FrontmatterError) when rewriting one line
    could corrupt the file: the key is missing or repeated, does not start its own line, or its
    value spans several lines. ``value`` must be one line of plain text.
    """
    if _NEEDS_QUOTES.search(value) or not value.strip():
        raise FrontmatterError(f"new value for '{key}:' must be one line of plain text, got {value!r}",
                               kind="line")
    front, _body, _body_line = split_frontmatter(text)
    loader = SAFE_LOADER(front)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as err:
        raise FrontmatterError(f"frontmatter is not valid YAML; not rewriting '{key}:' ({err})".splitlines()[0],
                               kind="yaml") from None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        raise FrontmatterError(f"frontmatter has no '{key}:' line to update", kind="line")
    found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    if not found:
        raise FrontmatterError(f"frontmatter has no '{key}:' line to update", kind="line")
    if len(found) > 1:
        lines_at = ", ".join(str(_line_at(front, k.start_mark.index)) for k, _v in found)
        raise FrontmatterError(f"frontmatter has '{key}:' more than once (lines {lines_at})", kind="line")
    key_node, value_node = found[0]
    start, end = key_node.start_mark.index, value_node.end_mark.index
    line = _line_at(front, start)
    if start > 0 and front[start - 1] != "\n":
        raise FrontmatterError(f"'{key}:' does not start its own line; not rewriting it", line=line, kind="line")
    if "\n" in front[start:end]:
        raise FrontmatterError(f"the value of '{key}:' spans several lines; not rewriting it", line=line,
                               kind="line")
    lines = text.split("\n")
    newline = "\r" if lines[line - 1].endswith("\r") else ""
    lines[line - 1] = f"{key}: {value}{newline}"
    return "\n".join(lines)



def iter_artifact_files(workspace: Workspace) -> Iterator[Path]:
    """Every ``*.md`` under artifacts/ that is a real artifact file (no temp, audit, or escaping links).

    Symlinks are followed only while they stay inside the workspace; each real folder is walked
    once (a link back up the tree cannot loop or multiply files), and a link to a file that is
    itself under artifacts/ is skipped, since that file is listed under its own name.
    """
    yield from iter_markdown_files(workspace, workspace.artifacts_dir)


def iter_markdown_files(workspace: Workspace, root: Path) -> Iterator[Path]:
    """Every ``*.md`` under ``root`` (inside the workspace), in sorted order, walking each real folder once."""
    if not root.is_dir() or not workspace.contains(root):
        return
    artifacts_real = workspace.artifacts_dir.resolve()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders: list[Path] = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or is_temp_name(name):
                continue
            path = folder / name
            try:
                if entry.is_symlink():
                    target = path.resolve()
                    if not workspace.contains(path):
                        continue
                    if entry.is_file() and (target == artifacts_real or artifacts_real in target.parents):
                        continue
                if entry.is_dir():
                    subfolders.append(path)
                elif name.endswith(".md") and entry.is_file():
                    yield path
            except OSError:
                continue
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
    too_large = size_refusal(path)
    if too_large is not None:
        return IndexEntry(rel, None, too_large)
    try:
        text = read_text_exact(path)
    except UnicodeDecodeError:
        return IndexEntry(rel, None, FrontmatterError("file is not UTF-8 text", kind="encoding"))
    except OSError as err:
        return IndexEntry(rel, None, FrontmatterError(f"file could not be read: {err.strerror}", kind="unreadable"))
    try:
        return IndexEntry(rel, parse_artifact(text, rel))
    except FrontmatterError as err:
        return IndexEntry(rel, None, err)


def size_refusal(path: Path) -> FrontmatterError | None:
    """The error for a file too large to be an artifact (it is then not read at all), else None."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the read reports it
    if size <= MAX_ARTIFACT_BYTES:
        return None
    return FrontmatterError(f"file is {size:,} bytes; an artifact is at most {MAX_ARTIFACT_BYTES:,} (not read)",
                            kind="unreadable")


def read_text_exact(path: Path) -> str:
    """A file's UTF-8 text exactly as stored: CRLF line endings are kept, not translated to LF.

    Rewriting one field must change one line of the git diff, so text read for a rewrite must not
    lose its line endings (``Path.read_text`` translates them).
    """
    with open(path, encoding="utf-8", newline="") as handle:  # noqa: PTH123 - Path.read_text has no newline=
        return handle.read()


def write_artifact_text(workspace: Workspace, rel: str, text: str) -> Path:
    """Atomically replace an artifact file's text (confined to the workspace)."""
    path = workspace.path(rel)
    atomic_write(path, text)
    return path
