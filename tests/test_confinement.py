"""No hostile name, id or link makes the core read or write outside the workspace."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_mcp.errors import PathEscapeError
from incident_mcp.workspace import Workspace, atomic_write

_PREFIXES = ["..", "../", "../../", "/", "//", "\\", "..\\", "C:", "c:\\", "\\\\server\\share\\", "./../",
             "artifacts/../../", "artifacts/./../", "~/", "%2e%2e/", "．．/", "\u2024\u2024/", "..\u2215",
             "\u202e../", "\u200f..", "..\u200b/", "\x00", "a\x00/../", "\ufeff../", "\u2028../", "\x85../"]
_TARGETS = ["outside.md", "etc/passwd", "company.config.yaml", "artifacts/x.md", "", "..", "INC-001-x.md"]


def hostile_corpus() -> list[str]:
    """At least 200 hostile relative paths built from traversal, absolute, Unicode and control forms."""
    corpus = {p + t for p, t in itertools.product(_PREFIXES, _TARGETS)}
    corpus |= {"artifacts/" + p + t for p, t in itertools.product(_PREFIXES[:8], _TARGETS)}
    return sorted(corpus)


def _snapshot(folder: Path) -> dict[str, str]:
    """Content hashes of every file under ``folder`` (links not followed)."""
    out: dict[str, str] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def fenced(tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace with an 'outside' neighbour holding a secret, plus links that point out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    root = tmp_path / "ws"
    (root / "artifacts" / "decision-memos").mkdir(parents=True)
    (root / "company.config.yaml").write_text("company:\n  name: X\n")
    (root / "artifacts" / "out-link").symlink_to(outside)
    (root / "artifacts" / "file-link.md").symlink_to(outside / "secret.md")
    (root / "artifacts" / "dangling.md").symlink_to(tmp_path / "nowhere" / "x.md")
    (tmp_path / "ws-evil").mkdir()
    (root / "artifacts" / "sibling").symlink_to(tmp_path / "ws-evil")
    return Workspace.at(root), tmp_path


def _try_write(ws: Workspace, rel: str) -> None:
    try:
        path = ws.path(rel)
    except PathEscapeError:
        return
    assert ws.contains(path), rel
    if path.exists() and path.is_dir():
        return
    with contextlib.suppress(OSError):  # a name the file system refuses is fine: nothing was written
        atomic_write(path, "probe")


def test_the_hostile_corpus_has_at_least_two_hundred_entries() -> None:
    assert len(hostile_corpus()) >= 200


def test_no_hostile_path_reads_or_writes_outside_the_workspace(fenced: tuple[Workspace, Path]) -> None:
    ws, top = fenced
    before = {k: v for k, v in _snapshot(top).items() if not k.startswith(str(ws.root) + os.sep)}
    links = ["artifacts/out-link/secret.md", "artifacts/file-link.md", "artifacts/dangling.md",
             "artifacts/sibling/x.md", "artifacts/out-link/new.md"]
    for rel in [*hostile_corpus(), *links]:
        _try_write(ws, rel)
    after = {k: v for k, v in _snapshot(top).items() if not k.startswith(str(ws.root) + os.sep)}
    assert after == before
    assert not (top / "nowhere").exists()


@pytest.mark.parametrize("rel", ["artifacts/out-link/secret.md", "artifacts/file-link.md",
                                 "artifacts/dangling.md", "artifacts/sibling/x.md"])
def test_links_that_lead_out_are_refused_by_name(fenced: tuple[Workspace, Path], rel: str) -> None:
    ws, _ = fenced
    with pytest.raises(PathEscapeError):
        ws.path(rel)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80))
def test_any_text_either_is_refused_or_resolves_inside_the_workspace(
        fenced: tuple[Workspace, Path], rel: str) -> None:
    ws, _ = fenced
    try:
        path = ws.path(rel)
    except PathEscapeError:
        return
    assert ws.contains(path)
