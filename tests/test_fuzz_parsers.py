"""Property-based fuzzing of our parsers: a result or our documented error, never anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_mcp.artifacts import FrontmatterError, parse_artifact
from incident_mcp.config import parse_config
from incident_mcp.errors import ConfigError

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
