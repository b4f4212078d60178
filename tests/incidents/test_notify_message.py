"""Notification texts and channel config: what each channel gets, and what the config refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from incident_mcp.config import parse_config
from incident_mcp.errors import ConfigError
from incident_mcp.notify import NextStep, Notice, redact


def notice(**changes: object) -> Notice:
    fields: dict[str, object] = {
        "event_id": "INC-001:opened:2026-03-01T02:02:00Z", "event": "opened", "at": "2026-03-01T02:02:00Z",
        "incident_id": "INC-001", "title": "api down: HTTP 503", "severity": "P0", "state": "investigating",
        "services": ("api",), "text": "Watch: api down for 3 consecutive round(s).",
        "path": "artifacts/decision-memos/INC-001-api-down-http-503.md",
        "next_step": NextStep(key="acknowledge", title="Acknowledge the incident", due_at="2026-03-01T02:05:00Z")}
    fields.update(changes)
    return Notice(**fields)  # type: ignore[arg-type]


def test_the_message_names_incident_severity_services_and_what_is_due() -> None:
    text = notice().plain()
    assert text.splitlines()[0] == "INC-001 opened (P0): api down: HTTP 503"
    assert "Services: api · state: investigating" in text
    assert "Next: Acknowledge the incident (due 2026-03-01T02:05:00Z)" in text


def test_the_webhook_payload_follows_the_documented_schema() -> None:
    payload = notice(severity_from="P1", event="severity_changed").webhook_payload()
    assert set(payload) == {"schema", "event_id", "event", "at", "incident", "text", "message", "next_action", "link"}
    assert payload["schema"] == "incident-mcp.notification/1"
    assert payload["incident"] == {"id": "INC-001", "title": "api down: HTTP 503", "severity": "P0",
                                   "severity_from": "P1", "state": "investigating", "services": ["api"],
                                   "path": "artifacts/decision-memos/INC-001-api-down-http-503.md"}
    assert payload["next_action"]["key"] == "acknowledge"


def test_discord_content_stays_within_two_thousand_characters() -> None:
    content = notice(title="x" * 5000).discord_content()
    assert len(content) == 2000 and content.endswith("…")


def test_ntfy_headers_carry_priority_tags_and_encode_non_ascii_titles() -> None:
    headers = notice(title="API en panne — façade 503").ntfy_headers()
    assert headers["Priority"] == "5" and headers["Tags"] == "rotating_light"
    assert headers["Title"].startswith("=?UTF-8?B?")
    decoded = base64.b64decode(headers["Title"][10:-2]).decode()
    assert decoded == "INC-001 opened (P0): API en panne — façade 503"
    assert "Click" not in headers
    assert notice(event="resolved").ntfy_headers()["Priority"] == "3"


def test_a_round_trip_through_the_outbox_form_keeps_every_field() -> None:
    original = notice(link="https://status.example.com")
    assert Notice.from_data(original.data()) == original


def test_redaction_removes_every_secret_value() -> None:
    assert redact("POST https://hooks.example/T0/SECRET123 failed", ["SECRET123"]) == \
        "POST https://hooks.example/T0/*** failed"


def _load(tmp_path: Path, notify: list[dict[str, object]]) -> None:
    path = tmp_path / "company.config.yaml"
    text = yaml.safe_dump({"incident_response": {"notify": notify}})
    path.write_text(text)
    parse_config(text, path)


@pytest.mark.parametrize(("channel", "message"), [
    ({"type": "slack", "url": "https://hooks.slack.com/services/T/B/x"}, "url_env"),
    ({"type": "webhook"}, "exactly one of url or url_env"),
    ({"type": "webhook", "url": "https://a.example", "url_env": "HOOK"}, "exactly one of url or url_env"),
    ({"type": "email", "host": "smtp.example.com", "from": "a@example.com"}, "needs host, from and to"),
    ({"type": "ntfy", "url": "ftp://ntfy.example/topic"}, "http:// or https://"),
    ({"type": "webhook", "url": "https://a.example", "password_env": "X"}, "belong to email channels"),
    ({"type": "webhook", "url_env": "not a name"}, "String should match pattern"),
    ({"type": "pager", "url": "https://a.example"}, "webhook"),
])
def test_bad_channels_are_refused_naming_the_field(tmp_path: Path, channel: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, [channel])
    assert "incident_response.notify[0]" in str(caught.value)
    assert message in str(caught.value)


def test_two_channels_with_one_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"notify\[1\].name.*two channels are called 'webhook'"):
        _load(tmp_path, [{"type": "webhook", "url": "https://a.example"}, {"type": "webhook", "url": "https://b.example"}])
