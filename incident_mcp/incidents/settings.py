"""What incident handling reads from company.config.yaml: timezone for business hours, support contact,
status page, product name. A missing or broken config never stops an incident from being recorded:
defaults apply and the problem is reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from incident_mcp.config import CompanyConfig, load_config, unknown_service_message
from incident_mcp.errors import ConfigError, IncidentError
from incident_mcp.workspace import Workspace


@dataclass(frozen=True)
class IncidentSettings:
    """Config values incidents use; every one optional."""

    timezone: dt.tzinfo = dt.UTC
    timezone_name: str = "UTC"
    support_contact: str = ""
    status_page_url: str = ""
    product: str = ""
    author: str = ""
    services: tuple[str, ...] = ()  # configured service names (incident_response.services[].name)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, config: CompanyConfig) -> IncidentSettings:
        """Settings from a loaded config.

        Support contact: ``incident_response.support_contact``, else ``support.escalation_email``,
        else ``support.channels`` joined. Author of new records: ``personas.ops_risk``.
        """
        ours = config.incident_response
        warnings: list[str] = []
        tz_name = ours.timezone.strip() or "UTC"
        tz: dt.tzinfo
        try:
            tz = dt.UTC if tz_name.upper() == "UTC" else zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            warnings.append(f"incident_response.timezone: unknown timezone {tz_name!r}; using UTC")
            tz, tz_name = dt.UTC, "UTC"
        contact = (ours.support_contact.strip() or config.support.escalation_email.strip()
                   or ", ".join(c.strip() for c in config.support.channels if c.strip()))
        return cls(timezone=tz, timezone_name=tz_name, support_contact=contact,
                   status_page_url=ours.status_page.url.strip(),
                   product=config.company.product.strip() or config.company.name.strip(),
                   author=config.personas.ops_risk.strip(),
                   services=tuple(s.name for s in ours.services), warnings=tuple(warnings))


def check_services(settings: IncidentSettings, names: list[str]) -> list[str]:
    """``names`` checked against the configured services; any name goes when none is configured."""
    if settings.services:
        for name in names:
            if name not in settings.services:
                raise IncidentError(f"services: {unknown_service_message(name, settings.services)}")
    return names


def load_settings(ws: Workspace) -> IncidentSettings:
    """Settings of the workspace; defaults (with a warning) when the config is missing or broken."""
    if not ws.config_path.is_file():
        return IncidentSettings()
    try:
        loaded = load_config(ws.config_path)
    except ConfigError as err:
        return IncidentSettings(warnings=(f"company config not used ({err}); using UTC and placeholders",))
    return IncidentSettings.from_config(loaded.config)
