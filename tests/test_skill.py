"""SKILL.md names only tools, commands and scripts that exist."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest
import yaml
from mcp import Client

from incident_mcp.cli.main import build_parser
from incident_mcp.server import build_server
from tests.conftest import REPO

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
