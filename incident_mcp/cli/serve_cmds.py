"""``incident-mcp serve``: run the MCP server over stdio (default) or Streamable HTTP (``--http``).

Logs and notices go to stderr only: over stdio, stdout carries nothing but the protocol.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from incident_mcp.cli.common import add_workspace_option
from incident_mcp.errors import ConfigError


def add_commands(sub: Any) -> None:
    """Register ``serve``."""
    from incident_mcp.server.http import DEFAULT_HOST, DEFAULT_MAX_BODY, DEFAULT_PORT, TOKEN_ENV

    parser = sub.add_parser(
        "serve",
        help="run the MCP server (stdio, or Streamable HTTP with --http)",
        description=f"Serve MCP over stdio, or over Streamable HTTP with --http (loopback only unless "
                    f"${TOKEN_ENV} holds a bearer token).",
    )
    add_workspace_option(parser)
    parser.add_argument("--read-only", action="store_true", help="expose only the tools that write nothing")
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    parser.add_argument("--host", default=None,
                        help=f"address to listen on with --http (default {DEFAULT_HOST}; anything else needs "
                             f"${TOKEN_ENV})")
    parser.add_argument("--port", type=int, default=None,
                        help=f"TCP port with --http (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                        help=f"largest request body accepted with --http (default {DEFAULT_MAX_BODY})")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME[:PORT]",
                        help="another Host/Origin name clients may use with --http (repeatable), e.g. the "
                             "machine's DNS name behind a wildcard --host")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from incident_mcp.server.http import DEFAULT_HOST, DEFAULT_MAX_BODY, DEFAULT_PORT, serve_http, settings_from_env

    logging.basicConfig(level=logging.WARNING, format="incident-mcp: %(levelname)s: %(message)s")
    http_only = [name for name, value in (("--host", args.host), ("--port", args.port),
                                          ("--max-body", args.max_body), ("--allow-host", args.allow_host))
                 if value not in (None, [])]
    if not args.http:
        if http_only:
            raise ConfigError(f"{', '.join(http_only)} only apply with --http")
        from incident_mcp.server import build_server  # loads the MCP SDK: only once the options are accepted

        server = build_server(args.workspace, read_only=args.read_only)
        server.run("stdio")
        return 0
    settings = settings_from_env(
        args.host or DEFAULT_HOST,
        DEFAULT_PORT if args.port is None else args.port,
        DEFAULT_MAX_BODY if args.max_body is None else args.max_body,
        args.allow_host,
    )
    settings.check()
    from incident_mcp.server import build_server

    server = build_server(args.workspace, read_only=args.read_only)
    serve_http(server, settings, read_only=args.read_only)
    return 0
