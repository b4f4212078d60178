"""MCP tool ``load_context``."""

from __future__ import annotations

from mcp.server import MCPServer

from incident_mcp.context import Context, load_context
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``load_context`` to the server."""

    @server.tool(name="load_context", annotations=hints("Load company context", read_only=True))
    def load_context_tool() -> Context:
        """Summarise the company for incident response: call this first.

        Returns the company name/product/domain, the stack providers as configured and as recognised,
        the services the status check probes (and which are critical), every RFC with its status and
        dependencies, which ops standards exist, the open incidents, and the config fields still missing.
        Example: load_context() → {"company": {"name": "Brightdesk", ...}, "critical_services": ["web", "api"], ...}
        """
        with tool_errors():
            return load_context(ctx.workspace())

