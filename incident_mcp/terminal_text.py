"""Text from records shown on a terminal or in a one-line message, with control and format characters escaped,
not obeyed.

A record's text is data (it may hold escape sequences or bidi overrides); printed raw it could rewrite the
terminal. ``one_line`` is the incident CLI's form (whitespace collapsed); ``show`` is the form values take in
validation and promotion messages (``\\x1b``-style escapes, line breaks escaped too, cut short).
"""

from __future__ import annotations

import unicodedata
from typing import Any

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
ZERO_WIDTH_JOINER = "\u200d"  # a format character, but it only joins emoji: harmless, so show keeps it


def is_unsafe(ch: str) -> bool:
    """Whether ``ch`` is a control, format, line/paragraph separator or surrogate character."""
    return unicodedata.category(ch) in UNSAFE_CATEGORIES


def one_line(text: str, limit: int = 200) -> str:
    """One terminal-safe line: whitespace collapsed, control and format characters shown as escapes."""
    out = []
    for ch in " ".join(text.split()):
        out.append(ch if not is_unsafe(ch) else f"\\u{ord(ch):04x}")
    flat = "".join(out)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def show(value: Any, limit: int = 80) -> str:
    """A value as one short line of text: control and line-break characters escaped, long text cut."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    out: list[str] = []
    for ch in text[: limit + 1]:
        if is_unsafe(ch) and ch != ZERO_WIDTH_JOINER:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return shown[:limit] + "…" if len(text) > limit else shown
