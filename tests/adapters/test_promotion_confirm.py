"""Archiving is irreversible: promote_artifact says so in its annotations and asks before it archives,
through MCP elicitation when the client can ask, else by an explicit confirm argument."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import anyio
import pytest
from mcp import Client
from mcp_types import ElicitRequestParams, ElicitResult

from incident_mcp.server import build_server
from tests.support.mcp_client import first_text

RFC = "artifacts/rfcs/RFC-002-auth-sessions.md"


ElicitValue = str | int | float | bool | list[str] | None  # what an elicitation answer may hold


def status_of(ws: Path) -> str:
    return next(line for line in (ws / RFC).read_text().splitlines() if line.startswith("status:"))


def promote(ws: Path, args: dict[str, Any], *, answer: dict[str, ElicitValue] | None = None,
            action: Literal["accept", "decline", "cancel"] = "accept", mode: str = "legacy") -> tuple[Any, list[str]]:
    asked: list[str] = []

    async def on_elicit(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content=answer)

    async def go() -> Any:
        with anyio.fail_after(30):
            async with Client(build_server(str(ws)), mode=mode,
                              elicitation_callback=on_elicit if answer is not None else None) as client:
                return await client.call_tool("promote_artifact", {"artifact": "RFC-002", "to": "archived", **args})
    return anyio.run(go), asked


def test_promote_artifact_is_annotated_as_destructive(example_ws: Path) -> None:
    async def go() -> Any:
        async with Client(build_server(str(example_ws))) as client:
            return (await client.list_tools()).tools
    tool = next(t for t in anyio.run(go) if t.name == "promote_artifact")
    assert tool.annotations is not None and tool.annotations.destructive_hint is True
    assert tool.annotations.read_only_hint is False and tool.annotations.idempotent_hint is False


def test_archiving_without_confirmation_changes_nothing_and_says_how_to_confirm(example_ws: Path) -> None:
    before = status_of(example_ws)
    result, asked = promote(example_ws, {})
    assert result.is_error and asked == []
    text = first_text(result)
    assert f"archiving {RFC}" in text and "cannot be undone" in text and "confirm=true" in text
    assert status_of(example_ws) == before


def test_archiving_with_confirm_true_archives(example_ws: Path) -> None:
    result, _ = promote(example_ws, {"confirm": True})
    assert not result.is_error, result.content
    assert result.structured_content["to_status"] == "archived" and status_of(example_ws) == "status: archived"


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_client_that_can_ask_shows_the_exact_change_and_archives_on_yes(example_ws: Path, mode: str) -> None:
    before = status_of(example_ws).removeprefix("status: ")
    result, asked = promote(example_ws, {}, answer={"archive": True}, mode=mode)
    assert not result.is_error, result.content
    assert asked == [f"Archive {RFC}? Its status changes {before} → archived, and an archived artifact can never "
                     "be promoted again."]
    assert status_of(example_ws) == "status: archived"


@pytest.mark.parametrize(("answer", "action"), [({"archive": False}, "accept"), ({}, "decline"), ({}, "cancel")])
def test_a_user_who_says_no_keeps_the_artifact(example_ws: Path, answer: dict[str, ElicitValue],
                                              action: Literal["accept", "decline", "cancel"]) -> None:
    before = status_of(example_ws)
    result, asked = promote(example_ws, {}, answer=answer, action=action)
    assert result.is_error and len(asked) == 1 and "Nothing changed" in first_text(result)
    assert status_of(example_ws) == before


def test_other_promotions_need_no_confirmation(example_ws: Path) -> None:
    async def go() -> Any:
        async with Client(build_server(str(example_ws))) as client:
            return await client.call_tool("promote_artifact", {"artifact": "DM-001", "to": "review"})
    result = anyio.run(go)
    assert not result.is_error or "confirm" not in first_text(result)
