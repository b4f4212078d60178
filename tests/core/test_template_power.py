"""Template power over the real server: a workspace override cannot compute huge numbers, and a slow (legal)
render runs off the event loop, so other requests are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

from incident_mcp.server.app import build_server
from tests.support.checkout import EXAMPLE_COMPANY
from tests.support.http_server import Running, start, stop
from tests.support.mcp_client import first_text

OVERRIDE = "templates/incident-mcp/incident-runbook.md.j2"
SLOW = "{% for i in range(90000) %}{% for j in range(10) %}{% endfor %}{% endfor %}# Runbook\n"
SIGNALS = {"users_affected": "all", "outage": True}


@pytest.fixture
def slow_ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLE_COMPANY, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / OVERRIDE).parent.mkdir(parents=True)
    (root / OVERRIDE).write_text(SLOW, encoding="utf-8")
    return root


@pytest.fixture
def slow_server(slow_ws: Path) -> Iterator[Running]:
    running = start(slow_ws)
    yield running
    stop(running)


def test_a_power_tower_in_an_override_is_refused_over_mcp(slow_ws: Path) -> None:
    (slow_ws / OVERRIDE).write_text("{% set boom = (9 ** 9999) ** 9999 %}# Runbook\n", encoding="utf-8")

    async def run() -> tuple[bool, str]:
        async with Client(build_server(str(slow_ws))) as client:
            result = await client.call_tool("generate_runbook", {"dry_run": True})
            return result.is_error, first_text(result)

    is_error, text = asyncio.run(run())
    assert is_error and "bits" in text and "incident-runbook.md.j2" in text


def test_a_slow_render_does_not_stall_a_concurrent_call_over_http(slow_server: Running) -> None:
    finished: list[str] = []

    async def call(tool: str, args: dict[str, object], delay: float) -> None:
        await asyncio.sleep(delay)
        async with Client(slow_server.url) as client:
            result = await client.call_tool(tool, args)
        assert not result.is_error or tool == "generate_runbook", result.content
        finished.append(tool)

    async def run() -> None:
        await asyncio.gather(call("generate_runbook", {"dry_run": True}, 0),
                             call("classify_severity", SIGNALS, 0.4))

    started = time.monotonic()
    asyncio.run(run())
    assert finished == ["classify_severity", "generate_runbook"], f"after {time.monotonic() - started:.1f} s"


def test_a_power_tower_neither_freezes_the_server_nor_delays_a_concurrent_call(slow_ws: Path,
                                                                               slow_server: Running) -> None:
    (slow_ws / OVERRIDE).write_text("{% set boom = (9 ** 9999) ** 9999 %}# Runbook\n", encoding="utf-8")
    answers: dict[str, tuple[bool, str]] = {}

    async def call(tool: str, args: dict[str, object]) -> None:
        async with Client(slow_server.url) as client:
            result = await client.call_tool(tool, args)
        answers[tool] = (bool(result.is_error), first_text(result) if result.content else "")

    async def run() -> None:
        # Unfixed, the power holds the interpreter for minutes and neither call is answered in time.
        await asyncio.wait_for(asyncio.gather(call("generate_runbook", {"dry_run": True}),
                                              call("classify_severity", SIGNALS)), timeout=60)

    asyncio.run(run())
    assert answers["generate_runbook"][0] and "bits" in answers["generate_runbook"][1]
    assert not answers["classify_severity"][0]
