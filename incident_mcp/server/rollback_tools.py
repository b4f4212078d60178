"""MCP tool ``rollback_plan``."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from incident_mcp.rollback import RollbackPlan, SectionKind, rollback_plan
from incident_mcp.server.common import ServerContext, tool_errors


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``rollback_plan`` to the server."""

    @server.tool(name="rollback_plan", annotations=ToolAnnotations(
        title="Rollback plan", read_only_hint=True, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False))
    def rollback_plan_tool(
        kinds: Annotated[list[SectionKind] | None, Field(
            description="sections to include, in any order: deployment, database, feature_flag, dns, cache "
                        "(default: all)")] = None,
    ) -> RollbackPlan:
        """The rollback checklist for this company's own host, ORM, database, feature flags, DNS and cache.

        Each section lists only the configured providers, with exact commands filled from the config's
        incident_response ids (values still to choose appear as UPPERCASE placeholders, listed in `missing`),
        caveats that bite during an incident, docs links, and a verify block (check_status plus the provider's
        own status command). Steps with `check_first` were not fully verified: check them before running.
        Unknown or blank providers get generic steps and a note naming the config field to set.
        Read the caveats to the user before any command; this tool runs nothing.
        Example: rollback_plan(kinds=["deployment", "database"])
        """
        with tool_errors():
            ws = ctx.workspace()
            return rollback_plan(ctx.config(ws).config, kinds, workspace=ws)
