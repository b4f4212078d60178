"""The fast path: frontmatter made only of simple one-line fields, read without the YAML parser.

It yields exactly what YAML would, or None to let YAML decide.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

import yaml

# Parsing the bench's 11-field frontmatter with libyaml costs ~130 µs CPU a file, ~13 µs here (measured
# 2026-11 on a shared 2-core machine: ~1 s CPU per 10,000 artifacts; more without libyaml). Most
# frontmatter is `key: word`, `key: "text"`, `key: 2026-02-23`, `key: [a, b]` and block lists of plain
# ids: those lines are read here, with PyYAML's own resolver deciding what a plain word means; anything
# else (comments, escapes, numbers, booleans, tabs, CR, nesting) goes to YAML.
# tests/core/test_frontmatter_fast_path.py checks that typical frontmatter takes this path and reads as YAML
# does; tests/system/test_artifacts_hostile.py that the two agree on generated frontmatter whenever this path
# answers.

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


def _block_list(lines: list[str], index: int) -> tuple[Any, int]:
    """The value of the key on ``lines[index]`` with nothing after its colon: the block list of plain ids on the
    lines after it, or None when none follow; _NO_VALUE to let YAML decide. Also the index of the last line used."""
    items: list[str] = []
    indent: str | None = None
    while index + 1 < len(lines) and (item := _SIMPLE_ITEM.fullmatch(lines[index + 1])):
        if (indent is not None and item.group(1) != indent) or not isinstance(_plain_value(item.group(2)), str):
            return _NO_VALUE, index
        indent = item.group(1)
        items.append(item.group(2))
        index += 1
    if indent is not None:
        return items, index
    if index + 1 < len(lines) and lines[index + 1][:1] in (" ", "-"):
        return _NO_VALUE, index
    return None, index


def _field_value(match: re.Match[str], lines: list[str], index: int) -> tuple[Any, int]:
    """The value of the simple field ``match`` on ``lines[index]`` (_NO_VALUE: let YAML decide), and the index
    of the last line it uses."""
    _key, double, single, flow, plain = match.groups()
    if double is not None:
        return double, index
    if single is not None:
        return single, index
    if flow is not None:
        items = _flow_list(flow)
        return (_NO_VALUE if items is None else items), index
    if plain is not None:
        return _plain_value(plain), index
    return _block_list(lines, index)


def simple_frontmatter(front: str) -> tuple[dict[str, Any], dict[str, int], dict[str, list[int]]] | None:
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
        key = match.group(1)
        key_line = index + 2
        if _plain_value(key) != key:
            return None
        value, index = _field_value(match, lines, index)
        if value is _NO_VALUE:
            return None
        if key in key_lines:
            duplicates.setdefault(key, []).append(key_line)
        else:
            key_lines[key] = key_line
        meta[key] = value
        index += 1
    return meta, key_lines, duplicates
