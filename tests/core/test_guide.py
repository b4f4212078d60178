"""Prompts and resources through the real MCP client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.shared.exceptions import MCPError

from incident_mcp.incidents import open_incident
from incident_mcp.server import build_server
from incident_mcp.workspace import Workspace


def _with_client(ws: Path, action: Any) -> Any:
    """Run ``action`` with a connected client; an MCP error comes back as the exception object."""
    async def go() -> Any:
        async with Client(build_server(str(ws))) as client:
            try:
                return await action(client)
            except MCPError as err:
                return err
    return asyncio.run(go())


def test_the_three_workflow_prompts_are_listed_and_render_with_their_arguments(example_ws: Path) -> None:
    async def action(client: Client) -> Any:
        names = [p.name for p in (await client.list_prompts()).prompts]
        live = await client.get_prompt("handle_live_incident", {"symptom": "checkout returns 500"})
        return names, live
    names, live = _with_client(example_ws, action)
    assert names == ["establish_incident_process", "handle_live_incident", "post_incident_review"]
    assert "checkout returns 500" in live.messages[0].content.text


def test_the_runbook_resource_says_how_to_create_it_when_missing_and_serves_it_when_present(
        example_ws: Path) -> None:
    async def read(client: Client) -> Any:
        return await client.read_resource("incident://runbook")
    missing = _with_client(example_ws, read)
    assert isinstance(missing, MCPError) and "generate_runbook" in str(missing)
    (example_ws / "standards" / "ops").mkdir(parents=True)
    (example_ws / "standards" / "ops" / "incident-runbook.md").write_text("# Runbook\n")
    result = _with_client(example_ws, read)
    assert result.contents[0].text == "# Runbook\n"


def test_an_incident_resource_refuses_anything_but_an_incident_id(example_ws: Path) -> None:
    async def read(client: Client) -> Any:
        return await client.read_resource("incident://..%2Fcompany.config.yaml")
    assert isinstance(_with_client(example_ws, read), MCPError)


def test_an_incident_resource_serves_the_record_as_written_and_refuses_look_alike_ids(example_ws: Path) -> None:
    opened = open_incident(Workspace.at(example_ws), title="Checkout returns 500", severity="P1")

    async def read_both(client: Client) -> Any:
        good = await client.read_resource(f"incident://{opened.id}")
        try:
            await client.read_resource("incident://INC-٠٠١")
        except MCPError as err:
            return good, err
        return good, None

    good, refused = _with_client(example_ws, read_both)
    assert good.contents[0].text == (example_ws / opened.path).read_text()
    assert isinstance(refused, MCPError) and "INC-NNN" in str(refused)
