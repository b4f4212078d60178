"""Reading a few fields of frontmatter line by line, without YAML: for reading thousands of documents our own
dumper wrote, when only a handful of their fields matter (the incident metrics).

The shape read is narrow: block style, one line per scalar, text quoted on one line, and one key holding a
block list of mappings (a table, such as an incident's timeline). Values come back as the strings written
(quotes removed; empty, ``null`` and ``~`` as None); fields not asked for are only checked to end on their own
line. Anything outside that shape (a block scalar, a quoted value spread over lines, flow collections, escapes,
CR line ends, …) gives None: the caller then reads the document the full way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_PLAIN_BAD = frozenset("[]{}&*!|>%@`#\"'")


class _Unusual(Exception):
    """The text is outside the simple shape."""


@dataclass(frozen=True)
class LineShape:
    """The fields to read: one-line scalars, block lists of one-line scalars, and the table whose rows'
    ``row_fields`` are read (the table is always in the result, an empty list when the key is absent)."""

    scalars: frozenset[str]
    lists: frozenset[str]
    table: str
    row_fields: frozenset[str]
    wanted: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wanted", self.scalars | self.lists | {self.table})


def read_line_fields(text: str, shape: LineShape) -> dict[str, Any] | None:
    """The fields ``shape`` names from a document's frontmatter; None when the text is outside the shape.

    Keys not asked for are in the result with the value None.
    """
    try:
        return _read(_frontmatter(text), shape)
    except _Unusual:
        return None


def _frontmatter(text: str) -> str:
    """The frontmatter between a first ``---`` line and the next one (``\\n`` line ends only)."""
    if not text.startswith("---\n") or "\r" in text:
        raise _Unusual
    end = text.find("\n---\n", 3)
    if end < 0:
        raise _Unusual
    return text[4:end]


@dataclass(slots=True)
class _Reading:
    """The reader's place: the fields so far, the table's rows, and the top-level key being read."""

    shape: LineShape
    table: str
    row_fields: frozenset[str]
    fields: dict[str, Any]
    rows: list[dict[str, str | None]]
    key: str = ""


def _read(front: str, shape: LineShape) -> dict[str, Any]:
    state = _Reading(shape, shape.table, shape.row_fields, {}, [])
    for line in front.split("\n"):
        if not line or line.isspace():
            continue
        head = line[0]
        if head == " ":
            _indented(state, line)
        elif head == "-":
            _item(state, line)
        else:
            _top(state, line)
    state.fields[shape.table] = state.rows
    return state.fields


def _top(state: _Reading, line: str) -> None:
    """A top-level ``key: value`` line: a scalar read, an empty list or table begun, or a value skipped."""
    key, colon, raw = line.partition(":")
    if not colon or (raw and raw[0] != " ") or not key.replace("-", "_").isidentifier() or key in state.fields:
        raise _Unusual
    state.key = key
    shape = state.shape
    if key in shape.lists or key == shape.table:
        if raw.strip() not in ("", "[]"):
            raise _Unusual
        state.fields[key] = []
    elif key in shape.scalars:
        state.fields[key] = _scalar(raw)
    else:
        state.fields[key] = None
        _closed(raw)


def _item(state: _Reading, line: str) -> None:
    """A ``- …`` line: an item of a list read, a new row of the table, or an item of a value skipped."""
    if line[1:2] != " ":
        raise _Unusual
    key, shape = state.key, state.shape
    if key in shape.lists:
        state.fields[key].append(_scalar(line[2:]))
    elif key == shape.table:
        row: dict[str, str | None] = {}
        state.rows.append(row)
        _row_field(row, state.row_fields, line[2:])
    elif key in shape.wanted:
        raise _Unusual
    else:
        _closed(line[2:])


def _indented(state: _Reading, line: str) -> None:
    """An indented line: the next field of the table's current row, or inside a value skipped."""
    if state.key != state.table:
        if state.key in state.shape.wanted or line[1:2] != " ":
            raise _Unusual
        return  # inside a section we do not read (postmortem, …)
    if not state.rows or line[1:2] != " " or line[2:3] == " ":
        raise _Unusual
    _row_field(state.rows[-1], state.row_fields, line[2:])


def _row_field(row: dict[str, str | None], row_fields: frozenset[str], text: str) -> None:
    """One ``name: value`` of a table row: read when asked for, else checked to end on its line."""
    name, colon, raw = text.partition(": ")
    if not colon or not name.isidentifier() or name in row:
        raise _Unusual
    if name in row_fields:
        row[name] = _scalar(raw)
    else:
        row[name] = None
        if raw and raw[0] in "\"'|>":
            _closed(raw)


def _scalar(raw: str) -> str | None:
    """A one-line YAML scalar as our dumper writes it, as text (None for empty and null); _Unusual otherwise."""
    value = raw.strip()
    if value in ("", "null", "~"):
        return None
    head = value[0]
    if head == "'" and value[-1] == "'" and len(value) > 1 and "'" not in value[1:-1]:
        return value[1:-1]  # the common case: a quoted timestamp
    if head == "'":
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Unusual
        return inner.replace("''", "'")
    if head == '"':
        if len(value) < 2 or value[-1] != '"' or (len(value) - len(value[:-1].rstrip("\\")) - 1) % 2:
            raise _Unusual
        if "\\" in value:
            raise _Unusual  # escapes: decode with YAML (only free text has them, and it is skipped anyway)
        return value[1:-1]
    if head in _PLAIN_BAD or " #" in value or ": " in value:
        raise _Unusual
    return value


def _closed(raw: str) -> None:
    """Check a value we skip is complete on its line (its continuation lines could pass for keys)."""
    value = raw.strip()
    if not value or value[0] not in "\"'|>":
        return
    if value[0] == '"':
        if len(value) < 2 or value[-1] != '"' or (len(value) - len(value[:-1].rstrip("\\")) - 1) % 2:
            raise _Unusual
    elif value[0] == "'":
        _scalar(value)
    elif value[0] in "|>":
        raise _Unusual
