"""MCP adapter: one typed, annotated tool per core call; no domain logic here."""

from incident_mcp.server.app import build_server

__all__ = ["build_server"]
