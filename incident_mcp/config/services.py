"""``incident_response.services[]``: the services the status check probes and what a healthy answer looks like."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from incident_mcp.config.fields import HTTP_URL, OurSection

StatusRange = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]


class JsonCondition(OurSection):
    """A condition on a JSON response field, addressed by a dotted path (``checks.db.status``)."""

    path: str = Field(min_length=1)
    equals: Any = None
    one_of: list[Any] | None = None
    exists: bool | None = None


class Expectations(OurSection):
    """What a healthy response of one service looks like; defaults match Company OS's status-check."""

    status: list[StatusRange] = Field(default_factory=lambda: ["200-299"])
    degraded_ms: int = Field(default=2000, gt=0)
    down_ms: int | None = Field(default=None, gt=0)
    timeout_ms: int = Field(default=5000, gt=0, le=120_000)
    body_matches: str | None = None
    body_not_matches: str | None = None
    json_fields: list[JsonCondition] = Field(default_factory=list, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    cert_min_days: int = Field(default=7, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("status")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[1-5][0-9]{2}(-[1-5][0-9]{2})?|[1-5]xx", item):
                raise ValueError(f"status {item!r} is not a code (200), a range (200-299) or a class (2xx)")
        return value

    @field_validator("body_matches", "body_not_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"not a valid regular expression: {err}") from None
        return value


class ServiceConfig(OurSection):
    """One service the status check probes (``incident_response.services[]``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    url: str
    critical: bool = False
    description: str = ""
    expect: Expectations = Field(default_factory=Expectations)
    public: bool = True  # false: left off the status page and its feeds
    display_name: str = Field(default="", max_length=80)  # the name customers see; default the service name

    @property
    def public_name(self) -> str:
        """The name shown on the status page."""
        return self.display_name or self.name

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not HTTP_URL.match(value):
            raise ValueError("must be an http:// or https:// URL")
        return value


def unknown_service_message(name: str, known: Sequence[str]) -> str:
    """``unknown service 'API'; did you mean 'api'? (configured: api, web)``: the closest name, case-insensitive."""
    lowered = {k.lower(): k for k in known}
    near = lowered.get(name.lower()) if isinstance(name, str) else None
    if near is None and isinstance(name, str):
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        near = lowered[close[0]] if close else None
    hint = f"; did you mean {near!r}?" if near else ""
    return (f"unknown service {name!r}{hint} (configured in incident_response.services: "
            f"{', '.join(known) or 'none'})")
