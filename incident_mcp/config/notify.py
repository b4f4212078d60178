"""``incident_response.notify[]``: where the watch tells the founder; secrets only by environment variable name."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from incident_mcp.config.fields import HTTP_URL, OurSection, TextList

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
ChannelType = Literal["webhook", "slack", "discord", "ntfy", "email"]
_URL_SECRET = ("slack", "discord")  # their URL is the credential: only ever by environment variable


class NotifyChannel(OurSection):
    """Where the watch tells the founder (``incident_response.notify[]``); secrets only by env var name.

    ``url`` is a destination written in the config (it may be on loopback); ``url_env``, ``token_env`` and
    ``password_env`` name environment variables read at send time and never written anywhere.
    """

    type: ChannelType
    name: str = Field(default="", pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    url: str = ""
    url_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)
    token_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)  # webhook / ntfy: Authorization: Bearer
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # email (SMTP)
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)
    sender: str = Field(default="", alias="from")
    to: TextList = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _complete(self) -> NotifyChannel:
        if self.type == "email":
            if not self.host or not self.sender or not self.to:
                raise ValueError("an email channel needs host, from and to (and password_env if the server "
                                 "wants a login)")
            if self.url or self.url_env:
                raise ValueError("an email channel takes host/port/from/to, not url")
            return self
        if self.type in _URL_SECRET and self.url:
            raise ValueError(f"a {self.type} webhook URL is a secret: put it in an environment variable and "
                             "name it with url_env (e.g. url_env: SLACK_WEBHOOK_URL)")
        if bool(self.url) == bool(self.url_env):
            raise ValueError(f"a {self.type} channel needs exactly one of url or url_env")
        if self.url and not HTTP_URL.match(self.url):
            raise ValueError("url must be an http:// or https:// URL")
        if self.host or self.to or self.sender or self.password_env:
            raise ValueError(f"host/from/to/password_env belong to email channels, not {self.type}")
        return self

    @property
    def label(self) -> str:
        """The channel's name in logs and reports."""
        return self.name or self.type

    @property
    def smtp_port(self) -> int:
        """The port: given, or the usual one for the security mode (587 STARTTLS, 465 TLS, 25 plain)."""
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]
