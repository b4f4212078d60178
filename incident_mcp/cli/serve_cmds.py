"""``incident-mcp serve``: run the MCP server (stdio)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any) -> None:
    """Register ``serve``."""
    parser = sub.add_parser("serve", help="run the MCP server over stdio")
    parser.add_argument("--workspace", help="the Company OS repository (default: found from the cwd)")
    parser.add_argument("--read-only", action="store_true", help="expose only the tools that write nothing")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from incident_mcp.server import build_server

    server = build_server(args.workspace, read_only=args.read_only)
    server.run("stdio")
    return 0
