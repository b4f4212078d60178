"""Markdown for the templates: the escaping filters, the ``managed`` block call and the final tidy-up.

Data a template prints can never open or close a managed block: every filter here neutralises block
markers (``incident_mcp.blocks.neutralize``) along with whatever else it escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from incident_mcp.blocks import inline, neutralize, wrap
from incident_mcp.errors import TemplateError
from incident_mcp.render.budget import _state

_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]")
_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})")


def _inline_filter(value: Any) -> str:
    """One-line Markdown for a table cell or list item (pipes escaped, line breaks flattened)."""
    text = value if type(value) is str else str(value)
    if "|" in text or "<!--" in text or _LINE_BREAKS.search(text):
        return inline(text)
    return text


def _line_filter(value: Any) -> str:
    """One line of text for a code block: line breaks flattened, markers neutralised, nothing escaped."""
    text = value if type(value) is str else str(value)
    if "<!--" in text or _LINE_BREAKS.search(text):
        return neutralize(re.sub(r"[\r\n\u0085\u2028\u2029]+", " ", text))
    return text


def _neutralize_filter(value: Any) -> str:
    return neutralize(value if isinstance(value, str) else str(value))


def code_span(value: Any) -> str:
    """Markdown inline code for any text: a fence of backticks longer than any run inside it."""
    text = inline(value if isinstance(value, str) else str(value)).replace("\\|", "|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _managed(name: str, caller: Callable[[], str]) -> str:
    """``{% call managed("name") %}…{% endcall %}``: the body as a managed block (trimmed, one trailing newline)."""
    if not isinstance(name, str) or not _BLOCK_NAME.match(name):
        raise TemplateError(f"managed block name {name!r} must be lowercase letters, digits, '-' or '_'")
    state = _state()
    if name in state.block_names:
        raise TemplateError(f"managed block {name!r} is rendered twice")
    state.block_names.append(name)
    return wrap(name, tidy_markdown(neutralize(str(caller())))) + "\n"


def tidy_markdown(text: str) -> str:
    """Trailing spaces removed, runs of blank lines collapsed to one (not inside code fences), one final newline."""
    lines: list[str] = []
    fence: str | None = None
    for raw in text.strip("\n").split("\n"):
        line = raw.rstrip()
        marker = _FENCE_LINE.match(line) if ("```" in line or "~~~" in line) else None
        if marker and (fence is None or marker.group(1).startswith(fence)):
            fence = None if fence is not None else marker.group(1)[:3]
        elif fence is None and not line and lines and not lines[-1]:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"
