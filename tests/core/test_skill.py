"""SKILL.md names only tools, commands and scripts that exist."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from incident_mcp.cli.main import build_parser
from incident_mcp.server import build_server
from tests.support.checkout import REPO

SKILL = (REPO / "SKILL.md").read_text(encoding="utf-8")


def _tools() -> set[str]:
    async def go() -> set[str]:
        async with Client(build_server(None)) as client:
            return {t.name for t in (await client.list_tools()).tools}
    return asyncio.run(go())


def test_the_skill_has_claude_code_frontmatter() -> None:
    front = yaml.safe_load(SKILL.split("---")[1])
    assert front["name"] == "incident-response"
    assert "incident" in front["description"] and len(front["description"]) < 1024


def test_every_tool_the_skill_names_exists_and_every_tool_is_named() -> None:
    tools = _tools()
    verbs = {name.split("_")[0] for name in tools}
    named = {n for n in re.findall(r"`([a-z]+(?:_[a-z]+)+)`", SKILL) if n.split("_")[0] in verbs}
    assert named - tools == set(), f"SKILL.md names tools that do not exist: {named - tools}"
    assert tools - named == set(), f"SKILL.md never mentions: {tools - named}"


@pytest.mark.parametrize("command", sorted(set(re.findall(r"\[`(incident-mcp [^`]+)`\]", SKILL))))
def test_every_cli_command_the_skill_names_parses(command: str) -> None:
    argv = [a for a in shlex.split(command)[1:] if not re.fullmatch(r"INC-NNN|[A-Z].*|…|\.\.\.", a)]
    parser = build_parser()
    with pytest.raises(SystemExit) as done:
        parser.parse_args([*argv, "--help"])
    assert done.value.code == 0, command


def test_every_script_the_skill_names_is_shipped() -> None:
    for script in set(re.findall(r"\./(tools/[\w/.-]+\.sh)", SKILL)):
        assert (REPO / script).is_file(), script
    assert Path(REPO / "tools" / "ops" / "status-check.sh").stat().st_mode & 0o111


# Future read-only tools of the product (DESIGN.md) pre-approved now, so the skill does not change when they land.
FUTURE_READ_ONLY = {"recent_changes", "incident_metrics"}
ALLOWED_SCRIPTS = {"Bash(./tools/ops/status-check.sh:*)", "Bash(./tools/artifact/validate.sh:*)"}


def _read_only_tools() -> set[str]:
    async def go() -> set[str]:
        async with Client(build_server(None)) as client:
            return {t.name for t in (await client.list_tools()).tools
                    if t.annotations is not None and t.annotations.read_only_hint is True}
    return asyncio.run(go())


def test_the_skill_pre_approves_only_what_cannot_hurt() -> None:
    front = yaml.safe_load(SKILL.split("---")[1])
    allowed = {item.strip() for item in front["allowed-tools"].split(",")}
    expected_mcp = {f"mcp__incident-mcp__{name}" for name in _read_only_tools() | FUTURE_READ_ONLY}
    assert allowed == {"Read", "Grep", "Glob"} | expected_mcp | ALLOWED_SCRIPTS
    assert not allowed & {"Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "WebFetch"}
    assert all(not a.startswith("Bash(") or a in ALLOWED_SCRIPTS for a in allowed)
    assert "mcp__incident-mcp__promote_artifact" not in allowed and "mcp__incident-mcp__check_status" not in allowed


def test_the_skill_says_what_keeps_its_permission_prompt() -> None:
    assert "Everything that changes production or the\nrepository keeps its permission prompt" in SKILL


def test_init_installs_this_skill_with_its_permissions(company_os_ws: Path, run_cli: Any) -> None:
    done = run_cli("init", "--workspace", str(company_os_ws))
    assert done.returncode == 0, done.stderr
    installed = (company_os_ws / ".claude/skills/incident-response/SKILL.md").read_text(encoding="utf-8")
    assert installed == SKILL
