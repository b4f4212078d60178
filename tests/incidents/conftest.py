"""The incident tests' workspace: Company OS's example artifacts in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.workspace import Workspace
from tests.support.incident_flow import artifacts_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """Company OS's example artifacts (no config) in a fresh temp folder."""
    return artifacts_workspace(tmp_path)
