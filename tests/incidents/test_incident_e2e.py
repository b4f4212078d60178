"""End to end over MCP: a complete incident driven through every incident tool by the real MCP Client over
stdio; the resulting record passes validation. (The same flow through the CLI: test_incident_cli.py.)"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from incident_mcp import incidents
from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.errors import PromotionError
from incident_mcp.promotion import promote
from incident_mcp.server import build_server
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace
from tests.test_incidents import company_os_problems

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "company-os"
DEADLINE_S = 60  # hang protection only


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("INCIDENT_MCP_WORKSPACE", None)
    return env


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


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    shutil.copytree(FIXTURES / "artifacts", tmp_path / "artifacts")
    return Workspace.at(tmp_path)


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


async def _call(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, (name, result.content)
    assert result.structured_content is not None
    return result.structured_content


def test_a_complete_incident_through_every_tool_over_stdio(ws: Workspace) -> None:
    t = flow_times()
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "incident_mcp", "serve", "--workspace", str(ws.root)],
                                   env=cli_env(), cwd=str(ws.root))

    async def flow() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with anyio.fail_after(DEADLINE_S):
            async with Client(params) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert {"classify_severity", "open_incident", "update_incident", "get_incident", "list_incidents",
                        "draft_communication", "record_postmortem"} <= names
                cls = await _call(client, "classify_severity", {"core_flows_broken": ["payments"],
                                                                "users_affected": "some"})
                assert cls["severity"] == "P1"
                opened = await _call(client, "open_incident", {
                    "title": "Checkout returns 500", "severity": cls["severity"], "summary": "Some users cannot pay",
                    "services": ["api", "web"], "detected_at": t["detected"], "depends_on": ["RFC-EXAMPLE-001"]})
                inc = opened["id"]
                seen["opened"] = opened
                await _call(client, "update_incident", {"incident_id": inc, "event": "acknowledged", "at": t["ack"]})
                await _call(client, "update_incident", {"incident_id": inc, "event": "status_check",
                                                        "overall": "degraded", "text": "api DEGRADED 3.1 s",
                                                        "at": t["check"]})
                draft = await _call(client, "draft_communication", {"kind": "status_page"})
                seen["status_page"] = draft
                await _call(client, "update_incident", {"incident_id": inc, "event": "communication",
                                                        "channel": "status_page", "text": draft["subject"],
                                                        "at": t["comm1"]})
                await _call(client, "update_incident", {"incident_id": inc, "event": "root_cause",
                                                        "text": "migration locked orders", "at": t["root"]})
                await _call(client, "update_incident", {"incident_id": inc, "event": "mitigation",
                                                        "mitigation": "rollback", "text": "Rolled back v42",
                                                        "at": t["mitigate"]})
                await _call(client, "update_incident", {"incident_id": inc, "state": "monitoring",
                                                        "at": t["monitor"]})
                resolved = await _call(client, "update_incident", {"incident_id": inc, "state": "resolved",
                                                                   "text": "error rate normal", "at": t["resolved"]})
                assert resolved["state"] == "resolved"
                again = await client.call_tool("update_incident", {"incident_id": inc, "event": "resolved"})
                assert again.is_error and "already resolved" in again.content[0].text  # type: ignore[union-attr]
                seen["email"] = await _call(client, "draft_communication", {"kind": "email", "incident_id": inc})
                seen["invite"] = await _call(client, "draft_communication", {"kind": "postmortem_invite",
                                                                             "incident_id": inc})
                await _call(client, "update_incident", {"incident_id": inc, "event": "communication",
                                                        "channel": "email", "text": "sent", "at": t["comm2"]})
                partial = await _call(client, "record_postmortem", {"incident_id": inc,
                                                                    "whys": POSTMORTEM["whys"][:2]})
                assert not partial["complete"]
                done = await _call(client, "record_postmortem", {"incident_id": inc, **POSTMORTEM})
                assert done["complete"] and "missing" not in done, "lean answers leave empty lists out"
                seen["view"] = await _call(client, "get_incident", {"incident_id": inc})
                seen["list"] = await _call(client, "list_incidents", {"state": ["resolved"]})
        return seen

    seen = anyio.run(flow)
    inc = seen["opened"]["id"]
    assert inc == "INC-001"
    assert seen["opened"]["path"] == "artifacts/decision-memos/INC-001-checkout-returns-500.md"
    assert seen["status_page"]["subject"] == "[Product Name] - Investigating", "no config: the product is a placeholder"
    assert "Duration:" in seen["email"]["text"] and "Current Status: Resolved" in seen["email"]["text"]
    assert seen["invite"]["subject"] == "Post-mortem review: INC-001 - [date and time]"
    actions = {a["key"]: a["status"] for a in seen["view"]["next_actions"]}
    assert actions["resolve"] == "done" and actions["postmortem"] == "done"
    assert actions["resolution_communication"] == "done"
    assert [i["id"] for i in seen["list"]["incidents"]] == [inc]
    record = incidents.read_incident(ws, inc).record
    assert [e.kind for e in record.timeline] == ["detected", "acknowledged", "status_check", "communication",
                                                "root_cause", "mitigation", "state_change", "resolved",
                                                "communication"]
    check_incident_files(ws, inc)


def test_tool_errors_reach_the_client_as_clear_messages(ws: Workspace) -> None:
    async def flow() -> list[str]:
        async with Client(build_server(str(ws.root))) as client:
            messages = []
            for name, args in (("open_incident", {"title": "x", "severity": "P1", "depends_on": ["NOPE-1"]}),
                               ("update_incident", {"incident_id": "INC-404", "event": "acknowledged"}),
                               ("get_incident", {})):
                result = await client.call_tool(name, args)
                assert result.is_error
                messages.append(result.content[0].text)  # type: ignore[union-attr]
            return messages

    messages = anyio.run(flow)
    assert "no artifact with id 'NOPE-1'" in messages[0]
    assert "no incident INC-404" in messages[1]
    assert "no open incident" in messages[2]


def test_a_read_only_server_offers_only_the_tools_that_write_nothing(ws: Workspace) -> None:
    async def flow() -> dict[str, Any]:
        async with Client(build_server(str(ws.root), read_only=True)) as client:
            return {tool.name: tool.annotations for tool in (await client.list_tools()).tools}

    tools = anyio.run(flow)
    assert {"classify_severity", "get_incident", "list_incidents", "draft_communication"} <= set(tools)
    assert not {"open_incident", "update_incident", "record_postmortem"} & set(tools)
    assert all(a is not None and a.read_only_hint for a in tools.values())


def test_tool_annotations_tell_the_truth(ws: Workspace) -> None:
    async def flow() -> dict[str, Any]:
        async with Client(build_server(str(ws.root))) as client:
            return {tool.name: tool.annotations for tool in (await client.list_tools()).tools}

    tools = anyio.run(flow)
    assert not tools["open_incident"].read_only_hint and not tools["open_incident"].idempotent_hint
    assert not tools["update_incident"].idempotent_hint and not tools["update_incident"].destructive_hint
    assert tools["record_postmortem"].idempotent_hint and not tools["record_postmortem"].read_only_hint


def test_promoting_an_unfinished_incident_to_review_lists_exactly_what_is_missing(ws: Workspace) -> None:
    opened = incidents.open_incident(ws, title="Search is slow", severity="P2", summary="Slow search",
                                     services=["api"])
    with pytest.raises(PromotionError) as refused:
        promote(ws, opened.id, "review")
    message = str(refused.value)
    assert "not resolved" in message and "why" in message.lower()
    assert "status: draft" in (ws.root / opened.path).read_text()
