"""The complete incident the end-to-end tests drive (over MCP and through the CLI), and the incident tests' clock."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from incident_mcp import incidents
from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace
from tests.support.checkout import COMPANY_OS
from tests.support.company_os import company_os_problems

T0 = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # a Tuesday, 02:00 UTC
DEADLINE_S = 60  # hang protection only


def at(minutes: float) -> dt.datetime:
    """T0 plus some minutes."""
    return T0 + dt.timedelta(minutes=minutes)


def stamp(minutes: float) -> str:
    """T0 plus some minutes, as the records write it."""
    return at(minutes).strftime("%Y-%m-%dT%H:%M:%SZ")


def artifacts_workspace(root: Path) -> Workspace:
    """A workspace at ``root`` holding Company OS's example artifacts (and no config)."""
    shutil.copytree(COMPANY_OS / "artifacts", root / "artifacts")
    return Workspace.at(root)


def flow_times() -> dict[str, str]:
    """Event times for the flow: detection 50 minutes ago, everything since then, all in the past."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=50)
    offsets = {"detected": 0, "ack": 2, "check": 4, "comm1": 9, "root": 15, "mitigate": 18, "monitor": 20,
               "resolved": 35, "comm2": 36}
    return {k: (start + dt.timedelta(minutes=v)).strftime("%Y-%m-%dT%H:%M:%SZ") for k, v in offsets.items()}


POSTMORTEM: dict[str, Any] = {
    "whys": ["Checkout returned 500s", "The orders table was locked", "A migration built an index without "
             "CONCURRENTLY", "Migrations are not reviewed for locks", "There is no migration checklist"],
    "contributing_factors": ["Deployed at peak traffic", "No alert on checkout error rate"],
    "impact": {"users": "~30% of checkouts for 35 minutes", "revenue": "~$400", "data": "none",
               "reputation": "two support emails"},
    "remediation": [
        {"horizon": "immediate", "action": "Rolled back release v42"},
        {"horizon": "short_term", "action": "Lint migrations for locking DDL", "owner": "me", "due": "2030-01-10"},
    ],
    "follow_ups": [{"item": "Refund failed orders", "owner": "me", "due": "2030-01-05"}],
    "lessons": {"went_well": "Rollback took two minutes", "went_poorly": "Status page went up late",
                "got_lucky": "Low traffic at night"},
}


def check_incident_files(ws: Workspace, incident_id: str) -> None:
    """The record parses, passes Company OS's rules and ours, and may go to review."""
    report = validate_workspace(ws)
    assert [p for p in report.problems if p.severity == "error"] == []
    index = ArtifactIndex.build(ws)
    assert all(entry.error is None for entry in index.entries), [e.error for e in index.entries]
    artifact = index.get(incident_id)
    assert company_os_problems(ws.root, ws.root / artifact.rel) == []
    assert incidents.incident_record_problems(artifact) == []
    assert incidents.incident_review_gate(artifact, "review") == []
