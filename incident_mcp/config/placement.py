"""Where a config error is: the dotted field and the YAML line of a pydantic error.

A check across fields (a duplicate service name, a maintenance window naming an unknown service) knows better
than pydantic which field is wrong: its message starts with ``__at__<place>: `` where ``<place>`` is the dotted
field inside ``incident_response`` (``services.2.name``). ``placed`` writes that prefix, ``config_error`` reads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from incident_mcp.errors import ConfigError

_PLACED = re.compile(r"__at__([^:]+): (.*)", re.DOTALL)
Location = list[int | str]


def placed(where: str, message: str) -> str:
    """A validator message naming its own field ``where`` (dotted, inside ``incident_response``)."""
    return f"__at__{where}: {message}"


def config_error(err: ValidationError, root: yaml.Node | None, path: Path) -> ConfigError:
    """The first validation error as a ConfigError naming file, line and field."""
    first = err.errors()[0]
    loc: Location = list(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    own_place = _PLACED.match(message)
    if own_place:
        loc = ["incident_response", *(int(p) if p.isdigit() else p for p in own_place.group(1).split("."))]
        message = own_place.group(2)
    elif first["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r} (see README: incident_response)"
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    return ConfigError(message, file=path, line=_node_line(root, loc), field=field)


def _node_line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location, as deep as it can be found."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line
