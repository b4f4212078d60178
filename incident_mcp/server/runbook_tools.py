"""MCP tool ``generate_runbook``: the adapter over ``incident_mcp.runbook.generate_runbook``."""

from __future__ import annotations

from typing import Annotated

import anyio
from mcp.server import MCPServer
from pydantic import Field

from incident_mcp.runbook import GenerationResult, generate_runbook
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Register ``generate_runbook``; a read-only server does not offer it (it writes files)."""
    @server.tool(
        name="generate_runbook",
        annotations=hints("Generate the incident runbook and post-mortem template", read_only=False),
    )
    async def generate_runbook_tool(
        dry_run: Annotated[bool, Field(description="write nothing; return what would change (a summary with the "
                                                   "diff of changed blocks)")] = False,
        full_text: Annotated[bool, Field(description="with dry_run: also each file's whole new text and the "
                                                     "whole diff (large)")] = False,
        force: Annotated[bool, Field(description="also replace managed blocks a human edited (text outside the "
                                                 "blocks is kept even then)")] = False,
    ) -> GenerationResult:
        """Write standards/ops/incident-runbook.md and standards/ops/post-mortem-template.md for this company.

        Tailored to company.config.yaml (host, ORM, flags, DNS, cache, error tracker, services) and the RFCs.
        Generated sections are managed blocks: human text outside them is kept, a block a human edited is kept
        and reported unless force is set. Running it again with the same inputs changes nothing.

        Use when setting up incident response and after the stack changes; try dry_run=true first.
        Example: generate_runbook(dry_run=true) → {"files": [{"path": "standards/ops/incident-runbook.md",
        "action": "updated", "blocks_updated": ["rollback"], "diff": "--- a/..."}], "gaps": [...]}
        """
        with tool_errors():
            # Rendering runs workspace templates (bounded, but up to seconds): off the event loop, so one
            # call cannot stall every other request the server is answering.
            return await anyio.to_thread.run_sync(
                lambda: generate_runbook(ctx.workspace(), dry_run=dry_run, force=force, full=full_text))
