"""Hostile input against artifact parsing, writing and path confinement.

Titles and ids full of newlines, ``---``, quotes, NUL and Unicode line separators must round-trip
exactly and never inject a field; paths and symlinks must never lead outside the workspace.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_mcp.artifacts import (
    FrontmatterError,
    dump_frontmatter,
    iter_artifact_files,
    parse_artifact,
    render_artifact,
    set_frontmatter_line,
)
from incident_mcp.errors import ArtifactError, ArtifactNotFoundError, PathEscapeError
from incident_mcp.promotion import promote
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace

HOSTILE = [
    "line one\nline two",
    "---",
    "x\n---\nid: EVIL-1\nstatus: approved",
    "\"double\" and 'single' quotes",
    "nul\x00byte",
    "line\u2028separator",
    "paragraph\u2029separator",
    "next\x85line",
    "carriage\rreturn",
    "crlf\r\nline",
    "  leading and trailing  ",
    "\ufeffbom",
    "# not a comment",
    "key: value",
    "- item",
    "[flow]",
    "{map: 1}",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "null",
    "~",
    "yes",
    "2026-01-01",
    "0x1F",
    "",
    "\x1b[31mred\x1b[0m",
    "\u202eright-to-left",
    "emoji 😀 and é",
]


def _meta(title: str, artifact_id: str = "RFC-001") -> dict[str, object]:
    return {"id": artifact_id, "type": "rfc", "title": title, "status": "draft", "created": "2026-01-01",
            "author": "me", "parent": None, "children": [], "depends_on": [], "blocks": []}


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "artifacts" / "rfcs").mkdir(parents=True)
    (root / "company.config.yaml").write_text("company:\n  name: Test\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_round_trips_exactly_and_injects_no_field(title: str) -> None:
    meta = _meta(title)
    parsed = parse_artifact(render_artifact(meta, "# Body\n"))
    assert parsed.meta == meta
    assert parsed.body == "# Body\n"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_id_round_trips_exactly(value: str) -> None:
    meta = _meta("t", artifact_id=value)
    assert parse_artifact(render_artifact(meta, "body\n")).meta == meta


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60),
       artifact_id=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20))
def test_any_title_and_id_round_trip_and_keep_exactly_the_written_fields(title: str, artifact_id: str) -> None:
    meta = _meta(title, artifact_id)
    parsed = parse_artifact(render_artifact(meta, "body\n"))
    assert parsed.meta == meta
    assert list(parsed.key_lines) == list(meta)


def test_a_lone_surrogate_is_refused_with_a_clear_error_instead_of_failing_in_the_write() -> None:
    with pytest.raises(ArtifactError, match="surrogate U\\+D800"):
        dump_frontmatter(_meta("bad \ud800 text"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
def test_validating_a_file_with_any_title_never_raises_and_flags_nothing_but_the_title(
        tmp_path_factory: pytest.TempPathFactory, title: str) -> None:
    root = _workspace(tmp_path_factory.mktemp("hyp"))
    (root / "artifacts" / "rfcs" / "RFC-001-x.md").write_text(render_artifact(_meta(title), "# Body\n"),
                                                               encoding="utf-8")
    report = validate_workspace(Workspace.at(root))
    assert report.errors == 0, report.problems
    assert all(p.rule == "frontmatter.empty_field" for p in report.problems)


# --- regressions in artifacts.py found while building validation -------------------------------


def test_a_quoted_title_spanning_lines_is_not_mistaken_for_the_status_line() -> None:
    text = '---\nid: RFC-001\ntitle: "Foo\nstatus: approved"\nstatus: draft\n---\nbody\n'
    artifact = parse_artifact(text)
    assert artifact.line_of("status") == 5
    rewritten = set_frontmatter_line(text, "status", "review")
    assert rewritten == text.replace("status: draft", "status: review")
    assert parse_artifact(rewritten).meta["title"] == "Foo status: approved"


def test_a_raw_line_separator_in_a_title_cannot_smuggle_a_key_past_the_line_rewriter() -> None:
    text = "---\nid: RFC-001\ntitle: harmless\u2028status: approved\n---\nbody\n"
    assert parse_artifact(text).meta["status"] == "approved"  # what YAML itself reads
    with pytest.raises(FrontmatterError, match="does not start its own line"):
        set_frontmatter_line(text, "status", "review")


def test_the_line_rewriter_refuses_repeated_keys_and_values_spanning_lines() -> None:
    with pytest.raises(FrontmatterError, match="more than once"):
        set_frontmatter_line("---\nstatus: draft\nstatus: review\n---\nb\n", "status", "approved")
    with pytest.raises(FrontmatterError, match="spans several lines"):
        set_frontmatter_line("---\nstatus: >\n  draft\n---\nb\n", "status", "approved")
    with pytest.raises(FrontmatterError, match="one line"):
        set_frontmatter_line("---\nstatus: draft\n---\nb\n", "status", "review\nid: EVIL")


def test_the_line_rewriter_keeps_crlf_line_endings_and_everything_else() -> None:
    text = "---\r\nid: A\r\nstatus: draft # was\r\ntitle: t\r\n---\r\nbody\r\n"
    assert set_frontmatter_line(text, "status", "review") == text.replace("draft # was", "review")


def test_repeated_keys_are_recorded_with_their_lines() -> None:
    artifact = parse_artifact("---\nid: A\nstatus: draft\nid: B\n---\nbody\n")
    assert artifact.duplicate_keys == {"id": [4]}
    assert artifact.line_of("id") == 2


def test_a_yaml_error_names_the_file_line_even_after_a_line_separator() -> None:
    with pytest.raises(FrontmatterError) as caught:
        parse_artifact("---\nid: A\ntitle: x\u2028y\nbad: [unclosed\n---\nbody\n")
    assert caught.value.line is not None and caught.value.line >= 4
    assert caught.value.kind == "yaml"


def test_symlink_loops_under_artifacts_neither_hang_nor_multiply_files(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "artifacts" / "rfcs" / "RFC-001-a.md").write_text(render_artifact(_meta("a"), "b\n"), encoding="utf-8")
    (root / "artifacts" / "rfcs" / "up").symlink_to("..")
    (root / "artifacts" / "self").symlink_to(".")
    (root / "artifacts" / "rfcs" / "again").symlink_to(".")
    (root / "artifacts" / "rfcs" / "alias.md").symlink_to("RFC-001-a.md")
    started = time.monotonic()
    files = [p.name for p in iter_artifact_files(Workspace.at(root))]
    assert files == ["RFC-001-a.md"]
    assert time.monotonic() - started < 10  # hang guard: the old walk never finished


# --- confinement ---------------------------------------------------------------------------------


@pytest.fixture
def hostile_ws(tmp_path: Path) -> Path:
    root = _workspace(tmp_path)
    (root / "artifacts" / "rfcs" / "RFC-001-a.md").write_text(render_artifact(_meta("a"), "b\n"), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "SECRET-1.md").write_text(render_artifact(_meta("secret", "SECRET-1"), "top secret\n"),
                                         encoding="utf-8")
    sibling = tmp_path / "ws-evil"
    sibling.mkdir()
    (sibling / "x.md").write_text(render_artifact(_meta("s", "SIB-1"), "b\n"), encoding="utf-8")
    (root / "artifacts" / "linked-out").symlink_to(outside)
    (root / "artifacts" / "rfcs" / "secret.md").symlink_to(outside / "SECRET-1.md")
    (root / "artifacts" / "sib").symlink_to(sibling)
    return root


@pytest.mark.parametrize("path", [
    "../outside/SECRET-1.md", "artifacts/../../outside/SECRET-1.md", "/etc/passwd", "artifacts\\rfcs\\x.md",
    "artifacts/rfcs/\x00.md", "artifacts/linked-out/SECRET-1.md", "artifacts/rfcs/secret.md",
    "artifacts/sib/x.md", "../ws-evil/x.md", "artifacts/rfcs/a\u2028b.md",
])
def test_validation_refuses_paths_that_lead_outside_the_workspace(hostile_ws: Path, path: str) -> None:
    with pytest.raises(PathEscapeError):
        validate_workspace(Workspace.at(hostile_ws), [path])


def test_the_whole_workspace_run_never_reads_through_links_that_lead_out(hostile_ws: Path) -> None:
    report = validate_workspace(Workspace.at(hostile_ws))
    assert report.files_checked == 1
    assert not any("SECRET" in p.message or "SIB" in p.message for p in report.problems)


@pytest.mark.parametrize("target", ["../outside/SECRET-1.md", "artifacts/rfcs/secret.md", "/etc/passwd",
                                    "artifacts/sib/x.md", "SECRET-1"])
def test_promotion_never_writes_outside_the_workspace(hostile_ws: Path, tmp_path: Path, target: str) -> None:
    secret = tmp_path / "outside" / "SECRET-1.md"
    before = secret.read_bytes()
    with pytest.raises((PathEscapeError, ArtifactNotFoundError)):
        promote(Workspace.at(hostile_ws), target, "review")
    assert secret.read_bytes() == before


def test_an_audit_log_folder_linked_out_of_the_workspace_is_refused_and_the_status_kept(
        hostile_ws: Path, tmp_path: Path) -> None:
    (hostile_ws / "artifacts" / ".audit-log").symlink_to(tmp_path / "outside")
    artifact = hostile_ws / "artifacts" / "rfcs" / "RFC-001-a.md"
    before = artifact.read_text(encoding="utf-8")
    with pytest.raises(PathEscapeError):
        promote(Workspace.at(hostile_ws), "RFC-001", "review")
    assert artifact.read_text(encoding="utf-8") == before
    assert not (tmp_path / "outside" / "promotions.log").exists()


def test_an_audit_log_file_that_is_a_symlink_is_not_followed(hostile_ws: Path, tmp_path: Path) -> None:
    log_dir = hostile_ws / "artifacts" / ".audit-log"
    log_dir.mkdir()
    target = hostile_ws / "elsewhere.log"
    target.write_text("", encoding="utf-8")
    (log_dir / "promotions.log").symlink_to(target)
    artifact = hostile_ws / "artifacts" / "rfcs" / "RFC-001-a.md"
    before = artifact.read_text(encoding="utf-8")
    with pytest.raises(ArtifactError, match="symlink"):
        promote(Workspace.at(hostile_ws), "RFC-001", "review")
    assert artifact.read_text(encoding="utf-8") == before
    assert target.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("artifact_id", ["RFC-001\nid: X", "RFC---", "A\u2028B", "A\x00B", "../RFC-001"])
def test_hostile_ids_on_disk_give_clear_problems_not_crashes(tmp_path: Path, artifact_id: str) -> None:
    root = _workspace(tmp_path)
    (root / "artifacts" / "rfcs" / "RFC-001-a.md").write_text(
        render_artifact(_meta("a", artifact_id), "b\n"), encoding="utf-8")
    report = validate_workspace(Workspace.at(root))
    assert report.problems, "a hostile id must be reported"
    assert all("\n" not in p.message and "\x00" not in p.message and "\u2028" not in p.message
               for p in report.problems)


# --- the fast path for simple frontmatter agrees with YAML ----------------------------------------

_KEYS = ["id", "title", "status", "tags", "depends_on", "a-b", "_x", "yes", "null", "on", "True", "x1", "Key"]
_WORDS = st.one_of(
    st.sampled_from(["draft", "RFC-001", "null", "Null", "~", "yes", "no", "on", "y", "1", "1.5", "1_000", "0x1F",
                     "2026-02-23", "2026-02-30", "2026-2-3", "2026-02-23T10:00:00Z", "a b", "a  b", "-x", ".5",
                     "=", "<<", "a:b", "a: b", "a #b", "a#b", "", " ", "é", "a\u00a0b", "x\u2028y", "(a)", "a/b"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
)


_QUOTED = {"plain": "{}", "double": '"{}"', "single": "'{}'"}  # a scalar written bare or in quotes
_OTHER_LINES = ["# comment", "", "  - RFC-001", "- x", "  continued", "key: value # c", "title: 'it''s'",
                'title: "a\\"b"', "\tid: x", "id: x\r", "id: [a, [b]]", "id: {a: b}", "id: &a x", "id: *a",
                "id: !!str 1", "id: |", "id: >-", "? id"]


@st.composite
def _front_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "double", "single", "flow", "empty", "block", "other"]))
    key = draw(st.sampled_from(_KEYS))
    sep = draw(st.sampled_from([": ", ":", ":  ", " : "]))
    word = draw(_WORDS)
    if kind in _QUOTED:
        return f"{key}{sep}{_QUOTED[kind].format(word)}"
    if kind == "other":
        return draw(st.sampled_from(_OTHER_LINES))
    return _collection_line(draw, kind, key, sep)


def _collection_line(draw: st.DrawFn, kind: str, key: str, sep: str) -> str:
    """A ``key:`` line whose value is a flow list, a block list or nothing."""
    if kind == "flow":
        items = draw(st.lists(_WORDS, max_size=3))
        return f"{key}{sep}[{draw(st.sampled_from([', ', ',', ' , '])).join(items)}]"
    if kind == "block":
        entries = draw(st.lists(st.tuples(st.sampled_from(["", " ", "  ", "    "]), st.sampled_from(["- ", "-  ", "-"]),
                                          _WORDS), min_size=1, max_size=3))
        return f"{key}:" + "".join(f"\n{indent}{dash}{word}" for indent, dash, word in entries)
    return f"{key}:{draw(st.sampled_from(['', ' ', '  ']))}"


@settings(max_examples=800, deadline=None)
@given(line=_front_line())
def test_the_fast_path_reads_each_simple_field_exactly_as_yaml_does(line: str) -> None:
    _assert_fast_path_agrees_with_yaml([line])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_front_line(), min_size=2, max_size=4))
def test_the_fast_path_agrees_with_yaml_on_whole_frontmatter_blocks(lines: list[str]) -> None:
    _assert_fast_path_agrees_with_yaml(lines)


def _assert_fast_path_agrees_with_yaml(lines: list[str]) -> None:
    import yaml

    from incident_mcp.frontmatter.fast_path import simple_frontmatter

    front = "\n".join(lines)
    fast = simple_frontmatter(front)
    if fast is None:
        return  # falls back to YAML itself
    loader = yaml.SafeLoader(front)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    meta, key_lines, duplicates = fast
    assert meta == ({} if data is None else {str(k): v for k, v in data.items()})
    assert all(type(meta[k]) is type(v) for k, v in (data or {}).items())
    expected_lines: dict[str, int] = {}
    for key_node, _value in node.value if node is not None else []:
        expected_lines.setdefault(key_node.value, front.count("\n", 0, key_node.start_mark.index) + 2)
    assert key_lines == expected_lines
    assert sum(len(v) for v in duplicates.values()) == len(node.value if node is not None else []) - len(key_lines)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_front_line(), max_size=5),
       body=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30),
       closed=st.booleans())
def test_validation_never_raises_whatever_the_frontmatter_holds(
        tmp_path_factory: pytest.TempPathFactory, lines: list[str], body: str, closed: bool) -> None:
    root = _workspace(tmp_path_factory.mktemp("any"))
    text = "---\n" + "\n".join(lines) + ("\n---\n" if closed else "\n") + body
    (root / "artifacts" / "rfcs" / "RFC-001-x.md").write_text(text, encoding="utf-8")
    (root / "artifacts" / "rfcs" / "RFC-002-y.md").write_text(
        render_artifact({**_meta("ok", "RFC-002"), "depends_on": ["RFC-001"]}, "b\n"), encoding="utf-8")
    report = validate_workspace(Workspace.at(root), strict=True)
    assert report.files_checked == 2
    assert all("\n" not in p.message and "\r" not in p.message for p in report.problems)
