"""One call through the real MCP client against an in-memory server: the helper every tool test needs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from mcp import Client
from mcp_types import CallToolResult, Tool


def call_tool(server: Any, tool: str, args: dict[str, Any] | None = None) -> CallToolResult:
    """Call ``tool`` once through a fresh client session on ``server`` (a server object, URL or stdio parameters)."""

    async def go() -> CallToolResult:
        async with Client(server) as client:
            return await client.call_tool(tool, args or {})

    return asyncio.run(go())


def list_tools(server: Any) -> dict[str, Tool]:
    """The tools ``server`` lists, by name."""

    async def go() -> list[Tool]:
        async with Client(server) as client:
            return (await client.list_tools()).tools

    return {tool.name: tool for tool in asyncio.run(go())}


def result_text(result: CallToolResult) -> str:
    """A tool result as text: its structured content as JSON, else its first text block."""
    return json.dumps(result.structured_content) if result.structured_content else first_text(result)


def first_text(result: CallToolResult) -> str:
    """The text of a result's first content block (errors and plain answers come as one text block)."""
    block = result.content[0]
    assert block.type == "text", block
    return block.text
