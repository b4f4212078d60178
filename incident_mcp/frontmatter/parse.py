"""Parsing frontmatter text into data, with the line of every top-level key."""

from __future__ import annotations

from typing import Any

import yaml

from incident_mcp.frontmatter.fast_path import simple_frontmatter
from incident_mcp.frontmatter.loader import SAFE_LOADER, YAMLExpansionError
from incident_mcp.frontmatter.split import FrontmatterError, line_at


def parse_frontmatter(front: str) -> tuple[dict[str, Any], dict[str, int], dict[str, list[int]]]:
    """(meta, key lines, repeated keys) of frontmatter text; raises FrontmatterError with a line.

    Key lines come from the YAML parser itself (not from a regex over the lines), so a quoted
    value that spans lines, or a raw U+2028 that YAML reads as a line break, cannot make a line
    inside a value look like a key. Frontmatter made only of simple one-line fields takes the fast
    path, which yields exactly what YAML would (``fast_path.simple_frontmatter``).
    """
    simple = simple_frontmatter(front)
    if simple is not None:
        return simple
    loader = SAFE_LOADER(front)
    node = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = line_at(front, mark.index) if mark is not None else None
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
    key_lines: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for key_node, _value in node.value if node is not None else []:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        line = line_at(front, key_node.start_mark.index)
        if key_node.value in key_lines:
            duplicates.setdefault(key_node.value, []).append(line)
        else:
            key_lines[key_node.value] = line
    return {str(k): v for k, v in data.items()}, key_lines, duplicates


def _unreadable_value(front: str, node: yaml.Node | None) -> tuple[str | None, int | None]:
    """The key and line of the first top-level value that YAML parses but cannot construct."""
    if not isinstance(node, yaml.MappingNode):
        return None, None
    for key_node, value_node in node.value:
        try:
            yaml.constructor.SafeConstructor().construct_object(value_node, deep=True)
        except (RecursionError, ValueError, OverflowError, TypeError, yaml.YAMLError):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            return key, line_at(front, value_node.start_mark.index)
    return None, None
