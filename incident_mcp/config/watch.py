"""``incident_response.watch`` and ``maintenance[]``: how the watch confirms outages, and when failures are planned."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from incident_mcp.config.fields import OurSection, Text, TextList


def _aware(value: Any) -> Any:
    """A YAML timestamp or ISO text as an aware UTC datetime (no offset means UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time such as 2026-03-01T02:00:00Z") from None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return value


AwareTime = Annotated[dt.datetime, BeforeValidator(_aware)]


class MaintenanceWindow(OurSection):
    """Planned work: failures of these services inside the window open nothing and show as maintenance."""

    services: TextList = Field(min_length=1)
    start: AwareTime
    end: AwareTime
    reason: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def covers(self, service: str, at: dt.datetime) -> bool:
        """Whether ``service`` is under maintenance at ``at``."""
        return service in self.services and self.start <= at < self.end


class WatchSettings(OurSection):
    """``incident-mcp watch``: how often, and how many rounds confirm an outage or a recovery."""

    interval: int = Field(default=60, ge=5, le=86_400)  # seconds between rounds
    open_after: int = Field(default=3, ge=1, le=100)  # consecutive failed rounds before a service is down
    recover_after: int = Field(default=2, ge=1, le=100)  # consecutive healthy rounds before it is up again
    resolve_after_minutes: int = Field(default=30, ge=0)  # healthy this long in monitoring → resolved
    auto_resolve: bool = True  # false: the watch moves to monitoring, the human resolves
