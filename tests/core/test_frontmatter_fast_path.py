"""The fast path earns its place only if typical frontmatter takes it, and then it must equal YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_mcp.artifacts import dump_frontmatter, parse_artifact
from incident_mcp.frontmatter import parse
from incident_mcp.frontmatter.fast_path import simple_frontmatter
from incident_mcp.frontmatter.split import split_frontmatter
from tests.support.checkout import COMPANY_OS, REPO

TYPICAL = sorted([*(REPO / "incident_mcp" / "example_company" / "artifacts").rglob("*.md"),
                  *(COMPANY_OS / "artifacts").rglob("*.md")])


def _written_by_the_tools() -> str:
    """Frontmatter as ``dump_frontmatter`` writes a new artifact: quoted title, date, flow reference lists."""
    return dump_frontmatter({
        "id": "RFC-042", "type": "rfc", "title": "Billing: retry Stripe webhooks", "status": "draft",
        "created": dt.date(2026, 2, 23), "author": "founder", "parent": "PRD-001",
        "depends_on": ["RFC-001", "RFC-002"], "children": [], "tags": ["billing", "webhooks"],
    }) + "\nBody.\n"


def _yaml_view(front: str) -> tuple[dict[str, Any], dict[str, int]]:
    loader = yaml.SafeLoader(front)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    for key_node, _value in node.value if node is not None else []:
        lines.setdefault(key_node.value, front.count("\n", 0, key_node.start_mark.index) + 2)
    return {str(k): v for k, v in data.items()}, lines


@pytest.fixture
def no_yaml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the YAML path of ``parse_frontmatter`` fail loudly, so only the fast path can succeed."""
    def refuse(front: str) -> None:
        raise AssertionError("the YAML parser was used: the fast path declined")

    monkeypatch.setattr(parse, "SAFE_LOADER", refuse)


def test_the_typical_frontmatter_files_exist() -> None:
    assert len(TYPICAL) >= 8


@pytest.mark.parametrize("path", TYPICAL, ids=lambda p: p.name)
def test_bundled_artifacts_take_the_fast_path_and_read_as_yaml_does(path: Path) -> None:
    front, _body, _line = split_frontmatter(path.read_text(encoding="utf-8"))
    fast = simple_frontmatter(front)
    assert fast is not None
    meta, key_lines, duplicates = fast
    assert (meta, key_lines, duplicates) == (*_yaml_view(front), {})
    assert all(type(meta[key]) is type(value) for key, value in _yaml_view(front)[0].items())


def test_frontmatter_the_tools_write_takes_the_fast_path_and_reads_as_yaml_does() -> None:
    front, _body, _line = split_frontmatter(_written_by_the_tools())
    fast = simple_frontmatter(front)
    assert fast is not None
    assert fast[:2] == _yaml_view(front)
    assert fast[0]["created"] == dt.date(2026, 2, 23) and fast[0]["title"] == "Billing: retry Stripe webhooks"


def test_parsing_typical_artifacts_never_reaches_the_yaml_parser(no_yaml_parser: None) -> None:
    for path in TYPICAL:
        assert parse_artifact(path.read_text(encoding="utf-8"), path.name).meta["id"]
    assert parse_artifact(_written_by_the_tools()).meta["depends_on"] == ["RFC-001", "RFC-002"]


def test_unusual_frontmatter_declines_the_fast_path_and_goes_to_yaml(no_yaml_parser: None) -> None:
    for front in ("id: A # comment", "retries: 3", "on: yes", "meta:\n  nested: x", "title: \"tab\\tescape\""):
        assert simple_frontmatter(front) is None
    with pytest.raises(AssertionError, match="YAML parser was used"):
        parse_artifact("---\nretries: 3\n---\nBody.\n")
