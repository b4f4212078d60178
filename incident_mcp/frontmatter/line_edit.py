"""Rewriting one frontmatter line in place (a one-line git diff), refused when that could corrupt the file."""

from __future__ import annotations

import yaml

from incident_mcp.frontmatter.dump import NEEDS_QUOTES
from incident_mcp.frontmatter.loader import SAFE_LOADER
from incident_mcp.frontmatter.split import FrontmatterError, line_at, split_frontmatter


def set_frontmatter_line(text: str, key: str, value: str) -> str:
    """Rewrite only the line of top-level ``key`` inside the frontmatter (one-line git diff).

    The line is found by the YAML parser, and refused (FrontmatterError) when rewriting one line
    could corrupt the file: the key is missing or repeated, does not start its own line, or its
    value spans several lines. ``value`` must be one line of plain text.
    """
    if NEEDS_QUOTES.search(value) or not value.strip():
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
        lines_at = ", ".join(str(line_at(front, k.start_mark.index)) for k, _v in found)
        raise FrontmatterError(f"frontmatter has '{key}:' more than once (lines {lines_at})", kind="line")
    key_node, value_node = found[0]
    start, end = key_node.start_mark.index, value_node.end_mark.index
    line = line_at(front, start)
    if start > 0 and front[start - 1] != "\n":
        raise FrontmatterError(f"'{key}:' does not start its own line; not rewriting it", line=line, kind="line")
    if "\n" in front[start:end]:
        raise FrontmatterError(f"the value of '{key}:' spans several lines; not rewriting it", line=line,
                               kind="line")
    lines = text.split("\n")
    newline = "\r" if lines[line - 1].endswith("\r") else ""
    lines[line - 1] = f"{key}: {value}{newline}"
    return "\n".join(lines)
