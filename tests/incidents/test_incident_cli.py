"""End to end through the CLI: the same complete incident as the MCP test, each step a real subprocess
(``python -m incident_mcp ...``); the resulting record passes validation."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from incident_mcp.workspace import Workspace
from tests.support.checkout import cli_env
from tests.support.incident_flow import DEADLINE_S, POSTMORTEM, check_incident_files, flow_times


def _cli(ws: Workspace, *args: str, expect: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "incident_mcp", *args], capture_output=True, text=True,
                            env=cli_env(), cwd=ws.root, timeout=DEADLINE_S, input=stdin, check=False)
    assert result.returncode == expect, (args, result.stdout, result.stderr)
    return result


def _json(ws: Workspace, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_cli(ws, *args, "--json").stdout)
    return data


def test_the_same_flow_through_the_cli(ws: Workspace) -> None:
    t = flow_times()
    w = ("--workspace", str(ws.root))
    classified = _cli(ws, "classify", "--core-flow", "payments", "--users", "some").stdout
    assert classified.startswith("P1 (High) — rule core-flow-broken")
    opened = _json(ws, "incident", "open", *w, "--title", "Checkout returns 500", "--severity", "p1",
                   "--summary", "Some users cannot pay", "--service", "api", "--detected", t["detected"],
                   "--depends-on", "RFC-EXAMPLE-001")
    inc = opened["id"]
    for extra in (("--event", "acknowledged", "--at", t["ack"]),
                  ("--event", "status_check", "--overall", "degraded", "--text", "api slow", "--at", t["check"]),
                  ("--event", "communication", "--channel", "status_page", "--text", "posted", "--at", t["comm1"]),
                  ("--event", "root_cause", "--text", "locked table", "--at", t["root"]),
                  ("--event", "mitigation", "--mitigation", "rollback", "--text", "Rolled back", "--state",
                   "monitoring", "--at", t["mitigate"]),
                  ("--event", "communication", "--channel", "email", "--text", "sent", "--state", "resolved",
                   "--at", t["resolved"])):
        _cli(ws, "incident", "update", inc, *w, *extra)
    failed = _cli(ws, "incident", "update", inc, *w, "--event", "resolved", expect=2)
    assert failed.stderr.startswith("incident-mcp: error: INC-001 is already resolved")
    assert "Traceback" not in failed.stderr
    comms = _cli(ws, "incident", "comms", "status_page", inc, *w)
    assert comms.stdout.startswith("Title: [Product Name] - Resolved\n")
    email = _cli(ws, "incident", "comms", "email", inc, *w)
    assert "[support channel]" in email.stdout and "fill before sending" in email.stderr
    pm_file = ws.root / "pm.json"
    pm_file.write_text(json.dumps({k: v for k, v in POSTMORTEM.items() if k != "lessons"}), encoding="utf-8")
    partial = _json(ws, "incident", "postmortem", inc, *w, "--file", str(pm_file))
    assert partial["missing"] == ["lessons learned: what went well, what went poorly, where we got lucky not filled"]
    done = _cli(ws, "incident", "postmortem", inc, *w, "--went-well", "fast rollback", "--went-poorly",
                "late status page", "--got-lucky", "night time")
    assert "Complete: ready to promote to review." in done.stdout
    shown = _cli(ws, "incident", "show", inc, *w).stdout
    assert shown.startswith("INC-001  P1 (High)  resolved  Checkout returns 500")
    assert "Mitigation applied (rollback): Rolled back" in shown
    listed = _json(ws, "incident", "list", *w, "--state", "resolved")
    assert [i["id"] for i in listed["incidents"]] == [inc]
    check_incident_files(ws, inc)


def test_cli_errors_are_one_line_on_stderr(ws: Workspace) -> None:
    w = ("--workspace", str(ws.root))
    result = _cli(ws, "incident", "show", *w, expect=2)
    assert result.stderr == ("incident-mcp: error: no open incident; pass an incident id "
                             "(list_incidents shows them all)\n")
    bad = ws.root / "pm.yaml"
    bad.write_text("whys: [a, '', c]\n", encoding="utf-8")
    opened = _json(ws, "incident", "open", *w, "--title", "x", "--severity", "P3")
    result = _cli(ws, "incident", "postmortem", opened["id"], *w, "--file", str(bad), expect=2)
    assert "why 3 is answered but why 2 is not" in result.stderr
    result = _cli(ws, "incident", "postmortem", opened["id"], *w, "--file", "-", stdin="oops: 1\n", expect=2)
    assert "unknown keys ['oops']" in result.stderr


def test_a_duplicate_open_is_refused_on_the_command_line_and_the_flags_resolve_it(ws: Workspace) -> None:
    w = ("--workspace", str(ws.root))
    first = _json(ws, "incident", "open", *w, "--title", "API down", "--severity", "P1", "--service", "api",
                  "--public-summary", "Sign-in fails.")
    refused = _cli(ws, "incident", "open", *w, "--title", "API 503", "--severity", "P1", "--service", "api",
                   expect=2)
    assert refused.stderr.startswith(f"incident-mcp: error: {first['id']} ") and "Traceback" not in refused.stderr
    dup = _json(ws, "incident", "open", *w, "--title", "API 503", "--severity", "P1", "--service", "api",
                "--duplicate-of", first["id"])
    assert dup["closed_as"] == "duplicate" and dup["duplicate_of"] == first["id"]
    alarm = _json(ws, "incident", "open", *w, "--title", "Web blip", "--severity", "P3", "--service", "api",
                  "--force")
    closed = _json(ws, "incident", "update", alarm["id"], *w, "--closed-as", "false_alarm")
    assert closed["closed_as"] == "false_alarm" and closed["state"] == "resolved"
    draft = _cli(ws, "incident", "comms", "status_page", first["id"], *w, "--public-message", "Sign-in is slow.")
    assert "Impact: Sign-in is slow." in draft.stdout
