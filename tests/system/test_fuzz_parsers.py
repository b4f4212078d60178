"""Property-based fuzzing of our parsers: a result or our documented error, never anything else."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_mcp import incidents
from incident_mcp.artifacts import FrontmatterError, parse_artifact, render_artifact
from incident_mcp.config import load_config, parse_config
from incident_mcp.errors import ConfigError
from incident_mcp.incidents.record import MAX_EVENT_BYTES
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace

_YAMLISH = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(["---", "id: X", "title: 'a", "status: [", "- a", ":", "&a", "*a", "!!python/object:x",
                              "tags: [a, b]", "  - b", "{", "}", "'", '"', "\t", "\u2028", "\x85", "%YAML 1.1",
                              "company:", "  name: x", "incident_response:", "  services:", "    - name: a",
                              "      url: http://x", "      expect: {status: [99]}", "tech_stack: 3"]),
             max_size=30).map("\n".join),
)


@settings(max_examples=400, deadline=None)
@given(_YAMLISH)
def test_the_frontmatter_parser_returns_an_artifact_or_a_frontmatter_error(text: str) -> None:
    try:
        artifact = parse_artifact(text)
    except FrontmatterError:
        return
    assert isinstance(artifact.meta, dict)


@settings(max_examples=400, deadline=None)
@given(_YAMLISH)
def test_the_config_parser_returns_a_config_or_a_config_error(text: str) -> None:
    try:
        loaded = parse_config(text, Path("company.config.yaml"))
    except ConfigError as err:
        assert str(err).startswith("company.config.yaml")
        return
    assert loaded.config is not None


# ---- issue 7: round-trips of any data up to 100 KB, the validator and the config loader on fuzzed files ----------

_CHARS = st.characters(exclude_categories=["Cs"])  # every code point but lone surrogates (refused on write)


def _sized(unit: str, length: int) -> str:
    """``unit`` repeated and cut to ``length`` characters (large values without generating them char by char)."""
    return (unit * (length // max(len(unit), 1) + 1))[:length] if unit else ""


_BIG_TEXT = st.builds(_sized, st.text(_CHARS, min_size=1, max_size=200), st.integers(0, 100_000))
_SCALAR = st.one_of(st.text(_CHARS, max_size=40), _BIG_TEXT, st.integers(), st.booleans(), st.none())
_DATA = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(_CHARS, max_size=12), inner, max_size=4)),
                     max_leaves=10)


_META = st.dictionaries(st.text(_CHARS, min_size=1, max_size=16), _DATA, max_size=6)
_BODY = st.one_of(_BIG_TEXT, st.text(_CHARS))
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def check_round_trip(meta: dict[str, Any], body: str) -> None:
    """Frontmatter data and body come back exactly as written."""
    artifact = parse_artifact(render_artifact(meta, body))
    assert artifact.meta == meta
    assert artifact.body == body


@settings(max_examples=200, deadline=None, suppress_health_check=_SLOW)
@given(_META, _BODY)
def test_any_frontmatter_data_and_body_up_to_100_kb_round_trip_exactly(meta: dict[str, Any], body: str) -> None:
    check_round_trip(meta, body)


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(title=_BIG_TEXT.filter(str.strip), note=_BIG_TEXT.filter(str.strip), summary=_BIG_TEXT)
def test_an_incident_record_round_trips_any_unicode_text_up_to_100_kb(title: str, note: str, summary: str) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzz-record-"))
    try:
        ws = Workspace.at(root)
        opened = incidents.open_incident(ws, title=title, severity="P1", summary=summary)
        # one event holds at most MAX_EVENT_BYTES of UTF-8 (100 K characters of 4-byte ones do not fit)
        note = note.encode("utf-8")[:MAX_EVENT_BYTES].decode("utf-8", errors="ignore")
        incidents.update_incident(ws, opened.id, event="note", text=note)
        record = incidents.read_incident(ws, opened.id).record
        assert (record.title, record.summary) == (title, summary)
        assert [e.text for e in record.timeline if e.kind == "note"] == [note]
    finally:
        shutil.rmtree(root, ignore_errors=True)


_VALUES = st.one_of(st.sampled_from(["", "null", "[]", "[a, b", "RFC-001", "INC-001", "draft", "approved", "rfc",
                                     "decision-memo", "P0", "P9", "resolved", "2026-03-01T02:00:00Z", "yesterday",
                                     "{x: 1}", "'unterminated", "&a", "*a", "!!python/object:os.system", "- x",
                                     "\u2028", "\x85", "\t"]),
                    st.text(_CHARS, max_size=30))
_KEYS = ["id", "type", "title", "status", "created", "author", "parent", "children", "depends_on", "blocks", "tags",
         "severity", "incident_state", "services", "detected_at", "resolved_at", "timeline", "postmortem", "kind",
         "at", "  - at", "    kind", "  -", "---"]
_FRONTMATTER = st.builds(
    lambda lines, body: "---\n" + "\n".join(lines) + "\n---\n" + body,
    st.lists(st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(_KEYS), _VALUES), max_size=16),
    st.one_of(st.text(_CHARS, max_size=200), st.sampled_from(["", "\n", "<!-- incident-mcp:begin header -->\n",
                                                             "<!-- incident-mcp:end timeline -->"])))
_FILE = st.one_of(_FRONTMATTER, _YAMLISH.map(lambda t: t), st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
_FILE_BYTES = st.one_of(_FILE.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300))
_NAMES = ["artifacts/decision-memos/INC-001-x.md", "artifacts/decision-memos/INC-002.md",
          "artifacts/decision-memos/DM-001-y.md", "artifacts/rfcs/RFC-001-z.md", "artifacts/prds/PRD-001.md",
          "standards/ops/incident-runbook.md", "standards/ops/post-mortem-template.md", "artifacts/x/deep/y.md"]


_WORKSPACE_FILES = st.dictionaries(st.sampled_from(_NAMES), _FILE_BYTES, min_size=1, max_size=5)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=_SLOW)
@given(_WORKSPACE_FILES, st.booleans())
def test_the_validator_returns_a_report_for_any_workspace_of_fuzzed_files(files: dict[str, bytes],
                                                                         strict: bool) -> None:
    check_validator(files, strict)


def check_validator(files: dict[str, bytes], strict: bool) -> None:
    """validate_workspace returns a report (whole workspace and each file) and never raises."""
    root = Path(tempfile.mkdtemp(prefix="fuzz-validate-"))
    try:
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        ws = Workspace.at(root)
        report = validate_workspace(ws, strict=strict)
        assert report.files_checked >= sum(1 for rel in files if rel.startswith("artifacts/"))
        for rel in files:
            single = validate_workspace(ws, [rel], strict=strict)
            assert all(p.message for p in single.problems)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=200, deadline=None, database=None)
@given(_FILE_BYTES)
def test_the_config_loader_returns_a_config_or_a_config_error_naming_the_file_for_any_bytes(data: bytes) -> None:
    check_config_loader(data)


def check_config_loader(data: bytes) -> None:
    """load_config returns a config or raises ConfigError naming the file."""
    root = Path(tempfile.mkdtemp(prefix="fuzz-config-"))
    try:
        path = root / "company.config.yaml"
        path.write_bytes(data)
        try:
            loaded = load_config(path)
        except ConfigError as err:
            assert str(err).startswith(str(path))
            return
        assert loaded.config is not None
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---- heavy fuzz runs (not in CI: python -m pytest -m stress tests/system/test_fuzz_parsers.py) ---------------------


@pytest.mark.stress
@settings(max_examples=5000, deadline=None, database=None, suppress_health_check=_SLOW)
@given(_META, _BODY)
def test_stress_frontmatter_round_trip(meta: dict[str, Any], body: str) -> None:
    check_round_trip(meta, body)


@pytest.mark.stress
@settings(max_examples=3000, deadline=None, database=None, suppress_health_check=_SLOW)
@given(_WORKSPACE_FILES, st.booleans())
def test_stress_validator_on_fuzzed_workspaces(files: dict[str, bytes], strict: bool) -> None:
    check_validator(files, strict)


@pytest.mark.stress
@settings(max_examples=5000, deadline=None, database=None)
@given(_FILE_BYTES)
def test_stress_config_loader_on_fuzzed_bytes(data: bytes) -> None:
    check_config_loader(data)


@pytest.mark.stress
@settings(max_examples=5000, deadline=None, database=None)
@given(_YAMLISH)
def test_stress_frontmatter_parser_on_fuzzed_text(text: str) -> None:
    with contextlib.suppress(FrontmatterError):
        assert isinstance(parse_artifact(text).meta, dict)
