"""The one YAML loader of the project: safe, and bounded against alias bombs."""

from __future__ import annotations

from typing import Any

import yaml

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


def _children(node: yaml.Node) -> list[yaml.Node]:
    """A collection's nodes in document order (a mapping's keys and values alternating); none for a scalar."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _own_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """A node's expanded size from its children's (already computed): one per node plus a scalar's characters."""
    if isinstance(node, yaml.ScalarNode):
        return 1 + len(node.value)
    return 1 + sum(sizes[id(child)] for child in _children(node))


def _expanded_sizes(root: yaml.Node) -> dict[int, int]:
    """Each distinct node's size with every alias written out (by ``id``); YAMLExpansionError for a cycle."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = _own_size(node, sizes)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YAMLExpansionError(problem="an alias refers to a node that contains it (a recursive "
                                     "structure); write the value out", problem_mark=node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    return sizes


def check_expansion(root: yaml.Node, limit: int) -> None:
    """Raise YAMLExpansionError when ``root`` with every alias written out exceeds ``limit``
    (nodes plus characters of scalars), or when an alias refers to a node that contains it.

    Linear in the distinct nodes: each node's expanded size is computed once and reused.
    """
    sizes = _expanded_sizes(root)
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
