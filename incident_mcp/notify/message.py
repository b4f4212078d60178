"""What a notification says: one event of one incident, built only from the record's public-safe fields
(id, title, severity, state, services, the watch's own event text, what is due next), plus the texts and
payloads each channel sends. The generic webhook schema is documented in the README ("Detect")."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from typing import Any

SCHEMA = "incident-mcp.notification/1"
DISCORD_LIMIT = 2000
_HEADLINES = {
    "opened": "opened", "joined": "another service is down", "severity_changed": "severity raised",
    "relapsed": "down again", "recovered": "recovered (monitoring)", "resolved": "resolved",
    "test": "test message",
}
_NTFY_TAGS = {"opened": "rotating_light", "joined": "rotating_light", "severity_changed": "arrow_up",
              "relapsed": "rotating_light", "recovered": "white_check_mark", "resolved": "tada", "test": "test_tube"}
_NTFY_PRIORITY = {"P0": "5", "P1": "4", "P2": "3", "P3": "2"}


@dataclass(frozen=True)
class NextStep:
    """What is due next on the incident (from next_actions)."""

    key: str
    title: str
    due_at: str | None = None
    status: str = "due"


@dataclass(frozen=True)
class Notice:
    """One notification; ``event_id`` is its idempotency key (the same event is never sent twice)."""

    event_id: str
    event: str
    at: str
    incident_id: str
    title: str
    severity: str
    state: str
    services: tuple[str, ...]
    text: str
    severity_from: str | None = None
    path: str = ""
    link: str = ""
    next_step: NextStep | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Notice:
        """A notice from its outbox form."""
        step = data.get("next_step")
        return cls(event_id=str(data["event_id"]), event=str(data["event"]), at=str(data["at"]),
                   incident_id=str(data.get("incident_id", "")), title=str(data.get("title", "")),
                   severity=str(data.get("severity", "")), state=str(data.get("state", "")),
                   services=tuple(data.get("services", [])), text=str(data.get("text", "")),
                   severity_from=data.get("severity_from"), path=str(data.get("path", "")),
                   link=str(data.get("link", "")), next_step=NextStep(**step) if step else None)

    def data(self) -> dict[str, Any]:
        """The outbox form (plain JSON data)."""
        out = asdict(self)
        out["services"] = list(self.services)
        return out

    @property
    def headline(self) -> str:
        """``INC-001 opened (P0): api down: HTTP 503``."""
        what = _HEADLINES.get(self.event, self.event)
        if self.event == "test":
            return "incident-mcp: test message"
        sev = f"{self.severity_from} → {self.severity}" if self.severity_from else self.severity
        return f"{self.incident_id} {what} ({sev}): {self.title}"

    def plain(self) -> str:
        """The message as plain text (Slack, Discord, ntfy, email body)."""
        lines = [self.headline]
        if self.event != "test":
            lines.append(f"Services: {', '.join(self.services) or '-'} · state: {self.state}")
        if self.text:
            lines.append(self.text)
        if self.next_step is not None:
            due = f" (due {self.next_step.due_at}" + (", overdue)" if self.next_step.status == "overdue" else ")") \
                if self.next_step.due_at else ""
            lines.append(f"Next: {self.next_step.title}{due}")
        if self.path:
            lines.append(f"Record: {self.path}")
        if self.link:
            lines.append(self.link)
        return "\n".join(lines)

    def webhook_payload(self) -> dict[str, Any]:
        """The generic webhook's JSON (schema ``incident-mcp.notification/1``)."""
        payload: dict[str, Any] = {
            "schema": SCHEMA, "event_id": self.event_id, "event": self.event, "at": self.at,
            "incident": {"id": self.incident_id, "title": self.title, "severity": self.severity,
                         "severity_from": self.severity_from, "state": self.state, "services": list(self.services),
                         "path": self.path},
            "text": self.text, "message": self.plain(),
            "next_action": asdict(self.next_step) if self.next_step else None,
            "link": self.link or None,
        }
        return payload

    def discord_content(self) -> str:
        """The message cut to Discord's 2,000 characters."""
        text = self.plain()
        return text if len(text) <= DISCORD_LIMIT else text[: DISCORD_LIMIT - 1] + "…"

    def ntfy_headers(self) -> dict[str, str]:
        """Title, Priority, Tags (and Click when there is a link) for ntfy."""
        headers = {"Title": header_text(self.headline),
                   "Priority": "3" if self.event in ("recovered", "resolved", "test") else
                   _NTFY_PRIORITY.get(self.severity, "3"),
                   "Tags": _NTFY_TAGS.get(self.event, "warning")}
        if self.link:
            headers["Click"] = self.link
        return headers


def header_text(text: str) -> str:
    """A header value: ASCII as is, anything else as an RFC 2047 encoded word (ntfy decodes it)."""
    flat = " ".join(text.split())[:250]
    if flat.isascii():
        return flat
    return "=?UTF-8?B?" + base64.b64encode(flat.encode("utf-8")).decode("ascii") + "?="
