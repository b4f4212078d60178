"""Frontmatter text by top-level key: read a few fields without parsing the rest, and rewrite only the keys
that changed. Both check themselves and fall back to the full parse / full dump when the text is unusual.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from incident_mcp.artifacts import dump_frontmatter  # the schema's dump: reference lists in flow style
from incident_mcp.frontmatter.dump import dump_yaml
from incident_mcp.frontmatter.loader import SAFE_LOADER
from incident_mcp.frontmatter.split import FrontmatterError, split_frontmatter

_KEY_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\s*:")


def _lines(text: str) -> list[str]:
    """Lines split at "\n" only (str.splitlines also splits at U+2028, form feeds, … inside quoted values)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def split_keys(front: str) -> tuple[str, dict[str, str]]:
    """The text before the first key, and each top-level key's lines (continuations included)."""
    lead: list[str] = []
    chunks: dict[str, list[str]] = {}
    current: list[str] = lead
    for line in _lines(front):
        match = _KEY_START.match(line)
        if match:
            key = line.split(":", 1)[0].strip()
            current = chunks.setdefault(key, [])
            if current:  # a key twice: let the full dump handle it
                return "", {}
        current.append(line)
    return "".join(lead), {key: "".join(lines) for key, lines in chunks.items()}


def _reuse_items(old_chunk: str, old: list[Any], new: list[Any], key: str) -> str | None:
    """A block list re-using the text of items that did not change; None when the old text is not block style."""
    lines = _lines(old_chunk)
    if not lines or lines[0].rstrip("\r\n").split(":", 1)[1].strip():
        return None
    items: list[list[str]] = []
    for line in lines[1:]:
        if line.startswith("- "):
            items.append([line])
        elif items and line.startswith("  "):
            items[-1].append(line)
        else:
            return None
    if len(items) != len(old):
        return None
    texts = ["".join(item) for item in items]
    out = [f"{key}:\n"]
    cursor = 0
    for value in new:
        found = next((j for j in range(cursor, len(old)) if old[j] == value), None)
        if found is not None:
            out.append(texts[found] if texts[found].endswith("\n") else texts[found] + "\n")
            cursor = found + 1
        else:
            out.append(dump_yaml([value]))
    return "".join(out)


def frontmatter_update(front: str, old_meta: dict[str, Any], new_meta: dict[str, Any]) -> str:
    """The frontmatter block for ``new_meta`` re-using the old text of every key (and list item) that did not
    change, so a change touches only its own lines and a human's formatting elsewhere is kept.

    The result is parsed back and compared with ``new_meta``; on any difference the whole block is dumped
    afresh instead, so re-use can never change data.
    """
    lead, chunks = split_keys(front + "\n" if front and not front.endswith("\n") else front)
    parts = [lead]
    for key, value in new_meta.items():
        old_chunk = chunks.get(key)
        if old_chunk is not None and key in old_meta and old_meta[key] == value:
            parts.append(old_chunk)
            continue
        reused = None
        if old_chunk is not None and isinstance(value, list) and isinstance(old_meta.get(key), list):
            reused = _reuse_items(old_chunk, old_meta[key], value, key)
        parts.append(reused if reused is not None else dump_frontmatter({key: value})[4:-4])
    text = "---\n" + "".join(parts) + "---\n"
    try:
        same = yaml.load(text[4:-4], Loader=SAFE_LOADER) == new_meta  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        same = False
    return text if same else dump_frontmatter(new_meta)


def read_fields(text: str, keys: Iterable[str]) -> dict[str, Any] | None:
    """Only ``keys`` of a document's frontmatter: the YAML is composed (in C) but only those values are
    turned into Python data, which is most of the cost for a record with a long timeline.

    None when there is no readable frontmatter mapping; the caller then reads the document the slow way
    and reports the error it finds.
    """
    wanted = set(keys)
    try:
        front, _body, _line = split_frontmatter(text)
        node = yaml.compose(front, Loader=SAFE_LOADER)
    except (FrontmatterError, yaml.YAMLError, RecursionError, ValueError):
        return None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return None
    constructor = SAFE_LOADER("")
    data: dict[str, Any] = {}
    try:
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in wanted:
                data[key_node.value] = constructor.construct_object(value_node, deep=True)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    return data
