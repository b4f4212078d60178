"""``incident-mcp runbook``: generate or update the runbook and post-mortem template."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from incident_mcp.cli.common import add_workspace_option, paint, print_json, workspace_from

if TYPE_CHECKING:
    from incident_mcp.runbook import FileChange


def add_commands(sub: Any) -> None:
    """Register ``runbook``."""
    parser = sub.add_parser(
        "runbook", help="generate standards/ops/incident-runbook.md and post-mortem-template.md",
        description="Generate or update the incident runbook and post-mortem template from company.config.yaml and "
                    "the RFCs. Text outside the managed blocks is kept; a block you edited is kept unless --force.")
    add_workspace_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="write nothing; print the diff of what would change")
    parser.add_argument("--force", action="store_true", help="also replace managed blocks you edited")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_runbook)


def _runbook(args: argparse.Namespace) -> int:
    from incident_mcp.runbook import generate_runbook

    result = generate_runbook(workspace_from(args), dry_run=args.dry_run, force=args.force)
    if args.json:
        print_json(result)
        return 0
    for change in result.files:
        _print_change(change, dry_run=args.dry_run)
    if args.dry_run:
        for change in result.files:
            if change.diff:
                sys.stdout.write("\n" + change.diff)
    for gap in result.gaps:
        print(paint(gap, "dim"), file=sys.stderr)
    for warning in result.warnings:
        print(paint(f"warning: {warning}", "yellow"), file=sys.stderr)
    return 0


_DRY_RUN_VERBS = {"created": "would create", "updated": "would update", "unchanged": "unchanged"}
_COLOURS = {"created": "green", "updated": "yellow", "unchanged": "dim"}


def _print_change(change: FileChange, *, dry_run: bool) -> None:
    """What happened to one file, then its blocks (a new file's blocks are all added: not listed)."""
    verb = _DRY_RUN_VERBS[change.action] if dry_run else change.action
    print(f"{paint(verb, _COLOURS[change.action])}: {change.path}")
    if change.blocks_updated:
        print(f"  updated blocks: {', '.join(change.blocks_updated)}")
    if change.blocks_added and change.action != "created":
        print(f"  added blocks: {', '.join(change.blocks_added)}")
    if change.blocks_kept_edited:
        print(paint(f"  kept your edits in: {', '.join(change.blocks_kept_edited)} (--force replaces them)",
                    "yellow"))
