"""Tests of the adapters: MCP tools and contract, surface, protocol, HTTP and stdio transports, CLI."""
