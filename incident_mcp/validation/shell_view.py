"""What Company OS's ``validate.sh`` sees: it reads frontmatter with grep and sed, not YAML.

Messages about defects it does not report say why (``missed(...)``); this module answers the
questions those reasons need: which value sed reads for a field, which line grep finds for an id,
and why a dangling reference would pass the shell tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from incident_mcp.artifacts import Artifact, ArtifactIndex, IndexEntry
from incident_mcp.validation.loading import load_doc
from incident_mcp.validation.model import show
from incident_mcp.workspace import Workspace

_SHELL_ID_LINE = re.compile(r"id: *(.*?) *$")
_BRE_SPECIAL = re.compile(r"[.\[\]*^$\\]")


class ShellView:
    """The shell tool's view of the artifacts of one index (line splits and the id lines cached)."""

    def __init__(self, ws: Workspace, index: ArtifactIndex, by_rel: Mapping[str, IndexEntry]) -> None:
        self.ws = ws
        self.index = index
        self.by_rel = by_rel
        self._lines: dict[str, list[str]] = {}
        self._ids: tuple[dict[str, tuple[str, str]], list[tuple[str, str]]] | None = None

    def lines_of(self, art: Artifact) -> list[str]:
        """The artifact's text split into lines (once per artifact)."""
        lines = self._lines.get(art.rel)
        if lines is None:
            lines = self._lines[art.rel] = art.text.split("\n")
        return lines

    def raw(self, art: Artifact, key: str) -> str | None:
        """The value Company OS's sed reads for ``key`` (quotes dropped), or None if its grep finds no line."""
        line = art.line_of(key)
        if line is None:
            return None
        text = self.lines_of(art)[line - 1]
        if not text.startswith(f"{key}:"):
            return None
        return text[len(key) + 1:].lstrip(" ").replace('"', "").replace("'", "")

    def text(self, art: Artifact, key: str) -> str:
        """The value as the shell tool would print it (the YAML value when its grep finds no line)."""
        raw = self.raw(art, key)
        return show(raw if raw is not None else art.meta.get(key))

    def item_line(self, art: Artifact, key: str, ref: str) -> int | None:
        """The line of ``- ref`` in a block-style list under ``key``."""
        start = art.line_of(key)
        if start is None:
            return None
        lines = self.lines_of(art)
        for number in range(start + 1, min(art.body_line - 1, len(lines) + 1)):
            text = lines[number - 1]
            if text and not text[0].isspace() and not text.startswith("-"):
                break
            item = text.strip().removeprefix("-").strip().strip("'\"")
            if item == ref:
                return number
        return None

    def why_dangling_missed(self, art: Artifact, name: str, ref: str) -> str | None:
        """Why the shell tool would not report reference ``ref`` in field ``name`` as dangling (None: it would)."""
        raw = self.raw(art, name)
        if raw is None:
            return f"it does not see the '{name}:' line as written"
        if ref not in _shell_items(raw, name):
            return "block-style list" if not raw.strip(" \r") else "it reads only the first line of the field"
        found = self.resolves(ref)
        return None if found is None else self._why_grep_resolves(ref, *found)

    def _why_grep_resolves(self, ref: str, where: str, line: str) -> str:
        """Why the shell tool's grep takes ``line`` of ``where`` for the id ``ref`` although it is none."""
        if line.removeprefix("id:").strip(" ") != ref:
            return f"its grep reads '{show(ref)}' as a pattern and matches '{show(line)}' in {show(where)}"
        entry = self.by_rel.get(where)
        if entry is not None and entry.artifact is None:
            return f"its grep finds '{show(line)}' in {show(where)}, whose frontmatter cannot be read"
        return f"its grep finds '{show(line)}' in {show(where)}, outside that file's frontmatter"

    def resolves(self, ref: str) -> tuple[str, str] | None:
        """(file, line) where Company OS's ``grep -rl '^id: *REF *$' artifacts/`` would find ``ref``.

        REF is read as a basic regex there; ids rarely hold more than '.', which is all we mimic.
        """
        exact, every = self._id_lines()
        if not _BRE_SPECIAL.search(ref):
            return exact.get(ref)
        pattern = re.compile("id: *" + re.escape(ref).replace(r"\.", ".") + " *$")
        return next((found for found in every if pattern.match(found[1])), None)

    def _id_lines(self) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
        if self._ids is None:
            exact: dict[str, tuple[str, str]] = {}
            every: list[tuple[str, str]] = []
            for entry in self.index.entries:
                text = entry.artifact.text if entry.artifact is not None else \
                    load_doc(self.ws, self.by_rel, entry.rel).text
                for line in lines_starting_with_id(text or ""):
                    match = _SHELL_ID_LINE.match(line)
                    if match:
                        exact.setdefault(match.group(1), (entry.rel, line))
                        every.append((entry.rel, line))
            self._ids = (exact, every)
        return self._ids


def _shell_items(raw: str, name: str) -> list[str]:
    """The ids the shell tool reads from a field's line: the whole value for parent, else a flow list's items."""
    if name == "parent":
        return [raw.strip(" ")]
    return [i.strip(" ") for i in raw.replace("[", "").replace("]", "").split(",") if i.strip(" ")]


def lines_starting_with_id(text: str) -> Iterator[str]:
    """Lines beginning ``id:`` (found with str.find: a regex over every whole file is ten times slower)."""
    found = text.find("\nid:")
    start = 0 if text.startswith("id:") else (found + 1 if found >= 0 else -1)
    while start >= 0:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        found = text.find("\nid:", end)
        start = found + 1 if found >= 0 else -1
