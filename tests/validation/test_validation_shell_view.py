"""What Company OS's validate.sh sees (grep and sed over frontmatter lines), as its own concept."""

from __future__ import annotations

from pathlib import Path

from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.validation.shell_view import ShellView, lines_starting_with_id
from incident_mcp.workspace import Workspace


def _view(tmp_path: Path, files: dict[str, str]) -> tuple[ShellView, ArtifactIndex]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    ws = Workspace.at(tmp_path)
    index = ArtifactIndex.build(ws)
    return ShellView(ws, index, {entry.rel: entry for entry in index.entries}), index


def _rfc(art_id: str, extra: str = "") -> str:
    return (f"---\nid: {art_id}\ntitle: T\ntype: rfc\nstatus: draft\nauthor: a\ncreated: 2026-01-01\n{extra}"
            "---\n\nBody.\n")


def test_sed_reads_the_raw_value_with_quotes_dropped(tmp_path: Path) -> None:
    view, index = _view(tmp_path, {"artifacts/rfcs/RFC-1.md": _rfc("RFC-1", "parent: \"PRD-9\"\n")})
    art = index.by_id["RFC-1"][0]
    assert view.raw(art, "parent") == "PRD-9"
    assert view.raw(art, "depends_on") is None


def test_a_block_style_list_is_missed_and_its_item_line_is_found(tmp_path: Path) -> None:
    view, index = _view(tmp_path, {"artifacts/rfcs/RFC-1.md": _rfc("RFC-1", "depends_on:\n  - RFC-404\n")})
    art = index.by_id["RFC-1"][0]
    assert view.why_dangling_missed(art, "depends_on", "RFC-404") == "block-style list"
    assert view.item_line(art, "depends_on", "RFC-404") == 9


def test_a_flow_list_on_its_line_is_seen_so_the_shell_tool_reports_the_dangling_reference(tmp_path: Path) -> None:
    view, index = _view(tmp_path, {"artifacts/rfcs/RFC-1.md": _rfc("RFC-1", "depends_on: [RFC-404]\n")})
    assert view.why_dangling_missed(index.by_id["RFC-1"][0], "depends_on", "RFC-404") is None


def test_grep_finds_an_id_line_in_a_body_and_reads_dots_as_any_character(tmp_path: Path) -> None:
    view, _ = _view(tmp_path, {
        "artifacts/rfcs/RFC-1.md": _rfc("RFC-1"),
        "artifacts/rfcs/RFC-2.md": _rfc("RFC-2").replace("Body.", "id: RFC-404\nid: v1x2"),
    })
    assert view.resolves("RFC-404") == ("artifacts/rfcs/RFC-2.md", "id: RFC-404")
    assert view.resolves("v1.2") == ("artifacts/rfcs/RFC-2.md", "id: v1x2")
    assert view.resolves("RFC-3") is None


def test_id_lines_are_found_at_the_start_and_after_newlines_only() -> None:
    assert list(lines_starting_with_id("id: a\nx id: b\nid: c")) == ["id: a", "id: c"]
    assert list(lines_starting_with_id("no ids\n")) == []
