"""One way to read a document: its UTF-8 text exactly as stored, or our error naming why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.errors import IncidentError
from incident_mcp.frontmatter import reading
from incident_mcp.frontmatter.reading import read_document, read_utf8
from incident_mcp.frontmatter.split import FrontmatterError


def test_text_is_read_with_its_crlf_line_endings_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"---\r\nid: A\r\n---\r\n")
    assert read_document(path) == "---\r\nid: A\r\n---\r\n"
    assert read_utf8(path, IncidentError) == "---\r\nid: A\r\n---\r\n"


def test_bytes_that_are_not_utf8_become_the_callers_error(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"---\nid: \xff\n---\n")
    with pytest.raises(IncidentError, match=r"^a\.md: file is not UTF-8 text$"):
        read_utf8(path, lambda message: IncidentError(f"a.md: {message}"))
    error = read_document(path)
    assert isinstance(error, FrontmatterError) and error.kind == "encoding"


def test_a_missing_or_too_large_file_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = read_document(tmp_path / "gone.md")
    assert isinstance(missing, FrontmatterError) and missing.kind == "unreadable"
    path = tmp_path / "big.md"
    path.write_text("x" * 11, encoding="utf-8")
    monkeypatch.setattr(reading, "MAX_ARTIFACT_BYTES", 10)
    big = read_document(path)
    assert isinstance(big, FrontmatterError) and "11 bytes" in str(big) and big.kind == "unreadable"
