"""End to end over MCP: a complete incident driven through every incident tool by the real MCP Client over
stdio; the resulting record passes validation. (The same flow through the CLI: test_incident_cli.py.)"""

from __future__ import annotations

import sys
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from incident_mcp import incidents
from incident_mcp.errors import PromotionError
from incident_mcp.promotion import promote
from incident_mcp.server import build_server
from incident_mcp.workspace import Workspace
from tests.support.checkout import cli_env
from tests.support.incident_flow import DEADLINE_S, POSTMORTEM, check_incident_files, flow_times
from tests.support.mcp_client import first_text


async def _call(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, (name, result.content)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


async def _respond(client: Client, t: dict[str, str]) -> dict[str, Any]:
    """Classify, open, acknowledge, check, communicate, find the cause, mitigate, monitor and resolve."""
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"classify_severity", "open_incident", "update_incident", "get_incident", "list_incidents",
            "draft_communication", "record_postmortem"} <= names
    cls = await _call(client, "classify_severity", {"core_flows_broken": ["payments"], "users_affected": "some"})
    assert cls["severity"] == "P1"
    opened = await _call(client, "open_incident", {
        "title": "Checkout returns 500", "severity": cls["severity"], "summary": "Some users cannot pay",
        "services": ["api", "web"], "detected_at": t["detected"], "depends_on": ["RFC-EXAMPLE-001"]})
    inc = opened["id"]
    await _call(client, "update_incident", {"incident_id": inc, "event": "acknowledged", "at": t["ack"]})
    await _call(client, "update_incident", {"incident_id": inc, "event": "status_check", "overall": "degraded",
                                            "text": "api DEGRADED 3.1 s", "at": t["check"]})
    draft = await _call(client, "draft_communication", {"kind": "status_page"})
    await _call(client, "update_incident", {"incident_id": inc, "event": "communication", "channel": "status_page",
                                            "text": draft["subject"], "at": t["comm1"]})
    await _call(client, "update_incident", {"incident_id": inc, "event": "root_cause",
                                            "text": "migration locked orders", "at": t["root"]})
    await _call(client, "update_incident", {"incident_id": inc, "event": "mitigation", "mitigation": "rollback",
                                            "text": "Rolled back v42", "at": t["mitigate"]})
    await _call(client, "update_incident", {"incident_id": inc, "state": "monitoring", "at": t["monitor"]})
    resolved = await _call(client, "update_incident", {"incident_id": inc, "state": "resolved",
                                                       "text": "error rate normal", "at": t["resolved"]})
    assert resolved["state"] == "resolved"
    again = await client.call_tool("update_incident", {"incident_id": inc, "event": "resolved"})
    assert again.is_error and "already resolved" in first_text(again)
    return {"opened": opened, "status_page": draft}


async def _follow_up(client: Client, inc: str, t: dict[str, str], seen: dict[str, Any]) -> None:
    """Draft the customer email and the review invite, record the post-mortem, read the incident back."""
    seen["email"] = await _call(client, "draft_communication", {"kind": "email", "incident_id": inc})
    seen["invite"] = await _call(client, "draft_communication", {"kind": "postmortem_invite", "incident_id": inc})
    await _call(client, "update_incident", {"incident_id": inc, "event": "communication", "channel": "email",
                                            "text": "sent", "at": t["comm2"]})
    partial = await _call(client, "record_postmortem", {"incident_id": inc, "whys": POSTMORTEM["whys"][:2]})
    assert not partial["complete"]
    done = await _call(client, "record_postmortem", {"incident_id": inc, **POSTMORTEM})
    assert done["complete"] and "missing" not in done, "lean answers leave empty lists out"
    seen["view"] = await _call(client, "get_incident", {"incident_id": inc})
    seen["list"] = await _call(client, "list_incidents", {"state": ["resolved"]})


def test_a_complete_incident_through_every_tool_over_stdio(ws: Workspace) -> None:
    t = flow_times()
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "incident_mcp", "serve", "--workspace", str(ws.root)],
                                   env=cli_env(), cwd=str(ws.root))

    async def flow() -> dict[str, Any]:
        with anyio.fail_after(DEADLINE_S):
            async with Client(params) as client:
                seen = await _respond(client, t)
                await _follow_up(client, seen["opened"]["id"], t, seen)
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
                messages.append(first_text(result))
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
