"""``incident-mcp context``: what load_context tells an agent, for a human."""

from __future__ import annotations

import argparse
from typing import Any

from incident_mcp.cli.common import add_workspace_option, paint, print_json, workspace_from
from incident_mcp.context import load_context


def add_commands(sub: Any) -> None:
    """Register ``context``."""
    parser = sub.add_parser("context", help="summarise the company's config, services, RFCs and incidents")
    add_workspace_option(parser)
    parser.add_argument("--json", action="store_true", help="print the structured summary as JSON")
    parser.set_defaults(func=_context)


def _context(args: argparse.Namespace) -> int:
    ctx = load_context(workspace_from(args))
    if args.json:
        print_json(ctx)
        return 0
    name = ctx.company.get("name") or "(company.name not set)"
    print(paint(name, "bold") + f" — {ctx.workspace}")
    for provider in ctx.providers:
        if provider.value:
            print(f"  {provider.field}: {provider.value} → {provider.recognised_as or 'unknown'}")
    for service in ctx.services:
        print(f"  service {service.name}: {service.url}{' (critical)' if service.critical else ''}")
    for rfc in ctx.rfcs:
        deps = f" depends on {', '.join(rfc.depends_on)}" if rfc.depends_on else ""
        print(f"  {rfc.id} [{rfc.status}] {rfc.title}{deps}")
    for incident in ctx.open_incidents:
        print(f"  open incident {incident.id} [{incident.severity}/{incident.state}] {incident.title}")
    for item in ctx.missing_config:
        print(paint(f"  missing: {item}", "yellow"))
    for warning in ctx.warnings:
        print(paint(f"  warning: {warning}", "yellow"))
    return 0
