"""incident-mcp watch end to end: real loopback services that flap on command, real incident records,
real webhook and SMTP receivers, rounds driven by an injected clock (no sleeping through intervals)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_mcp import incidents
from incident_mcp.validation import validate_workspace
from incident_mcp.watch import load_state, observed_spans
from incident_mcp.watch.runner import RoundResult, run_round
from incident_mcp.workspace import Workspace
from tests.support.checkout import cli_env
from tests.support.tls_fixtures import make_tls_set
from tests.support.watch_support import FlapServer, SmtpSink, WebhookReceiver

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
SECRET_HOOK_TOKEN = "xoxb-SECRET-hook-4f9a1c"
SECRET_NTFY = "tk_SECRETntfy93b1"
SECRET_PASSWORD = "SECRET-smtp-pw-77aa"


def minute(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


@pytest.fixture(scope="module")
def flap() -> Iterator[FlapServer]:
    server = FlapServer()
    yield server
    server.close()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


_COUNTER = iter(range(10_000))


def make_ws(tmp_path: Path, flap: FlapServer, *, watch: dict[str, Any] | None = None,
            notify: list[dict[str, Any]] | None = None, maintenance: list[dict[str, Any]] | None = None,
            ) -> tuple[Workspace, dict[str, str]]:
    """A workspace with three services (api and web critical, docs not) on the flap server; their names."""
    prefix = f"s{next(_COUNTER)}"
    names = {n: f"{prefix}-{n}" for n in ("api", "web", "docs")}
    for name in names.values():
        flap.set(name, 200)
    services = [{"name": n, "url": flap.url(names[n]), "critical": n != "docs", "expect": {"timeout_ms": 3000}}
                for n in ("api", "web", "docs")]
    section: dict[str, Any] = {"services": services,
                               "watch": {"interval": 60, "open_after": 3, "recover_after": 2,
                                         "resolve_after_minutes": 10, **(watch or {})}}
    if notify:
        section["notify"] = notify
    if maintenance:
        section["maintenance"] = maintenance
    root = tmp_path / "company"
    root.mkdir()
    (root / "company.config.yaml").write_text(yaml.safe_dump({"company": {"name": "Acme"},
                                                              "incident_response": section}))
    return Workspace.at(root), names


def round_at(ws: Workspace, n: float, env: dict[str, str] | None = None) -> RoundResult:
    return asyncio.run(run_round(ws, now=minute(n), env=env, deliver_deadline=10))


def records(ws: Workspace) -> list[incidents.IncidentRecord]:
    listed = incidents.list_incidents(ws, limit=100).incidents
    return [incidents.read_incident(ws, s.id).record for s in sorted(listed, key=lambda s: s.id)]


def assert_clean(ws: Workspace) -> None:
    problems = list(validate_workspace(ws).problems)
    assert not problems, problems


def test_one_failed_round_opens_nothing(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    result = round_at(ws, 0)
    assert result.exit_code == 2
    assert result.actions == ()
    assert records(ws) == []
    flap.set(names["api"], 200)
    round_at(ws, 1)
    round_at(ws, 2)
    assert records(ws) == []
    assert load_state(ws).tracks["api"].fail_streak == 0


def test_three_failed_rounds_open_exactly_one_incident_dated_at_the_first_failure(
        tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(5):
        round_at(ws, n)
    found = records(ws)
    assert len(found) == 1
    record = found[0]
    assert record.title == "api down: HTTP 503"
    assert record.detected_at == "2026-03-01T02:00:00Z"
    assert record.opened_by == "watch"
    assert record.severity == "P0"  # a critical service down: the classification rules' status-check-down
    assert record.services == ["api"]
    assert [e.kind for e in record.timeline][:2] == ["detected", "status_check"]
    text = (ws.root / incidents.get_incident(ws, record.id).path).read_text()
    assert "opened_by: watch" in text
    assert_clean(ws)


def test_a_second_service_failing_joins_the_incident_and_raises_its_severity(tmp_path: Path,
                                                                            flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["docs"], 500)
    for n in range(3):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.severity == "P1"  # a non-critical service down: partial outage
    flap.set(names["api"], 503)
    for n in range(3, 6):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.services == ["docs", "api"]
    assert record.severity == "P0"
    kinds = [e.kind for e in record.timeline]
    assert "severity_change" in kinds
    joined = [e for e in record.timeline if e.kind == "status_check" and "joined" in e.text]
    assert len(joined) == 1 and "api" in joined[0].text and "02:03:00Z" in joined[0].text
    assert_clean(ws)


def test_recovery_moves_to_monitoring_and_resolves_after_the_quiet_period(tmp_path: Path,
                                                                         flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 3)
    assert records(ws)[0].incident_state == "investigating"  # one healthy round is not a recovery
    round_at(ws, 4)
    assert records(ws)[0].incident_state == "monitoring"
    round_at(ws, 12)
    assert records(ws)[0].incident_state == "monitoring"  # healthy 9 minutes of the 10
    round_at(ws, 13.5)
    (record,) = records(ws)
    assert record.incident_state == "resolved"
    assert "Resolved automatically by incident-mcp watch" in record.timeline[-1].text
    round_at(ws, 14.5)
    assert len(records(ws)) == 1
    assert_clean(ws)


@pytest.mark.parametrize(("watch", "final"), [({"resolve_after_minutes": 0}, "resolved"),
                                              ({"auto_resolve": False}, "monitoring")])
def test_resolve_settings_decide_who_resolves(tmp_path: Path, flap: FlapServer, watch: dict[str, Any],
                                              final: str) -> None:
    ws, names = make_ws(tmp_path, flap, watch=watch)
    flap.set(names["web"], 500)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["web"], 200)
    for n in (3, 4, 20, 40):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.incident_state == final


def test_a_failure_between_healthy_rounds_restarts_the_quiet_period(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    flap.set(names["api"], 503)
    for n in range(3):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 3)
    round_at(ws, 4)
    flap.set(names["api"], 503)
    round_at(ws, 8)  # one failed round: not down again, but health is no longer continuous
    flap.set(names["api"], 200)
    round_at(ws, 9)
    round_at(ws, 10)
    round_at(ws, 15)
    assert records(ws)[0].incident_state == "monitoring"  # only 6 minutes healthy since minute 9
    round_at(ws, 20)
    assert records(ws)[0].incident_state == "resolved"


def test_maintenance_window_suppresses_and_is_recorded_as_maintenance(tmp_path: Path, flap: FlapServer) -> None:
    window = {"services": ["api"], "start": "2026-03-01T01:30:00Z", "end": "2026-03-01T02:10:00Z",
              "reason": "database upgrade"}
    ws, names = make_ws(tmp_path, flap, maintenance=[window])
    flap.set(names["api"], 503)
    for n in range(8):
        result = round_at(ws, n)
    assert result.exit_code == 1  # failing, but inside the window: not an outage
    assert records(ws) == []
    spans = observed_spans(ws, until=minute(8)).spans["api"]
    assert [(s.impact, s.start, s.end) for s in spans] == [("under_maintenance", minute(0), minute(8))]
    for n in range(10, 13):  # the window is over: the same failure now counts
        round_at(ws, n)
    (record,) = records(ws)
    assert record.detected_at == "2026-03-01T02:10:00Z"


def test_an_incident_opened_by_hand_is_joined_not_duplicated(tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    opened = incidents.open_incident(ws, title="API errors reported by a customer", severity="P1",
                                     services=["api"], now=minute(0))
    flap.set(names["api"], 503)
    for n in range(1, 6):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.id == opened.id
    assert record.opened_by is None
    assert record.severity == "P0"  # the watch's confirmed rollup raised it
    assert any(e.kind == "status_check" and "joined" in e.text for e in record.timeline)
    flap.set(names["api"], 200)
    for n in (6, 7, 30, 50):
        round_at(ws, n)
    (record,) = records(ws)
    assert record.incident_state == "monitoring"  # the watch resolves only what it opened
    assert_clean(ws)


def test_history_has_confirmed_outages_from_the_first_failure_and_gaps_as_no_data(
        tmp_path: Path, flap: FlapServer) -> None:
    ws, names = make_ws(tmp_path, flap)
    round_at(ws, 0)
    flap.set(names["api"], 503)
    for n in range(1, 5):
        round_at(ws, n)
    flap.set(names["api"], 200)
    round_at(ws, 5)
    round_at(ws, 6)
    # the watch did not run from 02:07 to 02:30
    round_at(ws, 30)
    seen = observed_spans(ws, until=minute(31))
    assert seen.data_from["api"] == minute(0)
    spans = [(s.impact, s.start, s.end) for s in seen.spans["api"]]
    assert ("major_outage", minute(1), minute(5)) in spans  # from the first failed to the first healthy round
    assert ("no_data", minute(7), minute(30)) in spans
    assert all(s.source == "watch" for s in seen.spans["api"])
    assert [(s.impact, s.start, s.end) for s in seen.spans["web"]] == [("no_data", minute(7), minute(30))]
    month = ws.root / "watch" / "history" / "api" / "2026-03.json"
    day = json.loads(month.read_text())["days"]["2026-03-01"]
    assert day["rounds"] == [4, 0, 4, 0, 0]
    assert day["minutes"]["major_outage"] == 4.0
    assert day["latency"]["p50"] is not None


def _notify_config(hooks: WebhookReceiver, smtp: SmtpSink) -> list[dict[str, Any]]:
    return [
        {"type": "webhook", "name": "hook", "url": hooks.url("/hook"), "token_env": "HOOK_TOKEN"},
        {"type": "slack", "url_env": "SLACK_URL"},
        {"type": "discord", "url_env": "DISCORD_URL"},
        {"type": "ntfy", "url": hooks.url("/ntfy/acme-alerts"), "token_env": "NTFY_TOKEN"},
        {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none", "username": "alerts",
         "password_env": "SMTP_PASSWORD", "from": "watch@acme.test", "to": ["founder@acme.test"]},
    ]


def _env(hooks: WebhookReceiver) -> dict[str, str]:
    return {"HOOK_TOKEN": SECRET_HOOK_TOKEN, "SLACK_URL": hooks.url(f"/slack/{SECRET_HOOK_TOKEN}x"),
            "DISCORD_URL": hooks.url(f"/discord/{SECRET_HOOK_TOKEN}y"), "NTFY_TOKEN": SECRET_NTFY,
            "SMTP_PASSWORD": SECRET_PASSWORD}


def _every_file(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path


def test_a_notification_per_event_on_every_channel_exactly_once_and_no_secret_in_any_file(
        tmp_path: Path, flap: FlapServer, hooks: WebhookReceiver, smtp: SmtpSink) -> None:
    ws, names = make_ws(tmp_path, flap, notify=_notify_config(hooks, smtp))
    env = _env(hooks)
    flap.set(names["docs"], 500)
    for n in range(3):
        round_at(ws, n, env)  # opened (P1)
    flap.set(names["api"], 503)
    for n in range(3, 6):
        round_at(ws, n, env)  # joined + severity raised to P0
    flap.set(names["api"], 200)
    flap.set(names["docs"], 200)
    for n in (6, 7, 12, 18, 19):
        round_at(ws, n, env)  # recovered at 7 (healthy since 6), resolved at 18, nothing more at 19
    events = [json.loads(r.body)["event"] for r in hooks.on("/hook")]
    assert events == ["opened", "joined", "severity_changed", "recovered", "resolved"]
    first = json.loads(hooks.on("/hook")[0].body)
    assert first["schema"] == "incident-mcp.notification/1"
    assert first["incident"]["id"] == "INC-001" and first["incident"]["severity"] == "P1"
    assert first["incident"]["services"] == ["docs"]
    assert first["next_action"]["key"]
    assert hooks.on("/hook")[0].headers["Authorization"] == f"Bearer {SECRET_HOOK_TOKEN}"
    assert hooks.on("/hook")[0].headers["Idempotency-Key"] == first["event_id"]
    slack = [json.loads(r.body) for r in hooks.received if r.path.startswith("/slack/")]
    discord = [json.loads(r.body) for r in hooks.received if r.path.startswith("/discord/")]
    ntfy = [r for r in hooks.received if r.path == "/ntfy/acme-alerts"]
    assert len(slack) == len(discord) == len(ntfy) == len(smtp.messages) == 5
    assert "INC-001 opened (P1)" in slack[0]["text"]
    assert all(len(d["content"]) <= 2000 for d in discord)
    assert ntfy[0].headers["Priority"] == "4" and ntfy[0].headers["Title"].startswith("INC-001 opened")
    assert ntfy[0].headers["Authorization"] == f"Bearer {SECRET_NTFY}"
    assert smtp.messages[0].auth == f"\0alerts\0{SECRET_PASSWORD}"
    assert b"Subject: INC-001 opened (P1)" in smtp.messages[0].data
    for path in _every_file(ws.root):
        data = path.read_bytes()
        for secret in (SECRET_HOOK_TOKEN, SECRET_NTFY, SECRET_PASSWORD):
            assert secret.encode() not in data, f"{secret} written to {path}"


def test_a_failed_delivery_is_retried_next_round_and_never_sent_twice(
        tmp_path: Path, flap: FlapServer, hooks: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    notify = [{"type": "webhook", "name": "hook", "url": hooks.url("/hook")},
              {"type": "slack", "url_env": "SLACK_URL"}]
    ws, names = make_ws(tmp_path, flap, notify=notify)
    env = {"SLACK_URL": hooks.url(f"/slack/{SECRET_HOOK_TOKEN}")}
    flap.set(names["api"], 503)
    round_at(ws, 0, env)
    round_at(ws, 1, env)
    hooks.fail = 6  # every attempt of this round fails (3 attempts × 2 channels)
    result = round_at(ws, 2, env)
    assert {d.status for d in result.deliveries} == {"pending"}
    assert hooks.received == []
    outbox = (ws.root / "watch" / "outbox.json").read_text()
    assert '"status": "pending"' in outbox
    round_at(ws, 3, env)
    round_at(ws, 4, env)
    assert [r.path for r in hooks.received].count("/hook") == 1
    assert len([r for r in hooks.received if r.path.startswith("/slack/")]) == 1
    assert SECRET_HOOK_TOKEN not in outbox
    assert all(SECRET_HOOK_TOKEN not in record.getMessage() for record in caplog.records)


def test_a_missing_secret_keeps_the_notice_pending_and_says_which_variable(
        tmp_path: Path, flap: FlapServer, hooks: WebhookReceiver) -> None:
    ws, names = make_ws(tmp_path, flap, watch={"open_after": 1}, notify=[{"type": "slack", "url_env": "SLACK_URL"}])
    flap.set(names["api"], 503)
    result = round_at(ws, 0, {})
    (delivery,) = result.deliveries
    assert delivery.status == "pending" and "SLACK_URL" in delivery.detail
    round_at(ws, 1, {"SLACK_URL": hooks.url("/slack/t")})
    assert len(hooks.on("/slack/t")) == 1


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


def test_notify_test_sends_to_every_channel_and_reports_each(tmp_path: Path, flap: FlapServer,
                                                             hooks: WebhookReceiver, smtp: SmtpSink,
                                                             run_cli: Callable[..., Any]) -> None:
    notify = _notify_config(hooks, smtp)
    notify.append({"type": "webhook", "name": "dead", "url": "http://127.0.0.1:1/dead",
                   "timeout_seconds": 2})
    ws, _ = make_ws(tmp_path, flap, notify=notify)
    done = run_cli("notify", "test", "--json", "--workspace", str(ws.root), env=cli_env(**_env(hooks)))
    results = {r["channel"]: r for r in json.loads(done.stdout)}
    assert done.returncode == 1
    assert set(results) == {"hook", "slack", "discord", "ntfy", "email", "dead"}
    assert [c for c, r in results.items() if not r["ok"]] == ["dead"]
    assert len(smtp.messages) == 1 and len(hooks.on("/hook")) == 1
    assert all(SECRET_HOOK_TOKEN not in r["detail"] for r in results.values())


def test_secrets_in_config_are_refused_with_the_field_named(tmp_path: Path, flap: FlapServer,
                                                            run_cli: Callable[..., Any]) -> None:
    ws, _ = make_ws(tmp_path, flap, notify=[{"type": "slack", "url": "https://hooks.slack.com/services/T/B/x"}])
    done = run_cli("watch", "--once", "--workspace", str(ws.root))
    assert done.returncode == 2
    assert "incident_response.notify[0]" in done.stderr and "url_env" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


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


def test_a_channel_that_never_answers_is_cut_off_and_retried_later(tmp_path: Path, flap: FlapServer,
                                                                   hooks: WebhookReceiver) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the backlog, nobody ever answers
    try:
        notify: list[dict[str, Any]] = [{"type": "webhook", "name": "silent", "url": f"http://127.0.0.1:{silent.getsockname()[1]}/",
                   "timeout_seconds": 0.5},
                  {"type": "webhook", "name": "hook", "url": hooks.url("/hook")}]
        ws, names = make_ws(tmp_path, flap, watch={"open_after": 1}, notify=notify)
        flap.set(names["api"], 503)
        result = round_at(ws, 0)
    finally:
        silent.close()
    by_channel = {d.channel: d for d in result.deliveries}
    assert by_channel["silent"].status == "pending" and "no answer within 0.5 s" in by_channel["silent"].detail
    assert by_channel["hook"].status == "sent"
    assert len(records(ws)) == 1


def test_email_goes_over_starttls_and_implicit_tls_with_the_password_from_the_environment(
        tmp_path: Path, flap: FlapServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tls = make_tls_set(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))  # trust the test CA, as a company would its own
    starttls, implicit = SmtpSink(tls=tls.good), SmtpSink(tls=tls.good, implicit=True)
    try:
        base = {"type": "email", "host": "127.0.0.1", "username": "alerts", "password_env": "SMTP_PASSWORD",
                "from": "watch@acme.test", "to": ["founder@acme.test"]}
        notify = [{**base, "name": "starttls", "port": starttls.port, "security": "starttls"},
                  {**base, "name": "implicit", "port": implicit.port, "security": "tls"}]
        ws, names = make_ws(tmp_path, flap, watch={"open_after": 1}, notify=notify)
        flap.set(names["web"], 502)
        result = round_at(ws, 0, {"SMTP_PASSWORD": SECRET_PASSWORD})
    finally:
        starttls.close()
        implicit.close()
    assert {d.channel: d.status for d in result.deliveries} == {"starttls": "sent", "implicit": "sent"}
    for sink in (starttls, implicit):
        (mail,) = sink.messages
        assert mail.tls and mail.auth == f"\0alerts\0{SECRET_PASSWORD}"
        assert b"Subject: INC-001 opened (P0): web down: HTTP 502" in mail.data


def test_the_status_page_shows_what_the_watch_saw(tmp_path: Path, flap: FlapServer) -> None:
    from incident_mcp.statuspage.publish import publish_status_page

    ws, names = make_ws(tmp_path, flap)
    flap.set(names["docs"], 500)
    for n in range(3):
        round_at(ws, n)  # docs confirmed down: the incident (P1) alone would say partial outage
    publish_status_page(ws, now=minute(3))
    components = json.loads((ws.root / "status-site" / "api" / "v2" / "components.json").read_text())["components"]
    assert {c["name"]: c["status"] for c in components}["docs"] == "major_outage"
