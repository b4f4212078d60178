"""Shared plumbing for the MCP tool modules: where the workspace is, and turning our errors into ToolError."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from incident_mcp.config import LoadedConfig, load_config
from incident_mcp.errors import IncidentMCPError, os_error_message
from incident_mcp.workspace import Workspace


@dataclass(frozen=True)
class ServerContext:
    """What every tool needs: how to find the workspace, and whether writes are allowed."""

    workspace_hint: str | None = None
    read_only: bool = False

    def workspace(self) -> Workspace:
        """The workspace, located afresh on each call (the repo may be created after start-up)."""
        return Workspace.locate(self.workspace_hint)

    def config(self, workspace: Workspace | None = None) -> LoadedConfig:
        """The company config of the workspace."""
        return load_config((workspace or self.workspace()).config_path)


@contextlib.contextmanager
def tool_errors() -> Iterator[None]:
    """Re-raise our own errors as ToolError so their message reaches the client, not a bare failure."""
    try:
        yield
    except IncidentMCPError as err:
        raise ToolError(str(err)) from err
    except OSError as err:
        raise ToolError(os_error_message(err)) from err
