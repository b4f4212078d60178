"""MCP tool ``publish_status_page``: the adapter over ``incident_mcp.statuspage.publish_status_page``."""

from __future__ import annotations

from mcp.server import MCPServer

from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors
from incident_mcp.statuspage import PublishResult, publish_status_page


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Register ``publish_status_page``; a read-only server does not offer it (it writes files)."""
    @server.tool(name="publish_status_page", annotations=hints(
        "Publish the status page", read_only=False))
    def publish_status_page_tool() -> PublishResult:
        """Build the public status page into incident_response.status_page.out (default status-site/).

        Writes index.html (banner, components, current incidents with their posted updates, maintenance,
        90-day uptime bars, past incidents), one page per incident, api/v2 JSON in Statuspage's shapes,
        feed.atom, feed.rss and shields badges. Only public text is used: communication events, public_summary,
        public_title, public component names; never notes, root causes, commands or the record's title.
        Run it after posting a communication (update_incident event=communication) or resolving. Nothing is
        fetched; the same records give the same files. Returns where the site is and the overall status.
        Example: publish_status_page()
        """
        with tool_errors():
            return publish_status_page(ctx.workspace())
