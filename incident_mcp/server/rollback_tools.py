"""MCP tool ``rollback_plan``."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from incident_mcp.rollback import RollbackPlan, SectionKind, rollback_plan
from incident_mcp.rollback.view import lean_plan
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``rollback_plan`` to the server."""

    @server.tool(name="rollback_plan", annotations=hints("Rollback plan", read_only=True))
    def rollback_plan_tool(
        kinds: Annotated[list[SectionKind] | None, Field(
            description="sections to include, in any order: deployment, database, feature_flag, dns, cache "
                        "(default: all)")] = None,
        docs: Annotated[bool, Field(description="also section titles, docs links, catalog keys and the steps to "
                                                "prepare before an incident")] = False,
    ) -> RollbackPlan:
        """The rollback checklist for this company's own host, ORM, database, feature flags, DNS and cache.

        Each section lists only the configured providers, with exact commands filled from the config's
        incident_response ids (values still to choose appear as UPPERCASE placeholders, listed in `missing`),
        caveats that bite during an incident, and verify steps (those every section ends with are said once
        in the notes). `verified` appears only where something is not fully verified; steps with
        `check_first` need that check before running.
        Unknown or blank providers get generic steps and a note naming the config field to set.
        Read the caveats to the user before any command; this tool runs nothing.
        Example: rollback_plan(kinds=["deployment", "database"])
        """
        with tool_errors():
            ws = ctx.workspace()
            return lean_plan(rollback_plan(ctx.config(ws).config, kinds, workspace=ws), docs=docs)
