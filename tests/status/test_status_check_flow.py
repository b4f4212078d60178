"""config_for_check and check_and_record: what a status check needs, and when it lands in a timeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from incident_mcp.errors import WorkspaceError
from incident_mcp.status import TargetPolicy
from incident_mcp.status_check import check_and_record, config_for_check
from incident_mcp.workspace import Workspace


def _nowhere() -> Workspace:
    raise WorkspaceError("no workspace here")


def test_ad_hoc_urls_need_no_workspace() -> None:
    assert config_for_check(_nowhere, needed=False) == (None, None)


def test_named_services_without_a_workspace_are_an_error() -> None:
    with pytest.raises(WorkspaceError, match="no workspace here"):
        config_for_check(_nowhere, needed=True)


def test_a_workspace_without_config_still_checks_ad_hoc_urls(tmp_path: Path) -> None:
    config, workspace = config_for_check(lambda: Workspace.locate(tmp_path), needed=False)
    assert config is None and workspace is not None


def test_a_read_only_check_with_an_incident_says_it_did_not_write() -> None:
    recorded = asyncio.run(check_and_record(None, None, [], policy=TargetPolicy.for_agent(None),
                                            incident_id="INC-001", read_only=True))
    assert not recorded.timeline_updated
    assert "the server is read-only: INC-001 was not updated" in recorded.notes


def test_a_check_without_a_workspace_cannot_record_in_an_incident() -> None:
    recorded = asyncio.run(check_and_record(None, None, [], policy=TargetPolicy.for_agent(None),
                                            incident_id="INC-001"))
    assert recorded.notes[-1] == "no workspace: INC-001 was not updated"
