"""incident-mcp watch as a process: concurrent --once runs, exit codes and JSON, the scheduled workflow, the loop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from incident_mcp.watch import load_state
from incident_mcp.workspace import Workspace
from tests.learn.watch_helpers import SECRET_HOOK_TOKEN, make_ws, minute, records, round_at
from tests.support.checkout import cli_env
from tests.support.watch_support import FlapServer, WebhookReceiver


def run_watch(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "incident_mcp", "watch", "--once", "--workspace", str(ws.root),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or cli_env())


def test_two_concurrent_once_runs_open_one_incident(tmp_path: Path, flap: FlapServer,
                                                    hooks: WebhookReceiver) -> None:
    ws, names = make_ws(tmp_path, flap, notify=[{"type": "webhook", "url": hooks.url("/hook")}])
    flap.set(names["api"], 503)
    round_at(ws, 0)
    round_at(ws, 1)
    procs = [run_watch(ws, "--now", minute(2).isoformat()) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [2, 2], outputs
    assert len(records(ws)) == 1
    assert any("skipped" in out for out, _ in outputs)
    assert [json.loads(r.body)["event"] for r in hooks.on("/hook")] == ["opened"]


def test_watch_once_cli_exit_codes_and_json(tmp_path: Path, flap: FlapServer,
                                            run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    ws, names = make_ws(tmp_path, flap)
    done = run_cli("watch", "--once", "--workspace", str(ws.root), "--now", minute(0).isoformat())
    assert done.returncode == 0, done.stderr
    flap.set(names["docs"], 200)
    flap.set(names["web"], 500)
    done = run_cli("watch", "--once", "--json", "--workspace", str(ws.root), "--now", minute(1).isoformat())
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert data["streaks"]["web"]["fail_streak"] == 1 and data["actions"] == []
    bad = run_cli("watch", "--json", "--workspace", str(ws.root))
    assert bad.returncode == 2 and "--once" in bad.stderr and "Traceback" not in bad.stderr


def test_init_schedule_github_actions_writes_a_workflow_that_runs_one_round_and_commits(
        tmp_path: Path, flap: FlapServer, run_cli: Callable[..., Any]) -> None:
    ws, _ = make_ws(tmp_path, flap, notify=[{"type": "slack", "url_env": "SLACK_WEBHOOK_URL"},
                                            {"type": "ntfy", "url": "https://ntfy.sh/acme", "token_env": "NTFY_TOKEN"}])
    done = run_cli("init", "--schedule", "github-actions", "--workspace", str(ws.root), env=cli_env(
        SLACK_WEBHOOK_URL=f"https://hooks.slack.test/{SECRET_HOOK_TOKEN}"))
    assert done.returncode == 0, done.stderr
    path = ws.root / ".github" / "workflows" / "incident-watch.yml"
    text = path.read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true; GitHub does not
    assert triggers["schedule"] == [{"cron": "*/5 * * * *"}]
    steps = workflow["jobs"]["watch"]["steps"]
    round_step = next(s for s in steps if "watch --once" in s.get("run", ""))
    assert round_step["env"] == {"SLACK_WEBHOOK_URL": "${{ secrets.SLACK_WEBHOOK_URL }}",
                                 "NTFY_TOKEN": "${{ secrets.NTFY_TOKEN }}"}
    assert "git add watch artifacts/decision-memos" in text
    assert "60 days" in text and "5 minutes" in text
    assert SECRET_HOOK_TOKEN not in text
    again = run_cli("init", "--schedule", "github-actions", "--workspace", str(ws.root))
    assert again.returncode == 0 and "Nothing to do" in again.stdout


def test_watch_without_once_runs_rounds_until_interrupted(tmp_path: Path, flap: FlapServer) -> None:
    ws, _ = make_ws(tmp_path, flap)
    proc = subprocess.Popen([sys.executable, "-m", "incident_mcp", "watch", "--workspace", str(ws.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    assert proc.stderr is not None
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "3 up" in line:
                break
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert any("watching" in line and "every 60 s" in line for line in lines), lines
    assert proc.returncode == 130
    assert load_state(ws).last_round_at is not None
