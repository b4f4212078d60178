"""Alias bombs and recursive aliases in every YAML the product reads are refused with the file and line.

A ~500-byte alias tree (9 levels of 9 aliases) expands to 10^9 items wherever a value is walked or turned
into text; the one shared loader (``artifacts.SAFE_LOADER``) measures what the composed node graph would
expand to before anything is constructed, so each reader below refuses it at once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_mcp import catalog as catalog_module
from incident_mcp import incidents
from incident_mcp.artifacts import SAFE_LOADER, YAMLExpansionError, parse_artifact
from incident_mcp.catalog import load_catalog_from
from incident_mcp.config import load_config
from incident_mcp.errors import CatalogError, ConfigError, IncidentError
from incident_mcp.server.app import build_server
from incident_mcp.workspace import Workspace
from tests.support.checkout import EXAMPLE_COMPANY
from tests.support.mcp_client import call_tool, first_text, result_text


def alias_tree(levels: int = 9, width: int = 9, indent: str = "") -> str:
    """``a1: &a1 [x, …]``, ``a2: &a2 [*a1, …]``, … : the last anchor expands to width**levels items."""
    lines = [f"{indent}a1: &a1 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"{indent}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(2, levels + 1)]
    return "\n".join(lines) + "\n"


BOMB_RFC = ("---\nid: RFC-009\ntype: rfc\ntitle: Bomb\nstatus: draft\ncreated: 2026-03-01\nauthor: x\n"
            + alias_tree() + "depends_on: *a9\n---\n\n# RFC\n")


@pytest.fixture
def ws(example_ws: Path) -> Path:
    return example_ws


def merge_chain(depth: int = 40) -> str:
    """Each mapping merges the previous one twice: merge keys that double at every level."""
    lines = ["m0: &m0 {k: v}"]
    lines += [f"m{i}: &m{i}\n  <<: [*m{i - 1}, *m{i - 1}]\n  k{i}: v" for i in range(1, depth)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text", [alias_tree() + "x: *a9\n", alias_tree(levels=30, width=2) + "x: *a30\n",
                                  "a: &a {b: &b [*a, *b]}\n", "- &x [*x]\n", merge_chain()])
def test_the_shared_loader_refuses_alias_bombs_and_recursive_aliases_with_a_line(text: str) -> None:
    with pytest.raises(YAMLExpansionError) as caught:
        yaml.load(text, Loader=SAFE_LOADER)
    assert caught.value.problem_mark is not None


def test_ordinary_anchors_and_merge_keys_still_load() -> None:
    data = yaml.load("defaults: &d {timeout: 5}\napi:\n  <<: *d\n  url: x\nids: &i [a, b]\nagain: *i\n",
                     Loader=SAFE_LOADER)
    assert data["api"] == {"timeout": 5, "url": "x"} and data["again"] == ["a", "b"]


def test_an_artifact_bomb_is_a_frontmatter_error_naming_the_line() -> None:
    with pytest.raises(Exception, match=r"line \d+: frontmatter refused: anchors and aliases expand"):
        parse_artifact(BOMB_RFC, "artifacts/rfcs/RFC-009-bomb.md")


def test_validate_refuses_a_bombed_rfc_in_one_line_naming_file_and_line(ws: Path, run_cli: Callable[..., Any]) -> None:
    (ws / "artifacts" / "rfcs" / "RFC-009-bomb.md").write_text(BOMB_RFC, encoding="utf-8")
    result = run_cli("validate", "--workspace", str(ws), timeout=30)
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert "RFC-009-bomb.md" in result.stdout and "aliases expand" in result.stdout
    one = run_cli("validate", "--workspace", str(ws), "artifacts/rfcs/RFC-009-bomb.md", cwd=ws, timeout=30)
    assert one.returncode == 1 and "aliases expand" in one.stdout


def test_load_context_in_read_only_mode_answers_despite_a_bombed_rfc(ws: Path) -> None:
    (ws / "artifacts" / "rfcs" / "RFC-009-bomb.md").write_text(BOMB_RFC, encoding="utf-8")
    result = call_tool(build_server(str(ws), read_only=True), "load_context")
    text = result_text(result)
    assert not result.is_error, text
    assert "RFC-001" in text and "RFC-009" not in text.replace("RFC-009-bomb.md", "")


def test_validate_artifacts_over_mcp_reports_the_bomb_as_a_problem(ws: Path) -> None:
    (ws / "artifacts" / "rfcs" / "RFC-009-bomb.md").write_text(BOMB_RFC, encoding="utf-8")
    result = call_tool(build_server(str(ws)), "validate_artifacts", {"paths": ["artifacts/rfcs/RFC-009-bomb.md"]})
    assert "aliases expand" in json.dumps(result.structured_content or first_text(result))


def test_a_config_bomb_is_a_config_error_naming_file_and_line(ws: Path, run_cli: Callable[..., Any]) -> None:
    config = ws / "company.config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "x_bomb:\n" + alias_tree(indent="  ")
                      + "  all: *a9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"company\.config\.yaml:\d+: YAML refused: anchors and aliases"):
        load_config(config)
    result = run_cli("context", "--workspace", str(ws), timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "company.config.yaml:" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_bomb_in_an_incident_record_is_refused_and_listed_as_unreadable(ws: Path) -> None:
    workspace = Workspace.at(ws)
    opened = incidents.open_incident(workspace, title="API down", severity="P1")
    path = ws / opened.path
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", "---\n" + alias_tree() + "tags: *a9\n", 1), encoding="utf-8")
    with pytest.raises(IncidentError, match="aliases expand"):
        incidents.get_incident(workspace, opened.id)
    result = call_tool(build_server(str(ws)), "get_incident", {"incident_id": opened.id})
    assert result.is_error and "aliases expand" in first_text(result)


def test_a_catalog_bomb_names_the_catalog_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(Path(catalog_module.__file__).parent, tmp_path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (tmp_path / "hosting.yaml").write_text(alias_tree() + "providers: *a9\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"hosting\.yaml:\d+: YAML refused"):
        load_catalog_from(tmp_path)


def test_a_postmortem_input_file_bomb_is_one_line_and_exit_2(ws: Path, run_cli: Callable[..., Any]) -> None:
    workspace = Workspace.at(ws)
    opened = incidents.open_incident(workspace, title="API down", severity="P1")
    bomb = ws / "pm.yaml"
    bomb.write_text(alias_tree() + "whys: *a9\n", encoding="utf-8")
    result = run_cli("incident", "postmortem", opened.id, "--workspace", str(ws), "--file", str(bomb), timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "aliases expand" in result.stderr


@pytest.mark.parametrize("content", ["[" * 200_000 + "]" * 200_000, json.dumps({"file": "x", "pad": "y" * 3_000_000})])
def test_a_nested_or_huge_pending_promotion_file_leaves_validate_answering(
        ws: Path, run_cli: Callable[..., Any], content: str) -> None:
    state = ws / ".incident-mcp"
    state.mkdir()
    (state / "pending-artifact-rfcs-RFC-001-billing-stripe.md.json").write_text(content, encoding="utf-8")
    result = run_cli("validate", "--workspace", str(ws), timeout=30)
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert result.returncode == 0, result.stderr


def test_the_example_company_still_loads_through_the_bounded_loader() -> None:
    assert load_config(EXAMPLE_COMPANY / "company.config.yaml").config.company.name == "Brightdesk"


# ---- size bombs: files far larger than anything we write are reported, never read ---------------------------


def _sparse(path: Path, size: int, head: str = "---\nid: RFC-010\n") -> None:
    with path.open("wb") as handle:
        handle.write(head.encode())
        handle.truncate(size)  # sparse: the test writes no real gigabyte


def test_a_one_gigabyte_artifact_is_reported_by_validate_and_skipped_by_load_context(
        ws: Path, run_cli: Callable[..., Any]) -> None:
    _sparse(ws / "artifacts" / "rfcs" / "RFC-010-huge.md", 1 << 30)
    result = run_cli("validate", "--workspace", str(ws), timeout=60)
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert "RFC-010-huge.md" in result.stdout and "an artifact is at most 16,000,000" in result.stdout
    context = call_tool(build_server(str(ws), read_only=True), "load_context")
    assert not context.is_error and "RFC-001" in result_text(context)


def test_a_one_gigabyte_config_is_refused_before_reading(ws: Path, run_cli: Callable[..., Any]) -> None:
    _sparse(ws / "company.config.yaml", 1 << 30, head="company:\n  name: Acme\n")
    result = run_cli("context", "--workspace", str(ws), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "company.config.yaml" in result.stderr and "limit" in result.stderr


DEEP = ["[" * 5000 + "]" * 5000, "x:\n" + "".join(" " * i + "- \n" for i in range(0, 4000, 2)),
        "x: " + "{a: " * 3000 + "b" + "}" * 3000]


@pytest.mark.parametrize("text", DEEP)
def test_deep_nesting_is_a_clear_error_in_every_reader(ws: Path, tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"company\.config\.yaml"):
        config = ws / "company.config.yaml"
        config.write_text(text, encoding="utf-8")
        load_config(config)
    with pytest.raises(Exception, match="frontmatter"):
        parse_artifact("---\n" + (text if text.startswith("x") else "x: " + text) + "\n---\n", "a.md")
    shutil.copytree(Path(catalog_module.__file__).parent, tmp_path / "cat", ignore=shutil.ignore_patterns("*.py"))
    (tmp_path / "cat" / "hosting.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"hosting\.yaml"):
        load_catalog_from(tmp_path / "cat")
