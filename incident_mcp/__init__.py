"""incident-mcp: incident response for solo founders over a Company OS repository.

The core (everything but ``server`` and ``cli``) never imports the MCP SDK.
"""

__version__ = "0.1.0"
