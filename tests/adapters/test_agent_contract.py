"""The agent's contract through the real MCP Client: strict arguments, actionable errors, lean answers,
no duplicate incidents, and customer drafts built from public fields only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from incident_mcp.server import build_server
from tests.support.checkout import cli_env
from tests.support.mcp_client import first_text

DEADLINE_S = 60


async def call(client: Client, name: str, args: dict[str, Any]) -> Any:
    with anyio.fail_after(DEADLINE_S):
        return await client.call_tool(name, args)


def error_text(result: Any) -> str:
    assert result.is_error, result.structured_content
    return " ".join(block.text for block in result.content)


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


def run(example_ws: Path, steps: Any) -> Any:
    async def go() -> Any:
        async with Client(build_server(str(example_ws))) as client:
            return await steps(client)
    return anyio.run(go)


# ---- strict arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tool", "args", "expected"), [
    ("classify_severity", {"signals": {"core_flows_broken": ["payments"], "users_affected": "some"}},
     ["unknown argument 'signals'", "pass its fields directly (core_flows_broken=…, users_affected=…)",
      "accepted arguments: users_affected,"]),
    ("list_incidents", {"states": ["investigating"]}, ["unknown argument 'states'", "did you mean 'state'?"]),
    ("check_status", {"service": "invoice-pdf"}, ["unknown argument 'service'", "did you mean 'services'?"]),
    ("open_incident", {"title": "API down", "severity": "P0", "service": "api"},
     ["unknown argument 'service'", "did you mean 'services'?"]),
    ("record_postmortem", {"incident_id": "INC-001", "impact": {"user": "all"}},
     ["unknown field 'user' in impact", "did you mean 'users'?", "impact takes: users, revenue, data, reputation"]),
    ("record_postmortem", {"incident_id": "INC-001",
                           "remediation": [{"horizon": "immediate", "action": "x", "owner_name": "me"}]},
     ["unknown field 'owner_name' in remediation.0", "did you mean 'owner'?", "horizon, action, owner, due, done"]),
    ("load_context", {"verbose": True}, ["unknown argument 'verbose'", "accepted arguments: nothing"]),
    ("rollback_plan", {"kind": ["database"]}, ["did you mean 'kinds'?"]),
])
def test_an_unknown_argument_is_refused_naming_it_the_closest_name_and_the_accepted_ones(
        example_ws: Path, tool: str, args: dict[str, Any], expected: list[str]) -> None:
    result = run(example_ws, lambda c: call(c, tool, args))
    text = error_text(result)
    for part in expected:
        assert part in text, text


@pytest.mark.parametrize(("tool", "args", "expected"), [
    ("classify_severity", {"users_affected": "Al"}, ["users_affected:", "(got \"Al\")", "did you mean 'all'?"]),
    ("list_incidents", {"state": ["open", "resolvd"]}, ["state.1:", "did you mean 'resolved'?"]),
    ("update_incident", {"incident_id": "INC-001", "event": "identified"},
     ["event:", "'identified' is a value of state: pass state=\"identified\""]),
    ("open_incident", {"title": "x"}, ["severity: required argument missing"]),
])
def test_a_wrong_value_is_one_line_with_what_is_accepted_and_no_library_links(
        example_ws: Path, tool: str, args: dict[str, Any], expected: list[str]) -> None:
    text = error_text(run(example_ws, lambda c: call(c, tool, args)))
    for part in expected:
        assert part in text, text
    assert "pydantic" not in text and "http" not in text and "\n" not in text


def test_an_event_that_is_a_state_points_to_the_state_argument(example_ws: Path) -> None:
    async def steps(client: Client) -> str:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        return error_text(await call(client, "update_incident", {"incident_id": opened["id"], "event": "identified"}))
    text = run(example_ws, steps)
    assert 'pass state="identified"' in text, text


@pytest.mark.parametrize(("tool", "args"), [
    ("open_incident", {"title": "Invoices broken", "severity": "P2", "services": ["invoice-pdf"]}),
    ("check_status", {"services": ["invoice-pdf"]}),
])
def test_an_unknown_service_is_refused_with_the_configured_names(example_ws: Path, tool: str,
                                                                 args: dict[str, Any]) -> None:
    text = error_text(run(example_ws, lambda c: call(c, tool, args)))
    assert "unknown service 'invoice-pdf'" in text and "web, api, help-center" in text, text


def test_a_service_in_the_wrong_case_is_refused_with_the_right_spelling_suggested(example_ws: Path) -> None:
    text = error_text(run(example_ws, lambda c: call(c, "open_incident", {
        "title": "API down", "severity": "P1", "services": ["API"]})))
    assert "did you mean 'api'?" in text


def test_update_incident_adds_affected_services_checked_against_the_config(example_ws: Path) -> None:
    async def steps(client: Client) -> tuple[str, dict[str, Any]]:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        bad = error_text(await call(client, "update_incident", {"incident_id": opened["id"], "services": ["wbe"]}))
        ok(await call(client, "update_incident", {"incident_id": opened["id"], "services": ["web"]}))
        return bad, ok(await call(client, "get_incident", {"incident_id": opened["id"]}))
    bad, view = run(example_ws, steps)
    assert "did you mean 'web'?" in bad
    assert view["record"]["services"] == ["api", "web"]


# ---- lean answers -------------------------------------------------------------------------------------------


def _empties(value: Any, where: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None or item == "" or item == [] or item == {}:
                found.append(f"{where}{key}")
            found += _empties(item, f"{where}{key}.")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _empties(item, f"{where}{index}.")
    return found


def test_answers_carry_no_null_or_empty_fields_and_compact_json(example_ws: Path) -> None:
    async def steps(client: Client) -> list[Any]:
        opened = await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]})
        return [opened, await call(client, "get_incident", {}), await call(client, "list_incidents", {}),
                await call(client, "rollback_plan", {}), await call(client, "load_context", {}),
                await call(client, "classify_severity", {"outage": True, "users_affected": "all"})]
    for result in run(example_ws, steps):
        data = ok(result)
        assert _empties(data) == []
        [block] = result.content
        assert block.text == json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def test_descriptions_carry_no_source_indentation(example_ws: Path) -> None:
    async def steps(client: Client) -> Any:
        return (await client.list_tools()).tools
    for tool in run(example_ws, steps):
        assert tool.description and not re.search(r"\n {2,}\S", tool.description), tool.name


def test_get_incident_stays_small_however_long_the_timeline(example_ws: Path) -> None:
    async def steps(client: Client) -> tuple[Any, Any]:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        for n in range(40):
            text = f"note {n}: " + "still failing, " * (8 if n < 37 else 400)  # the last three: pasted logs
            ok(await call(client, "update_incident", {"incident_id": opened["id"], "event": "note", "text": text}))
        return (await call(client, "get_incident", {}),
                await call(client, "get_incident", {"incident_id": opened["id"], "timeline": "all"}))
    recent, whole = run(example_ws, steps)
    lean = ok(recent)
    assert len(first_text(recent).encode()) <= 4096
    assert lean["timeline_events"] == 41 and lean["timeline_omitted"] == 33 and lean["event_counts"]["note"] == 40
    assert len(lean["record"]["timeline"]) == 8 and lean["record"]["timeline"][-1]["text"].startswith("note 39")
    assert len(ok(whole)["record"]["timeline"]) == 41
    assert len(ok(whole)["record"]["timeline"][-1]["text"]) > 5000, "the whole text on request"


# ---- duplicates and closing ---------------------------------------------------------------------------------


def test_a_second_incident_for_an_open_one_is_refused_with_the_ways_forward(example_ws: Path) -> None:
    async def steps(client: Client) -> list[Any]:
        first = ok(await call(client, "open_incident", {"title": "API down", "severity": "P0", "services": ["api"]}))
        same_service = error_text(await call(client, "open_incident", {
            "title": "Webhooks failing", "severity": "P1", "services": ["web", "api"]}))
        same_title = error_text(await call(client, "open_incident", {"title": "api  DOWN", "severity": "P0"}))
        dup = ok(await call(client, "open_incident", {"title": "Webhooks failing", "severity": "P1",
                                                      "services": ["api"], "duplicate_of": first["id"]}))
        separate = ok(await call(client, "open_incident", {"title": "Web slow", "severity": "P2",
                                                           "services": ["api"], "force": True}))
        latest = ok(await call(client, "get_incident", {}))
        return [first, same_service, same_title, dup, separate, latest]
    _first, same_service, same_title, dup, separate, latest = run(example_ws, steps)
    for text in (same_service, same_title):
        assert "INC-001" in text and 'duplicate_of="INC-001"' in text and "force=true" in text
        assert 'update_incident(incident_id="INC-001"' in text
    assert "covers api" in same_service and "same title" in same_title
    assert dup["closed_as"] == "duplicate" and dup["duplicate_of"] == "INC-001" and dup["state"] == "resolved"
    assert latest["id"] == separate["id"] and latest["other_open"] == ["INC-001: API down"]
    assert "most recently detected open incident" in latest["chosen"]


def test_latest_open_never_lands_on_a_closed_or_archived_record(example_ws: Path) -> None:
    async def steps(client: Client) -> list[Any]:
        real = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        alarm = ok(await call(client, "open_incident", {"title": "Web blip", "severity": "P3", "services": ["web"]}))
        closed = ok(await call(client, "update_incident", {"incident_id": alarm["id"], "closed_as": "false_alarm"}))
        after_close = ok(await call(client, "get_incident", {}))
        draft = ok(await call(client, "draft_communication", {"kind": "status_page"}))
        ok(await call(client, "update_incident", {"incident_id": real["id"], "event": "resolved"}))
        none_left = error_text(await call(client, "get_incident", {}))
        return [closed, after_close, draft, none_left, alarm]
    closed, after_close, draft, none_left, alarm = run(example_ws, steps)
    assert closed["state"] == "resolved" and closed["closed_as"] == "false_alarm" and "next_actions" not in closed
    assert after_close["id"] == "INC-001" and draft["id"] == "INC-001"
    assert "no open incident" in none_left
    record = next((example_ws / "artifacts" / "decision-memos").glob(f"{alarm['id']}-*.md")).read_text()
    assert "closed_as: false_alarm" in record


def test_an_archived_open_record_is_not_the_latest_open_one(example_ws: Path) -> None:
    async def steps(client: Client) -> tuple[Any, Any]:
        ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        second = ok(await call(client, "open_incident", {"title": "Web down", "severity": "P1", "services": ["web"]}))
        path = example_ws / second["path"]
        path.write_text(path.read_text().replace("status: draft", "status: archived", 1))
        return ok(await call(client, "get_incident", {})), second
    latest, second = run(example_ws, steps)
    assert latest["id"] == "INC-001" != second["id"]


def test_a_duplicate_or_false_alarm_needs_no_post_mortem_and_validates_clean(example_ws: Path) -> None:
    async def steps(client: Client) -> list[Any]:
        ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        dup = ok(await call(client, "open_incident", {"title": "API 503", "severity": "P1", "services": ["api"],
                                                      "duplicate_of": "INC-001"}))
        view = ok(await call(client, "get_incident", {"incident_id": dup["id"]}))
        promoted = await call(client, "promote_artifact", {"artifact": dup["id"], "to": "review"})
        report = ok(await call(client, "validate_artifacts", {}))
        return [view, promoted, report]
    view, promoted, report = run(example_ws, steps)
    assert "postmortem_missing" not in view and "next_actions" not in view
    assert not promoted.is_error, promoted.content
    assert report["errors"] == 0, report


def test_closing_as_duplicate_needs_the_incident_it_repeats(example_ws: Path) -> None:
    async def steps(client: Client) -> list[str]:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        return [error_text(await call(client, "update_incident", {"incident_id": opened["id"],
                                                                  "closed_as": "duplicate"})),
                error_text(await call(client, "update_incident", {"incident_id": opened["id"],
                                                                  "closed_as": "duplicate",
                                                                  "duplicate_of": opened["id"]})),
                error_text(await call(client, "open_incident", {"title": "x", "severity": "P1",
                                                                "duplicate_of": "INC-404"}))]
    missing, itself, unknown = run(example_ws, steps)
    assert "needs duplicate_of" in missing and "itself" in itself and "no incident INC-404" in unknown


def test_an_update_after_resolution_says_how_to_proceed(example_ws: Path) -> None:
    async def steps(client: Client) -> str:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        ok(await call(client, "update_incident", {"incident_id": opened["id"], "event": "resolved"}))
        return error_text(await call(client, "update_incident", {"incident_id": opened["id"], "state": "resolved"}))
    text = run(example_ws, steps)
    assert "already resolved" in text and "open a new incident" in text


# ---- customer drafts are public by construction -------------------------------------------------------------


INTERNAL = {
    "title": "SECRET-TITLE-7f3a",
    "summary": "SECRET-SUMMARY-91bc",
    "note": "SECRET-NOTE-aws ecs update-service --cluster prod",
    "root_cause": "SECRET-ROOTCAUSE-22de",
    "mitigation": "Aoife ran SECRET-MITIGATION-kubectl rollout undo",
    "status": "SECRET-STATUSCHECK-5e6f",
    "communication": "SECRET-COMMS-CHANNEL-77aa",
    "reason": "SECRET-REASON-0c0c",
    "author": "SECRET-AUTHOR-Aoife",
}


def test_no_internal_text_reaches_any_customer_draft_in_any_phase(example_ws: Path) -> None:
    async def steps(client: Client) -> list[dict[str, Any]]:
        opened = ok(await call(client, "open_incident", {
            "title": INTERNAL["title"], "summary": INTERNAL["summary"], "severity": "P1", "services": ["api"],
            "author": INTERNAL["author"], "public_summary": "Some customers cannot sign in."}))
        inc = opened["id"]
        drafts: list[dict[str, Any]] = []

        async def all_drafts() -> None:
            for kind in ("status_page", "email", "postmortem_invite"):
                drafts.append(ok(await call(client, "draft_communication", {"kind": kind, "incident_id": inc})))

        for update in ({"event": "note", "text": INTERNAL["note"]},
                       {"event": "status_check", "text": INTERNAL["status"], "overall": "major_outage"},
                       {"event": "communication", "channel": INTERNAL["communication"], "text": "posted"},
                       {"event": "root_cause", "text": INTERNAL["root_cause"], "state": "identified"},
                       {"event": "mitigation", "mitigation": "rollback", "text": INTERNAL["mitigation"]},
                       {"severity": "P0", "reason": INTERNAL["reason"]},
                       {"event": "monitoring", "text": INTERNAL["note"]},
                       {"event": "resolved", "text": INTERNAL["note"]}):
            ok(await call(client, "update_incident", {"incident_id": inc, **update}))
            await all_drafts()
        return drafts
    drafts = run(example_ws, steps)
    assert len(drafts) == 24
    for draft in drafts:
        text = json.dumps(draft)
        for planted in INTERNAL.values():
            assert planted.split("-")[0] + "-" + planted.split("-")[1] not in text, (planted, draft["text"])
        assert "SECRET" not in text and "kubectl" not in text and "Aoife" not in text
        if draft["kind"] != "postmortem_invite":
            assert "Brightdesk" in draft["subject"] and "api" not in draft["subject"]
            if not (draft["kind"] == "status_page" and draft["phase"] == "resolved"):
                assert "UTC)" in draft["text"], "times in Europe/Lisbon with UTC beside"


def test_placeholders_listed_are_exactly_those_left_in_the_text(example_ws: Path) -> None:
    async def steps(client: Client) -> list[dict[str, Any]]:
        ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        return [ok(await call(client, "draft_communication", {"kind": kind}))
                for kind in ("status_page", "email", "postmortem_invite")]
    for draft in run(example_ws, steps):
        found = sorted(set(re.findall(r"\[[A-Za-z][^\]\n]*\]", draft["text"])))
        assert sorted(draft.get("placeholders", [])) == found, draft["text"]


def test_a_root_cause_with_the_state_it_implies_is_accepted(example_ws: Path) -> None:
    async def steps(client: Client) -> dict[str, Any]:
        opened = ok(await call(client, "open_incident", {"title": "API down", "severity": "P1", "services": ["api"]}))
        return ok(await call(client, "update_incident", {"incident_id": opened["id"], "event": "root_cause",
                                                         "text": "bad deploy", "state": "identified"}))
    updated = run(example_ws, steps)
    assert updated["state"] == "identified" and [e["kind"] for e in updated["added"]] == ["root_cause"]


# ---- the same contract over stdio ---------------------------------------------------------------------------


def test_the_contract_holds_over_stdio(example_ws: Path) -> None:
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "incident_mcp", "serve", "--workspace", str(example_ws)],
                                   env=cli_env(), cwd=str(example_ws))

    async def go() -> tuple[str, str, dict[str, Any]]:
        with anyio.fail_after(DEADLINE_S):
            async with Client(params) as client:
                unknown = error_text(await client.call_tool("list_incidents", {"states": ["open"]}))
                opened = ok(await client.call_tool("open_incident", {"title": "API down", "severity": "P1",
                                                                     "services": ["api"]}))
                dup = error_text(await client.call_tool("open_incident", {"title": "API 503", "severity": "P1",
                                                                          "services": ["api"]}))
                return unknown, dup, opened
    unknown, dup, opened = anyio.run(go)
    assert "did you mean 'state'?" in unknown
    assert opened["id"] in dup and "duplicate_of" in dup


def test_an_unknown_tool_name_gets_the_closest_one(example_ws: Path) -> None:
    text = error_text(run(example_ws, lambda c: call(c, "get_incidents", {})))
    assert "unknown tool 'get_incidents'; did you mean 'get_incident'?" in text and "list_incidents" in text
