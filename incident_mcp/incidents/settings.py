"""What incident handling reads from company.config.yaml: timezone for business hours, support contact,
status page, product name. A missing or broken config never stops an incident from being recorded:
defaults apply and the problem is reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.errors import ConfigError
from incident_mcp.workspace import Workspace


@dataclass(frozen=True)
class IncidentSettings:
    """Config values incidents use; every one optional."""

    timezone: dt.tzinfo = dt.UTC
    timezone_name: str = "UTC"
    support_contact: str = ""
    status_page_url: str = ""
    product: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, config: CompanyConfig) -> IncidentSettings:
        """Settings from a loaded config.

        Support contact: ``incident_response.support_contact``, else ``support.escalation_email``,
        else ``support.channels`` joined.
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
                   warnings=tuple(warnings))


def load_settings(ws: Workspace) -> IncidentSettings:
    """Settings of the workspace; defaults (with a warning) when the config is missing or broken."""
    if not ws.config_path.is_file():
        return IncidentSettings()
    try:
        loaded = load_config(ws.config_path)
    except ConfigError as err:
        return IncidentSettings(warnings=(f"company config not used ({err}); using UTC and placeholders",))
    return IncidentSettings.from_config(loaded.config)
