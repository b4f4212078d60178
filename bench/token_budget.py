"""Benchmark: what the agent reads, in bytes, against the budgets of issue 10 (the agent's contract).

    python bench/token_budget.py            # the demo company (Brightdesk), 60 timeline events
    python bench/token_budget.py --events 200 --json

Every figure goes through the real MCP ``Client`` talking to the server in memory, on a copy of the bundled
example company (the one ``incident-mcp demo`` uses). For a tool call the figure is the larger of what the model
can be shown: the text content or the structured content, each as sent on the wire (compact JSON).

- ``tools/list``: the JSON of every tool (name, description, schemas, annotations) as the client receives it.
  Budget 32 KB for all 16 tools of the product (DESIGN.md: sixteen is the ceiling).
- ``generate_runbook dry run (new files)`` / ``(nothing changed)`` / ``(config changed)`` (the timezone, which
  touches several blocks): budgets 8 KB, 1 KB and 8 KB.
- ``rollback_plan`` (all kinds, the demo company's stack): budget 8 KB.
- ``get_incident`` after N timeline events: budget 4 KB however long the timeline.

``--before`` figures are those measured on the branch before this work (commit aa3a965), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mcp import Client  # noqa: E402

from incident_mcp.demo import prepare_workspace  # noqa: E402
from incident_mcp.server import build_server  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

KB = 1024
# Measured with this script at commit aa3a965 (before the agent-contract work), 60 events.
BEFORE: dict[str, int] = {
    "tools/list (all tools)": 60777,
    "generate_runbook dry run (new files)": 55006,
    "generate_runbook dry run (nothing changed)": 27106,
    "rollback_plan (all kinds)": 21826,
    "get_incident (long timeline)": 24519,
    "list_incidents (default page)": 441,
}
BUDGETS = {
    "tools/list (all tools)": 32 * KB,
    "generate_runbook dry run (new files)": 8 * KB,
    "generate_runbook dry run (nothing changed)": 1 * KB,
    "generate_runbook dry run (config changed)": 8 * KB,
    "rollback_plan (all kinds)": 8 * KB,
    "get_incident (long timeline)": 4 * KB,
    "list_incidents (default page)": 4 * KB,
}


def wire_size(result: Any) -> int:
    """The larger of the text content and the structured content, as compact JSON bytes."""
    text = sum(len(block.text.encode()) for block in result.content if getattr(block, "text", None) is not None)
    structured = 0
    if result.structured_content is not None:
        structured = len(json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False).encode())
    return max(text, structured)


async def measure(events: int) -> dict[str, int]:
    """Each figure of BUDGETS, measured on a fresh copy of the example company."""
    with tempfile.TemporaryDirectory(prefix="token-budget-") as tmp:
        return await _measure(prepare_workspace(Path(tmp) / "brightdesk"), events)


async def _measure(ws: Workspace, events: int) -> dict[str, int]:
    figures: dict[str, int] = {}
    async with Client(build_server(str(ws.root))) as client:
        tools = await client.list_tools()
        figures["tools/list (all tools)"] = len(json.dumps(
            tools.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"),
            ensure_ascii=False).encode())
        dry = await client.call_tool("generate_runbook", {"dry_run": True})
        figures["generate_runbook dry run (new files)"] = wire_size(dry)
        await client.call_tool("generate_runbook", {})
        same = await client.call_tool("generate_runbook", {"dry_run": True})
        figures["generate_runbook dry run (nothing changed)"] = wire_size(same)
        config = ws.config_path.read_text(encoding="utf-8")
        ws.config_path.write_text(config.replace("timezone: Europe/Lisbon", "timezone: America/New_York"),
                                  encoding="utf-8")
        changed = await client.call_tool("generate_runbook", {"dry_run": True})
        figures["generate_runbook dry run (config changed)"] = wire_size(changed)
        ws.config_path.write_text(config, encoding="utf-8")
        plan = await client.call_tool("rollback_plan", {})
        figures["rollback_plan (all kinds)"] = wire_size(plan)
        opened = await client.call_tool("open_incident", {
            "title": "API returns 503", "severity": "P1", "services": ["api"],
            "summary": "Customers cannot load their dashboards."})
        assert not opened.is_error, opened.content
        incident_id = opened.structured_content["id"]
        for n in range(events):
            await client.call_tool("update_incident", {
                "incident_id": incident_id, "event": "note",
                "text": f"Note {n}: checked the load balancer logs, the error rate is still about 40 percent."})
        got = await client.call_tool("get_incident", {"incident_id": incident_id})
        assert not got.is_error, got.content
        figures["get_incident (long timeline)"] = wire_size(got)
        listed = await client.call_tool("list_incidents", {})
        figures["list_incidents (default page)"] = wire_size(listed)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60, help="timeline events before get_incident")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.events))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'figure':<46} {'before':>9} {'now':>9} {'budget':>9}  ok")
    for name, budget in BUDGETS.items():
        before = BEFORE.get(name)
        now = figures[name]
        print(f"{name:<46} {before if before is not None else '-':>9} {now:>9} {budget:>9}  "
              f"{'yes' if now <= budget else 'NO'}")


if __name__ == "__main__":
    main()
