"""Tool annotations in one place, and the server that keeps writes off in read-only mode.

A tool is registered on a read-only server only if its annotations promise ``read_only_hint=True``, so a
new tool that forgets its annotations is left out in read-only mode rather than exposed. Done at
registration, by overriding the SDK's public ``add_tool`` (nothing is registered and then removed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server import MCPServer
from mcp_types import ToolAnnotations


def hints(title: str | None = None, *, read_only: bool, destructive: bool = False, idempotent: bool = True,
                open_world: bool = False) -> ToolAnnotations:
    """A tool's hints, spelt out once (every hint explicit, as clients read them)."""
    return ToolAnnotations(title=title, read_only_hint=read_only, destructive_hint=destructive,
                           idempotent_hint=idempotent, open_world_hint=open_world)


READ = hints(read_only=True)
APPEND = hints(read_only=False, idempotent=False)
REPLACE = hints(read_only=False, destructive=True)


class WriteGuardedServer(MCPServer):
    """An MCPServer that, once ``read_only`` is set, skips every tool not annotated read-only.

    It guards ``add_tool``, which the ``tool`` decorator also goes through, so no registration path
    bypasses it.
    """

    read_only: bool = False

    def add_tool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Register ``fn`` (MCPServer.add_tool), unless the server is read-only and the tool may write."""
        notes = kwargs.get("annotations", args[3] if len(args) > 3 else None)
        if self.read_only and not (isinstance(notes, ToolAnnotations) and notes.read_only_hint is True):
            return
        super().add_tool(fn, *args, **kwargs)
