"""A read-only server never registers a tool that does not promise to write nothing, whichever way it is added."""

from __future__ import annotations

import asyncio

from incident_mcp.server.annotations import APPEND, READ, WriteGuardedServer


def _names(read_only: bool) -> set[str]:
    server = WriteGuardedServer("t")
    server.read_only = read_only

    @server.tool(annotations=READ)
    def reads() -> str:
        return "r"

    @server.tool(annotations=APPEND)
    def writes() -> str:
        return "w"

    @server.tool()
    def forgot_its_annotations() -> str:
        return "?"

    server.add_tool(lambda: "p", "positional_write", None, None, APPEND)
    server.add_tool(lambda: "p", "positional_read", None, None, READ)
    return {t.name for t in asyncio.run(server.list_tools())}


def test_a_read_only_server_registers_only_tools_annotated_read_only() -> None:
    assert _names(read_only=True) == {"reads", "positional_read"}


def test_a_writable_server_registers_every_tool() -> None:
    assert _names(read_only=False) == {"reads", "writes", "forgot_its_annotations", "positional_write",
                                       "positional_read"}
