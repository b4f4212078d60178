"""MCP adapter: one typed, annotated tool per core call; no domain logic here.

``build_server`` is imported on first use so that importing a submodule (say, the HTTP settings checks)
does not load the MCP SDK: the CLI stays quick to start and to refuse bad options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incident_mcp.server.app import build_server

__all__ = ["build_server"]


def __getattr__(name: str) -> Any:
    if name == "build_server":
        from incident_mcp.server.app import build_server

        return build_server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
