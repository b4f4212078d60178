"""incident-mcp watch end to end, notifications: real webhook and SMTP receivers, one notice per event,
retries, TLS, and no secret in any file."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.learn.watch_helpers import SECRET_HOOK_TOKEN, make_ws, records, round_at
from tests.support.checkout import cli_env
from tests.support.tls_fixtures import make_tls_set
from tests.support.watch_support import FlapServer, SmtpSink, WebhookReceiver

SECRET_NTFY = "tk_SECRETntfy93b1"
SECRET_PASSWORD = "SECRET-smtp-pw-77aa"


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
