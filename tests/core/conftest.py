"""Fixtures of the core tests: the packaged provider catalog, loaded once per module."""

from __future__ import annotations

import pytest

from incident_mcp.catalog import Catalog, load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()
