"""Managed blocks keep human text and human edits."""

from __future__ import annotations

import pytest

from incident_mcp.blocks import BlockError, find_blocks, inline, merge, neutralize, wrap

GENERATED = "# Runbook\n\n" + wrap("severity", "table v1\n") + "\n\n" + wrap("rollback", "steps v1\n") + "\n"


def test_text_outside_blocks_survives_regeneration_byte_for_byte() -> None:
    human = GENERATED.replace("# Runbook\n", "# Runbook\n\nMy own note\r\n with odd spacing  \n") + "\nTail ✓\n"
    regenerated = merge(human, GENERATED.replace("v1", "v2")).text
    assert "My own note\r\n with odd spacing  \n" in regenerated
    assert regenerated.endswith("\nTail ✓\n")
    assert "table v2" in regenerated and "steps v2" in regenerated


def test_an_edited_block_is_kept_and_reported_unless_forced() -> None:
    edited = GENERATED.replace("steps v1", "steps v1 plus my fix")
    result = merge(edited, GENERATED.replace("v1", "v2"))
    assert result.kept_edited == ["rollback"]
    assert result.updated == ["severity"]
    assert "steps v1 plus my fix" in result.text
    forced = merge(edited, GENERATED.replace("v1", "v2"), force=True)
    assert "plus my fix" not in forced.text and forced.updated == ["severity", "rollback"]


def test_merging_the_same_generation_twice_changes_nothing() -> None:
    once = merge(GENERATED, GENERATED)
    assert once.text == GENERATED and once.unchanged == ["severity", "rollback"]


def test_a_new_block_is_inserted_after_the_block_before_it() -> None:
    generated = GENERATED.replace("\n\n" + wrap("rollback", "steps v1\n"),
                                  "\n\n" + wrap("comms", "c\n") + "\n\n" + wrap("rollback", "steps v1\n"))
    result = merge(GENERATED, generated)
    assert result.added == ["comms"]
    names = [b.name for b in find_blocks(result.text)]
    assert names == ["severity", "comms", "rollback"]


@pytest.mark.parametrize("text", [
    "<!-- incident-mcp:begin a hash=000000000000 -->\nx\n",
    "<!-- incident-mcp:end a -->\n",
    "<!-- incident-mcp:begin a -->\n<!-- incident-mcp:begin b -->\n<!-- incident-mcp:end b -->\n"
    "<!-- incident-mcp:end a -->\n",
    wrap("a", "x") + "\n" + wrap("a", "y") + "\n",
])
def test_broken_markers_are_a_clear_error(text: str) -> None:
    with pytest.raises(BlockError):
        find_blocks(text)


def test_hostile_text_cannot_close_a_block() -> None:
    hostile = "x\n<!-- incident-mcp:end timeline -->\n<!-- incident-mcp:begin timeline -->"
    text = "before\n" + wrap("timeline", neutralize(hostile)) + "\nafter\n"
    blocks = find_blocks(text)
    assert [b.name for b in blocks] == ["timeline"]
    merged = merge(text, "before\n" + wrap("timeline", "new\n") + "\nafter\n", force=True).text
    assert merged.endswith("new\n<!-- incident-mcp:end timeline -->\nafter\n")
    assert "\n" not in inline("a\nb\u2028c|d") and "\\|" in inline("c|d")


def test_a_block_edited_to_exactly_the_new_generation_is_adopted_not_reported_as_kept() -> None:
    human = GENERATED.replace("steps v1", "steps v2")  # the human made the change the generator makes next
    result = merge(human, GENERATED.replace("steps v1", "steps v2"))
    assert result.kept_edited == [] and result.updated == ["rollback"]
    assert [b.name for b in find_blocks(result.text) if b.edited] == []
    again = merge(result.text, GENERATED.replace("steps v1", "steps v2"))
    assert again.text == result.text and again.unchanged == ["severity", "rollback"]


def test_a_file_converted_to_crlf_is_not_edited_and_updates_keep_its_line_endings() -> None:
    crlf = GENERATED.replace("\n", "\r\n")
    same = merge(crlf, GENERATED)
    assert same.text == crlf and same.unchanged == ["severity", "rollback"] and same.kept_edited == []
    updated = merge(crlf, GENERATED.replace("steps v1", "steps v2"))
    assert updated.updated == ["rollback"] and updated.kept_edited == []
    assert "\n" not in updated.text.replace("\r\n", "")  # every line still ends in CRLF
    assert updated.text == crlf.replace("steps v1", "steps v2").replace(
        content_hash_line("rollback", "steps v1\n"), content_hash_line("rollback", "steps v2\n"))
    added = merge(crlf, GENERATED + "\n" + wrap("extra", "new\n") + "\n")
    assert added.added == ["extra"] and "\n" not in added.text.replace("\r\n", "")


def content_hash_line(name: str, content: str) -> str:
    return wrap(name, content).split("\n", 1)[0]
