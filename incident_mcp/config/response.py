"""Our ``incident_response:`` section: strict (typos are errors), every key optional; see README for the keys."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from incident_mcp.config.fields import OurSection, Text, TextList
from incident_mcp.config.notify import NotifyChannel
from incident_mcp.config.placement import placed
from incident_mcp.config.services import ServiceConfig
from incident_mcp.config.watch import MaintenanceWindow, WatchSettings


class ProviderSetting(OurSection):
    """A provider named in our section (DNS, CDN, status page, alert route) with its free-form ids."""

    provider: Text = ""
    settings: dict[str, Text] = Field(default_factory=dict)


class DnsSetting(ProviderSetting):
    """DNS failover: provider, the record users hit, its normal TTL and where to fail over to."""

    zone: Text = ""
    record: Text = ""
    ttl: int | None = Field(default=None, ge=1)
    failover_target: Text = ""


class FlagSetting(OurSection):
    """The flag system's ids that fill the kill-switch commands (``incident_response.flags``)."""

    project: Text = ""
    environment: Text = ""
    kill_switches: TextList = Field(default_factory=list)
    settings: dict[str, Text] = Field(default_factory=dict)


class CacheSetting(OurSection):
    """The application cache's ids (``incident_response.cache``): the Redis database number, host, key prefix."""

    settings: dict[str, Text] = Field(default_factory=dict)


class StatusPage(OurSection):
    """Where users read about incidents: a hosted provider, or the page ``status-page build`` writes to ``out``."""

    provider: Text = ""
    url: Text = ""
    out: Text = "status-site"


class SloTarget(OurSection):
    """An availability objective for one service, e.g. 99.9 % over 30 days."""

    target: float = Field(gt=0, lt=100)  # percent
    window_days: int = Field(default=30, ge=1, le=366)


class Contact(OurSection):
    """The person on call (usually the founder) and the support address users write to."""

    name: Text = ""
    email: Text = ""
    phone: Text = ""


class IncidentResponse(OurSection):
    """Our optional section. Only ``services`` is a fixed contract; the rest is documented in README."""

    services: list[ServiceConfig] = Field(default_factory=list)
    timezone: Text = "UTC"
    deploy: dict[str, Text] = Field(default_factory=dict)
    dns: DnsSetting = Field(default_factory=DnsSetting)
    cdn: ProviderSetting = Field(default_factory=ProviderSetting)
    payments: ProviderSetting = Field(default_factory=ProviderSetting)
    flags: FlagSetting = Field(default_factory=FlagSetting)
    cache: CacheSetting = Field(default_factory=CacheSetting)
    alerting: ProviderSetting = Field(default_factory=ProviderSetting)
    status_page: StatusPage = Field(default_factory=StatusPage)
    on_call: Contact = Field(default_factory=Contact)
    support_contact: Text = ""
    allow_private_targets: list[str] = Field(default_factory=list)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    slo: dict[str, SloTarget] = Field(default_factory=dict)  # service name → objective
    notify: list[NotifyChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> IncidentResponse:
        seen: set[str] = set()
        for index, service in enumerate(self.services):
            if service.name in seen:
                raise ValueError(placed(f"services.{index}.name", f"duplicate service name {service.name!r}"))
            seen.add(service.name)
        for index, window in enumerate(self.maintenance):
            for name in window.services:
                if name not in seen:
                    raise ValueError(placed(f"maintenance.{index}.services", _unknown_service(name, seen)))
        labels: set[str] = set()
        for index, channel in enumerate(self.notify):
            if channel.label in labels:
                raise ValueError(placed(f"notify.{index}.name", f"two channels are called {channel.label!r}; "
                                        "give each a distinct name"))
            labels.add(channel.label)
        for name in self.slo:
            if name not in seen:
                raise ValueError(placed(f"slo.{name}", _unknown_service(name, seen)))
        return self

    def under_maintenance(self, service: str, at: dt.datetime) -> MaintenanceWindow | None:
        """The maintenance window covering ``service`` at ``at``, if any."""
        return next((w for w in self.maintenance if w.covers(service, at)), None)


def _unknown_service(name: str, configured: set[str]) -> str:
    """What a maintenance window or SLO naming a service that is not configured is told."""
    return f"unknown service {name!r} (configured: {', '.join(sorted(configured)) or 'none'})"
