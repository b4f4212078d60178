"""Records at their limits: incident ids stay inside the reading rules, one event and one record are bounded, and
a record the tools wrote can always be read, updated, drafted from and resolved through every tool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from incident_mcp import incidents
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.lifecycle import next_free_number
from incident_mcp.incidents.record import MAX_EVENT_BYTES, MAX_RECORD_BYTES, MAX_RECORD_WRITE_BYTES, MAX_TEXT
from incident_mcp.server.app import build_server
from incident_mcp.workspace import Workspace
from tests.support.mcp_client import first_text, result_text

MEMOS = "artifacts/decision-memos"


def _memo(ident: str) -> str:
    return (f"---\nid: {ident}\ntype: decision-memo\ntitle: Planted\nstatus: draft\ncreated: 2026-03-01\n"
            "author: x\n---\n\n# Memo\n")


async def _calls(ws: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async with Client(build_server(str(ws))) as client:
        return [await client.call_tool(tool, args) for tool, args in calls]


def _call(ws: Path, tool: str, args: dict[str, Any]) -> Any:
    return asyncio.run(_calls(ws, [(tool, args)]))[0]


# ---- ids ------------------------------------------------------------------------------------------------


def test_an_id_planted_at_the_top_of_the_range_does_not_push_the_next_id_past_twelve_digits(
        example_ws: Path, run_cli: Callable[..., Any]) -> None:
    (example_ws / MEMOS / "DM-999-planted.md").write_text(_memo("INC-999999999999"), encoding="utf-8")
    ws = Workspace.at(example_ws)
    opened = incidents.open_incident(ws, title="API down", severity="P1")
    assert len(opened.id) <= len("INC-") + 12
    assert incidents.get_incident(ws, opened.id).id == opened.id
    shown = run_cli("incident", "show", opened.id, "--workspace", str(example_ws))
    assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize("digits", [13, 5_000])
def test_an_artifact_id_with_too_many_digits_never_breaks_opening_and_is_reported(
        example_ws: Path, run_cli: Callable[..., Any], digits: int) -> None:
    long_id = "INC-" + "9" * digits
    (example_ws / MEMOS / "DM-998-planted.md").write_text(_memo(long_id), encoding="utf-8")
    (example_ws / MEMOS / f"{long_id[:60]}-planted.md").write_text(_memo(long_id), encoding="utf-8")
    result = run_cli("incident", "open", "--title", "API down", "--severity", "P1", "--workspace", str(example_ws))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    over_mcp = _call(example_ws, "open_incident", {"title": "DB down", "severity": "P0"})
    assert not over_mcp.is_error, result_text(over_mcp)
    listed = incidents.list_incidents(Workspace.at(example_ws))
    assert any("more than 12 digits" in line for line in listed.skipped)
    checked = run_cli("validate", "--workspace", str(example_ws))
    assert "more than 12 digits" in checked.stdout and "Traceback" not in checked.stderr


def test_next_free_number_skips_the_top_of_the_range_and_fills_after_the_highest_below_it() -> None:
    assert next_free_number(set()) == 1
    assert next_free_number({1, 2, 3}) == 4
    assert next_free_number({1, 2, 999_999_999_999}) == 3
    assert next_free_number({1, 999_999_999_998, 999_999_999_999}) == 2


# ---- record size ----------------------------------------------------------------------------------------


def test_one_event_of_199000_emoji_is_refused_with_the_limit_in_the_message(example_ws: Path) -> None:
    ws = Workspace.at(example_ws)
    opened = incidents.open_incident(ws, title="API down", severity="P0")
    with pytest.raises(IncidentError, match=f"at most {MAX_EVENT_BYTES:,} bytes"):
        incidents.update_incident(ws, opened.id, event="note", text="🔥" * 199_000)
    result = _call(example_ws, "update_incident", {"incident_id": opened.id, "event": "note",
                                                   "text": "🔥" * 199_000})
    assert result.is_error and f"{MAX_EVENT_BYTES:,}" in first_text(result)


def test_a_record_filled_to_its_limit_still_reads_lists_drafts_and_resolves_through_every_tool(
        example_ws: Path) -> None:
    ws = Workspace.at(example_ws)
    opened = incidents.open_incident(ws, title="API down", severity="P0", services=["api"])
    path = example_ws / opened.path
    note = "|\x01" * (min(MAX_TEXT, MAX_EVENT_BYTES) // 2)  # escaped in YAML and in the body: fills fast
    refused = None
    for _ in range(40):
        try:
            incidents.update_incident(ws, opened.id, event="note", text=note)
        except IncidentError as err:
            refused = str(err)
            break
    assert refused is not None and f"at most {MAX_RECORD_WRITE_BYTES:,}" in refused
    assert path.stat().st_size <= MAX_RECORD_WRITE_BYTES
    results = asyncio.run(_calls(example_ws, [
        ("get_incident", {"incident_id": opened.id}),
        ("list_incidents", {"state": ["open"]}),
        ("draft_communication", {"kind": "status_page", "incident_id": opened.id}),
        ("update_incident", {"incident_id": opened.id, "event": "note", "text": "one more"}),
        ("validate_artifacts", {"paths": [opened.path]}),
        ("load_context", {}),
        ("update_incident", {"incident_id": opened.id, "state": "resolved", "text": note}),
        ("get_incident", {"incident_id": opened.id}),
        ("draft_communication", {"kind": "postmortem_invite", "incident_id": opened.id}),
        ("record_postmortem", {"incident_id": opened.id, "whys": ["a", "b", "c", "d", "e"]}),
    ]))
    get, listed, draft, more, valid, context, resolved, after, invite, postmortem = results
    for result in (get, listed, draft, valid, context, resolved, after, invite):
        assert not result.is_error, result_text(result)[:300]
    assert opened.id in result_text(listed)
    assert not more.is_error or "at most" in first_text(more)  # a small note may still fit
    assert after.structured_content["record"]["incident_state"] == "resolved"
    assert postmortem.is_error is False or "at most" in first_text(postmortem)
    assert path.stat().st_size <= MAX_RECORD_BYTES


def test_an_unreadable_record_is_listed_as_skipped_not_dropped(example_ws: Path,
                                                               run_cli: Callable[..., Any]) -> None:
    ws = Workspace.at(example_ws)
    kept = incidents.open_incident(ws, title="Kept", severity="P2")
    huge = incidents.open_incident(ws, title="Huge", severity="P0")
    with (example_ws / huge.path).open("r+b") as handle:
        handle.truncate(MAX_RECORD_BYTES + 1)  # sparse: no real 16 MB written
    listed = incidents.list_incidents(ws)
    assert [s.id for s in listed.incidents] == [kept.id]
    assert any(huge.path in line and "larger than" in line for line in listed.skipped)
    shown = run_cli("incident", "list", "--workspace", str(example_ws))
    assert shown.returncode == 0 and huge.path in shown.stderr
