"""``incident-mcp status-page build``: the static status page, feeds and JSON from the incident records."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from incident_mcp.cli.common import add_workspace_option, print_json, workspace_from
from incident_mcp.statuspage import publish_status_page


def add_commands(sub: Any) -> None:
    """Register ``status-page build``."""
    parser = sub.add_parser("status-page", help="build the static status page from the incident records",
                            description="Build the public status page (HTML, api/v2 JSON, Atom/RSS, badges).")
    area = parser.add_subparsers(dest="status_page_command", metavar="ACTION", required=True)
    build = area.add_parser("build", help="build the site folder (default: incident_response.status_page.out)",
                            description="Build the status page as of --now (default: the current time) into "
                                        "--out (default: incident_response.status_page.out, status-site/). "
                                        "The same inputs give byte-identical files; nothing is fetched.")
    add_workspace_option(build)
    build.add_argument("--out", type=Path, metavar="DIR", help="write the site here instead (a new or empty "
                                                                "folder, or one this command wrote)")
    build.add_argument("--now", type=_moment, metavar="ISO", help="build as of this time, e.g. 2026-03-01T12:00:00Z")
    build.add_argument("--json", action="store_true", help="print the result as JSON")
    build.set_defaults(func=_build)


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-03-01T12:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _build(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    result = publish_status_page(ws, out=args.out, now=args.now)
    if args.json:
        print_json(result)
        return 0
    print(f"{result.description} — {result.components} components, {result.open_incidents} open incidents, "
          f"{result.past_incidents} in the last 90 days")
    print(f"wrote {result.out}/ ({result.files} files, {result.changed} changed) as of {result.now}")
    index = Path(result.index) if Path(result.index).is_absolute() else ws.root / result.index
    print(f"open {index}")
    for line in result.skipped:
        print(f"skipped: {line}")
    return 0
