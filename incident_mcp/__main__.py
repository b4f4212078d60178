"""``python -m incident_mcp`` runs the CLI."""

from incident_mcp.cli import main

raise SystemExit(main())
