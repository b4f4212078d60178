"""Shared by the provider catalog tests: every (kind, entry) pair of a catalog."""

from __future__ import annotations

from incident_mcp.catalog import KINDS, Catalog, Provider


def _entries(catalog: Catalog) -> list[tuple[str, Provider]]:
    return [(kind, entry) for kind in KINDS for entry in catalog.providers(kind)]
