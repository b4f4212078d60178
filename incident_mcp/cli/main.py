"""Argument parsing and dispatch; each area module adds its own subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from types import ModuleType

from incident_mcp import __version__
from incident_mcp.cli import (
    artifact_cmds,
    context_cmds,
    demo_cmds,
    incident_cmds,
    init_cmds,
    learn_cmds,
    rollback_cmds,
    runbook_cmds,
    serve_cmds,
    status_cmds,
    statuspage_cmds,
    watch_cmds,
)
from incident_mcp.cli.common import error
from incident_mcp.errors import IncidentMCPError, os_error_message
from incident_mcp.promotion import recover_promotions
from incident_mcp.workspace import Workspace

AREAS: tuple[ModuleType, ...] = (
    demo_cmds,
    init_cmds,
    context_cmds,
    runbook_cmds,
    status_cmds,
    watch_cmds,
    incident_cmds,
    statuspage_cmds,
    learn_cmds,
    rollback_cmds,
    artifact_cmds,
    serve_cmds,
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every area's subcommands."""
    parser = argparse.ArgumentParser(
        prog="incident-mcp",
        description="Incident response for solo founders: MCP server, runbooks, status checks, records.",
    )
    parser.add_argument("--version", action="version", version=f"incident-mcp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in AREAS:
        area.add_commands(sub)
    return parser


def recover_at_start(args: argparse.Namespace) -> None:
    """At start, clean up after writers that were killed: remove their temp files (never a live writer's)
    and finish promotions cut short between the status line and the audit log.

    Best effort and silent: a command whose workspace cannot be found reports that itself, and a
    read-only server leaves the disk alone.
    """
    if not hasattr(args, "workspace") or getattr(args, "read_only", False):
        return
    with contextlib.suppress(IncidentMCPError, OSError):
        ws = Workspace.locate(args.workspace)
        ws.sweep_temp_files()
        recover_promotions(ws)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; our errors become one line on stderr and exit code 2, never a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    recover_at_start(args)
    try:
        code: int = args.func(args)
    except IncidentMCPError as err:
        error(str(err))
        return 2
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    except OSError as err:  # a full disk, a read-only mount: one line, and the data is intact (atomic writes)
        error(os_error_message(err))
        return 2
    return code
