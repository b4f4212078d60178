"""``incident-mcp deploy record``, ``incident-mcp changes`` and ``incident-mcp metrics``."""

from __future__ import annotations

import argparse
from typing import Any

from incident_mcp import changes, metrics
from incident_mcp.cli.common import add_workspace_option, print_json, workspace_from
from incident_mcp.config import load_config
from incident_mcp.errors import LearnError


def add_commands(sub: Any) -> None:
    """Register ``deploy record``, ``changes`` and ``metrics``."""
    deploy = sub.add_parser("deploy", help="the deploy log (artifacts/.audit-log/deploys.jsonl)")
    deploy_sub = deploy.add_subparsers(dest="deploy_command", metavar="ACTION", required=True)
    p = deploy_sub.add_parser("record", help="append a deploy to the log (the last line of a deploy script)")
    p.add_argument("--service", default="", help="the configured service deployed (default: none named)")
    p.add_argument("--version", default="", help="what your host calls the release (rollback commands use it)")
    p.add_argument("--sha", default="", help="the git commit deployed")
    p.add_argument("--at", help="when, ISO 8601 (default now, UTC)")
    p.add_argument("--note", default="", help="one line about the deploy")
    p.add_argument("--json", action="store_true", help="print the logged deploy as JSON")
    add_workspace_option(p)
    p.set_defaults(func=_deploy_record)

    p = sub.add_parser("changes", help="what changed before an incident, most likely cause first")
    p.add_argument("incident_id", nargs="?", help="INC-NNN (default: the latest open incident, else now)")
    p.add_argument("--at", help="or the ISO 8601 time the window ends at")
    p.add_argument("--window-hours", type=float, default=24.0, help="hours before detection (default 24)")
    p.add_argument("--limit", type=int, default=10, help="how many changes to list (default 10)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_workspace_option(p)
    p.set_defaults(func=_changes)

    p = sub.add_parser("metrics", help="MTTA, MTTM, time to resolve, change fail rate, uptime, error budget")
    p.add_argument("--since", help="period start, ISO 8601 (default: 30 days before --until)")
    p.add_argument("--until", help="period end, ISO 8601, exclusive (default: now)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    add_workspace_option(p)
    p.set_defaults(func=_metrics)


def _deploy_record(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    services = [s.name for s in load_config(ws.config_path).config.incident_response.services]
    deploy = changes.record_deploy(ws, service=args.service, version=args.version, sha=args.sha, at=args.at,
                                   note=args.note, configured_services=services)
    if args.json:
        print_json(deploy.model_dump(exclude_defaults=True))
    else:
        print(f"Logged {deploy.id}: {deploy.service or 'no service named'} {deploy.label} at {deploy.at} "
              f"({changes.DEPLOY_LOG})")
    return 0


def format_changes(found: changes.RecentChanges) -> str:
    """The ranked changes as text."""
    subject = found.incident_id or "the given time"
    lines = [f"Changes in the {found.window_hours:g} h before {subject} ({found.detected_at}): {found.total}"]
    for number, change in enumerate(found.changes, 1):
        who = f" by {change.who}" if change.who else ""
        lines.append(f"{number:>3}. [{change.kind}] {change.id}  {change.at} ({change.before} before){who}")
        lines.append(f"     {change.what}")
        lines.append(f"     why: {change.correlation}")
        if change.rollback:
            lines.append(f"     back to {change.rollback_to}: $ {change.rollback}")
    lines += [f"note: {note}" for note in found.notes]
    return "\n".join(lines) + "\n"


def _changes(args: argparse.Namespace) -> int:
    if args.incident_id and args.at:
        raise LearnError("give INC-NNN or --at, not both")
    found = changes.recent_changes(workspace_from(args), incident_id=args.incident_id, at=args.at,
                                   window_hours=args.window_hours, limit=args.limit)
    if args.json:
        print_json(found)
    else:
        print(format_changes(found), end="")
    return 0


def _metrics(args: argparse.Namespace) -> int:
    report = metrics.incident_metrics(workspace_from(args), since=args.since, until=args.until)
    if args.format == "json":
        print(report.model_dump_json(indent=2))
    else:
        print(metrics.format_report(report), end="")
    return 0
