"""``incident-mcp init``: set up an existing Company OS repository (config section, skill, scripts)."""

from __future__ import annotations

import argparse
from typing import Any

from incident_mcp.cli.common import add_workspace_option, paint, print_json, workspace_from
from incident_mcp.installer import run_init

_COLOURS = {"installed": "green", "updated": "green", "replaced": "yellow", "kept": "yellow", "unchanged": "dim"}


def add_commands(sub: Any) -> None:
    """Register ``init``."""
    parser = sub.add_parser(
        "init",
        help="set up this repository: incident_response config, Claude Code skill, tools/ scripts",
        description="Add the incident_response: section to company.config.yaml (appended; the rest of the "
                    "file is untouched), install the incident-response skill for Claude Code and the "
                    "tools/ scripts, and print the command that registers the server with Claude Code. "
                    "Safe to run again: files you edited are kept unless --force.",
    )
    add_workspace_option(parser)
    parser.add_argument("--force", action="store_true",
                        help="replace installed files even if they were edited (a copy is kept in "
                             ".incident-mcp/replaced/)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--schedule", choices=["github-actions"],
                        help="also write a scheduled `watch --once` (github-actions: "
                             ".github/workflows/incident-watch.yml; see README \"Detect\" for systemd and cron)")
    parser.set_defaults(func=_init)


def _init(args: argparse.Namespace) -> int:
    result = run_init(workspace_from(args), force=args.force, schedule=args.schedule)
    if args.json:
        print_json(result)
        return 0
    print(f"incident-mcp init in {result.workspace}")
    print(f"  {paint('config', 'green' if result.config == 'added' else 'dim'):<10} {result.config_note}")
    for item in result.files:
        label = paint(f"{item.action:<9}", _COLOURS[item.action])
        note = f"  ({item.note})" if item.note else ""
        backup = f"  [previous copy: {item.backup}]" if item.backup else ""
        print(f"  {label}  {item.path}{note}{backup}")
    kept = sum(item.action == "kept" for item in result.files)
    if kept:
        print(f"{kept} file(s) kept as they are; run again with --force to replace them (a copy is kept).")
    elif not result.changed:
        print("Nothing to do: everything was already in place.")
    print("Register the server with Claude Code (run once, from anywhere):")
    print(f"  {result.register_command}")
    return 0
