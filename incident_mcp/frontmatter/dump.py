"""Writing YAML that loads back to exactly the same value: strings that could be misread are quoted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from incident_mcp.errors import ArtifactError

# Strings containing any of these are written double-quoted, where YAML escapes them.
NEEDS_QUOTES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


class _Dumper(yaml.SafeDumper):
    """Safe dumper whose output round-trips through ``yaml.safe_load`` for any string."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if NEEDS_QUOTES.search(value) or value != value.strip() or value.startswith("---"):
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
