"""The server through the real MCP Client on both protocol revisions (2025-11-25 via the legacy handshake and
the stateless 2026-07-28), in memory, over stdio and over HTTP: the same tools, the same strict contract."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from incident_mcp.server import build_server
from tests.support.checkout import EXAMPLE_COMPANY, cli_env
from tests.support.http_server import Running, start, stop
from tests.support.mcp_client import first_text

MODES = ("legacy", "2026-07-28")
DEADLINE_S = 60


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("revisions") / "brightdesk"
    shutil.copytree(EXAMPLE_COMPANY, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def http_server(company: Path) -> Iterator[Running]:
    running = start(company)
    yield running
    stop(running)


def target(transport: str, company: Path, http_server: Running) -> Any:
    if transport == "memory":
        return build_server(str(company))
    if transport == "stdio":
        return StdioServerParameters(command=sys.executable, args=["-m", "incident_mcp", "serve", "--workspace",
                                                                   str(company)], env=cli_env(), cwd=str(company))
    return http_server.url


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["memory", "stdio", "http"])
def test_both_revisions_on_every_transport_list_the_tools_and_keep_the_contract(
        company: Path, http_server: Running, transport: str, mode: str) -> None:
    async def go() -> dict[str, Any]:
        with anyio.fail_after(DEADLINE_S):
            async with Client(target(transport, company, http_server), mode=mode) as client:
                tools = (await client.list_tools()).tools
                context = await client.call_tool("load_context", {})
                unknown = await client.call_tool("list_incidents", {"states": ["open"]})
                severity = await client.call_tool("classify_severity", {"outage": True, "users_affected": "all"})
                return {"tools": tools, "context": context, "unknown": unknown, "severity": severity}
    seen = anyio.run(go)
    names = {t.name for t in seen["tools"]}
    assert {"load_context", "open_incident", "promote_artifact", "check_status"} <= names and len(names) == 16
    assert not seen["context"].is_error and seen["context"].structured_content["company"]["name"] == "Brightdesk"
    assert seen["unknown"].is_error and "did you mean 'state'?" in first_text(seen["unknown"])
    assert seen["severity"].structured_content["severity"] == "P0"
    assert first_text(seen["severity"]).startswith('{"severity":"P0"'), "compact JSON on every revision"
