"""``incident-mcp incident postmortem --file``: a document that is not UTF-8, or too large, is refused in one
line, from a file or from stdin, and nothing is written; a UTF-8 document (CRLF endings, non-ASCII) is read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from incident_mcp.cli.incident_cmds import MAX_INPUT_BYTES
from tests.support.checkout import COMPANY_OS, cli_env

DEADLINE_S = 120  # hang protection only: a loaded CI machine can take many seconds per interpreter start
LATIN1_DOCUMENT = "whys:\n  - \"Why did the caf\u00e9 page fail? Because the cache expired\"\n".encode("latin-1")


def _cli(root: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "incident_mcp", *args, "--workspace", str(root)],
                          capture_output=True, env=cli_env(), cwd=root, input=stdin, timeout=DEADLINE_S, check=False)


@pytest.fixture
def incident(tmp_path: Path) -> tuple[Path, str]:
    """A Company OS workspace with one open incident; returns the root and the incident id."""
    shutil.copytree(COMPANY_OS / "artifacts", tmp_path / "artifacts")
    opened = _cli(tmp_path, "incident", "open", "--title", "Checkout fails", "--severity", "P2", "--json")
    assert opened.returncode == 0, opened.stderr
    return tmp_path, str(json.loads(opened.stdout)["id"])


def _record_text(root: Path, incident_id: str) -> str:
    (path,) = root.glob(f"artifacts/**/{incident_id}*.md")
    return path.read_text(encoding="utf-8")


def test_a_latin1_postmortem_file_is_refused_in_one_line_and_nothing_is_written(incident: tuple[Path, str]) -> None:
    root, incident_id = incident
    before = _record_text(root, incident_id)
    document = root / "pm.yaml"
    document.write_bytes(LATIN1_DOCUMENT)
    result = _cli(root, "incident", "postmortem", incident_id, "--file", str(document))
    assert result.returncode == 2
    assert result.stderr.decode() == f"incident-mcp: error: {document}: file is not UTF-8 text\n"
    assert _record_text(root, incident_id) == before


def test_a_latin1_postmortem_on_stdin_is_refused_in_one_line_and_nothing_is_written(
        incident: tuple[Path, str]) -> None:
    root, incident_id = incident
    before = _record_text(root, incident_id)
    result = _cli(root, "incident", "postmortem", incident_id, "--file", "-", stdin=LATIN1_DOCUMENT)
    assert result.returncode == 2
    assert result.stderr.decode() == "incident-mcp: error: stdin is not UTF-8 text\n"
    assert _record_text(root, incident_id) == before


@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_a_utf8_postmortem_with_crlf_endings_is_recorded(incident: tuple[Path, str], from_stdin: bool) -> None:
    root, incident_id = incident
    document = LATIN1_DOCUMENT.decode("latin-1").replace("\n", "\r\n").encode("utf-8")
    (root / "pm.yaml").write_bytes(document)
    source = "-" if from_stdin else str(root / "pm.yaml")
    result = _cli(root, "incident", "postmortem", incident_id, "--file", source, stdin=document if from_stdin else None)
    assert result.returncode == 0, result.stderr.decode()
    assert "Why did the caf\u00e9 page fail? Because the cache expired" in _record_text(root, incident_id)


def test_a_postmortem_on_stdin_larger_than_a_file_may_be_is_refused_not_cut_short(
        incident: tuple[Path, str]) -> None:
    root, incident_id = incident
    before = _record_text(root, incident_id)
    document = b"whys:\n  - " + b"x" * MAX_INPUT_BYTES + b"\n"
    result = _cli(root, "incident", "postmortem", incident_id, "--file", "-", stdin=document)
    assert result.returncode == 2
    assert result.stderr.decode() == f"incident-mcp: error: stdin: larger than {MAX_INPUT_BYTES:,} bytes\n"
    assert _record_text(root, incident_id) == before
