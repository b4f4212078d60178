"""CLI adapter: ``incident-mcp <command>``; one module of subcommands per area, no domain logic here."""

from incident_mcp.cli.main import main

__all__ = ["main"]
