"""Shared plumbing for CLI subcommands: workspace option, JSON output, colour, errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from pydantic import BaseModel

from incident_mcp.workspace import Workspace


def add_workspace_option(parser: Any) -> None:
    """The ``--workspace DIR`` option every command that reads a workspace takes."""
    parser.add_argument("--workspace", help="the Company OS repository (default: found from the cwd)")


def workspace_from(args: Any) -> Workspace:
    """The workspace named by --workspace, the environment, or the current folder's ancestors."""
    return Workspace.locate(getattr(args, "workspace", None))


def print_json(value: Any) -> None:
    """Print a model or plain data as indented JSON on stdout."""
    if isinstance(value, BaseModel):
        print(value.model_dump_json(indent=2))
    else:
        print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def use_colour(stream: Any = None) -> bool:
    """Colour only on a terminal and when NO_COLOR is not set."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2", "cyan": "36"}


def paint(text: str, colour: str, *, stream: Any = None) -> str:
    """Wrap ``text`` in an ANSI colour when writing to a terminal."""
    if not use_colour(stream):
        return text
    return f"\033[{_CODES[colour]}m{text}\033[0m"


def error(message: str) -> None:
    """One line on stderr."""
    print(f"incident-mcp: error: {message}", file=sys.stderr)
