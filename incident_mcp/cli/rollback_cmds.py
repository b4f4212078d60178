"""``incident-mcp rollback``: the rollback checklist for the configured stack."""

from __future__ import annotations

import argparse
from typing import Any

from incident_mcp.cli.common import add_workspace_option, print_json, workspace_from
from incident_mcp.config import load_config
from incident_mcp.rollback import SECTION_KINDS, format_plan, rollback_plan


def add_commands(sub: Any) -> None:
    """Register ``rollback``."""
    parser = sub.add_parser("rollback", help="print the rollback checklist for your host, ORM, flags, DNS, cache")
    parser.add_argument("--kind", action="append", choices=SECTION_KINDS, metavar="KIND",
                        help=f"only this section (repeatable): {', '.join(SECTION_KINDS)}")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    add_workspace_option(parser)
    parser.set_defaults(func=_rollback)


def _rollback(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    loaded = load_config(ws.config_path)
    plan = rollback_plan(loaded.config, args.kind, workspace=ws)
    if args.json:
        print_json(plan)
    else:
        print(format_plan(plan), end="")
    return 0
