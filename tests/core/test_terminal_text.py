"""one_line: record text on a terminal is shown, never obeyed."""

from __future__ import annotations

from incident_mcp.terminal_text import one_line


def test_escape_sequences_and_bidi_overrides_are_shown_escaped() -> None:
    assert one_line("ok\x1b[2J\u202egone") == "ok\\u001b[2J\\u202egone"


def test_line_breaks_and_runs_of_spaces_become_one_space() -> None:
    assert one_line("a\n\n  b\tc") == "a b c"


def test_long_text_is_cut_with_an_ellipsis_at_the_limit() -> None:
    assert one_line("x" * 10, limit=5) == "xxxx…"
