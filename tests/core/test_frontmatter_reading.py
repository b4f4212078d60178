"""One way to read a document: its UTF-8 text exactly as stored, or our error naming why not (and, for the
config, the runbook and template overrides, which byte)."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.config import load_config
from incident_mcp.errors import ArtifactError, ConfigError, IncidentError, TemplateError
from incident_mcp.frontmatter import reading
from incident_mcp.frontmatter.reading import decode_utf8, read_document, read_utf8
from incident_mcp.frontmatter.split import FrontmatterError
from incident_mcp.render.loader import OVERRIDE_DIR
from incident_mcp.runbook import RUNBOOK_PATH, generate_runbook
from incident_mcp.workspace import Workspace
from tests.support.checkout import stack_workspace


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


def test_decoded_bytes_that_are_not_utf8_name_the_first_bad_byte_in_the_callers_error() -> None:
    assert decode_utf8("café".encode(), IncidentError) == "café"
    with pytest.raises(IncidentError, match=r"^notes\.md is not UTF-8 text \(byte 3\)$"):
        decode_utf8(b"caf\xe9 au lait", lambda reason: IncidentError(f"notes.md is {reason}"))


def test_the_config_the_runbook_and_a_template_override_each_say_which_byte_is_not_utf8(tmp_path: Path) -> None:
    ws = Workspace.at(stack_workspace(tmp_path / "ws", "fly-django"))
    (tmp_path / "ws" / OVERRIDE_DIR).mkdir(parents=True)
    override = tmp_path / "ws" / OVERRIDE_DIR / "incident-runbook.md.j2"
    override.write_bytes(b"caf\xe9")
    where = r"^template 'incident-runbook\.md\.j2' \(workspace override "
    where += r"templates/incident-mcp/incident-runbook\.md\.j2\)"
    with pytest.raises(TemplateError, match=where + r" is not UTF-8 text \(byte 3\)$"):
        generate_runbook(ws, dry_run=True)
    override.unlink()
    runbook = tmp_path / "ws" / RUNBOOK_PATH
    runbook.parent.mkdir(parents=True)
    runbook.write_bytes(b"# Runbook \xff")
    with pytest.raises(ArtifactError, match=r"incident-runbook\.md is not UTF-8 text \(byte 10\); fix or move it"):
        generate_runbook(ws, dry_run=True)
    config = tmp_path / "ws" / "company.config.yaml"
    config.write_bytes(b"company:\n  name: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"company\.config\.yaml: file is not UTF-8 text \(byte 20\)$"):
        load_config(config)
