"""Text from records shown on a terminal: one line, with control and format characters escaped, not obeyed.

A record's text is data (it may hold escape sequences or bidi overrides); printed raw it could rewrite the
terminal. ``validation.show`` does the same for problem messages with its own format (to merge here).
"""

from __future__ import annotations

import unicodedata

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def one_line(text: str, limit: int = 200) -> str:
    """One terminal-safe line: whitespace collapsed, control and format characters shown as escapes."""
    out = []
    for ch in " ".join(text.split()):
        out.append(ch if unicodedata.category(ch) not in UNSAFE_CATEGORIES else f"\\u{ord(ch):04x}")
    flat = "".join(out)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
