"""MCP tools ``validate_artifacts`` (read-only) and ``promote_artifact`` (writes the status line and audit log)."""

# No `from __future__ import annotations`: promote_artifact's Resolve(...) names a function of its factory's scope,
# so its annotations must be evaluated where they are written.
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import anyio
from mcp.server import MCPServer
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from incident_mcp.errors import IncidentMCPError
from incident_mcp.promotion import ConfirmationNeeded, PromotionResult, promote
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors
from incident_mcp.validation import ValidationReport, validate_workspace

PathOrId = Annotated[str, Field(min_length=1, max_length=1000)]


class ArchiveConfirmation(BaseModel):
    """What the user answers when asked to archive."""

    archive: bool = Field(description="archive it for good")


def archive_question(need: ConfirmationNeeded) -> str:
    """The question shown to the user: the exact change and that it cannot be undone."""
    return (f"Archive {need.rel}? Its status changes {need.from_status} → {need.to_status}, and an archived "
            "artifact can never be promoted again.")


def _validate_artifacts(ctx: ServerContext) -> Callable[..., ValidationReport]:
    """The validate_artifacts tool, reading the workspace through ``ctx``."""

    def validate_artifacts(
        paths: Annotated[list[PathOrId] | None, Field(
            max_length=1000, description="workspace-relative files or folders, or artifact ids; "
                                         "omit to check the whole workspace")] = None,
        strict: Annotated[bool, Field(
            description="also warn when a parent and its children do not name each other")] = False,
        max_problems: Annotated[int, Field(ge=1, le=5000, description="most problems to return")] = 200,
    ) -> ValidationReport:
        """Check artifacts against Company OS's rules and the defects its validate.sh misses.

        Rules: valid frontmatter, required fields, status and type from Company OS's lists, references
        resolving to existing ids, a non-empty body; plus duplicate ids, id/filename mismatch, reference
        cycles and, with strict, one-sided parent/children links. Each problem has file, line, rule,
        severity and a message; `missed_by_company_os` marks what Company OS's validate.sh misses.
        Example: validate_artifacts(paths=["RFC-001"]) → {"errors": 1, "problems": [{"file":
        "artifacts/rfcs/RFC-001-x.md", "line": 9, "rule": "reference.dangling", ...}], ...}
        """
        with tool_errors():
            return validate_workspace(ctx.workspace(), paths, strict=strict).limited(max_problems)

    return validate_artifacts


def _archive_asker(ctx: ServerContext) -> Callable[..., Elicit[ArchiveConfirmation] | ArchiveConfirmation]:
    """The resolver promote_artifact uses to ask before archiving, reading the workspace through ``ctx``."""

    def ask_to_archive(context: Context, artifact: str, to: str,
                       confirm: bool) -> Elicit[ArchiveConfirmation] | ArchiveConfirmation:
        """Before archiving: ask the user through the client (showing the exact change) when it can ask."""
        capabilities = context.client_capabilities
        if to != "archived" or confirm or capabilities is None or capabilities.elicitation is None:
            return ArchiveConfirmation(archive=confirm)
        try:
            promote(ctx.workspace(), artifact, to, confirmed=False)  # raises before writing anything
        except ConfirmationNeeded as need:
            return Elicit(archive_question(need), ArchiveConfirmation)
        except (IncidentMCPError, OSError):
            pass  # the tool body reports it
        return ArchiveConfirmation(archive=False)

    return ask_to_archive


def _promote_artifact(ctx: ServerContext) -> Callable[..., Awaitable[PromotionResult]]:
    """The promote_artifact tool, reading the workspace through ``ctx``."""
    ask_to_archive = _archive_asker(ctx)

    async def promote_artifact(
        artifact: Annotated[str, Field(min_length=1, max_length=1000,
                                       description="artifact id (e.g. RFC-001) or workspace-relative path")],
        to: Annotated[Literal["draft", "review", "approved", "archived"], Field(
            description="the next lifecycle status (draft → review → approved), or archived from any status")],
        answer: Annotated[ElicitationResult[ArchiveConfirmation], Resolve(ask_to_archive)],
        confirm: Annotated[bool, Field(description="the user agreed to archive (irreversible)")] = False,
    ) -> PromotionResult:
        """Move an artifact one step along draft → review → approved (or to archived from any status).

        Validates it first and refuses with every error; approving needs the parent and every
        depends_on already approved. Rewrites only the `status:` line and appends one line to
        artifacts/.audit-log/promotions.log. Archiving cannot be undone: the user is asked (through the
        client when it can ask), or the call needs confirm=true after you asked them yourself.
        Example: promote_artifact(artifact="RFC-001", to="review") → {"from_status": "draft", "to_status":
        "review", "changed": true}
        """
        agreed = isinstance(answer, AcceptedElicitation) and answer.data.archive
        with tool_errors():
            workspace = ctx.workspace()
            try:
                return await anyio.to_thread.run_sync(lambda: promote(workspace, artifact, to, confirmed=agreed))
            except ConfirmationNeeded as need:
                raise ToolError(f"{need}. Nothing changed: ask the user, then call again with confirm=true") from None

    return promote_artifact


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``validate_artifacts`` and, unless the server is read-only, ``promote_artifact``."""
    server.tool(name="validate_artifacts", annotations=hints("Validate artifacts", read_only=True))(
        _validate_artifacts(ctx))
    server.tool(name="promote_artifact", annotations=hints(
        "Promote artifact", read_only=False, destructive=True, idempotent=False))(_promote_artifact(ctx))
