"""company.config.yaml → a typed model of what incident response needs, plus our ``incident_response:`` key.

A plain Company OS config (every value ``""``) loads without error; unknown sections are ignored;
free-text provider names are normalised through the catalog; any error names file, line and field.

Modules: ``fields`` (shared value types), ``sections`` (Company OS sections), ``services``, ``notify``, ``watch``
and ``response`` (our section), ``model`` (the whole file), ``providers`` (provider fields and refs),
``placement`` (where an error is), ``loading`` (read and parse).
"""

from __future__ import annotations

from incident_mcp.config.fields import Text, TextList
from incident_mcp.config.loading import MAX_CONFIG_BYTES, LoadedConfig, load_config, parse_config, read_config_text
from incident_mcp.config.model import CompanyConfig
from incident_mcp.config.notify import ENV_NAME, ChannelType, NotifyChannel
from incident_mcp.config.providers import (
    NO_PROVIDER,
    PROVIDER_FIELDS,
    ProviderKind,
    ProviderRef,
    config_value,
    provider_refs,
)
from incident_mcp.config.response import (
    CacheSetting,
    Contact,
    DnsSetting,
    FlagSetting,
    IncidentResponse,
    ProviderSetting,
    SloTarget,
    StatusPage,
)
from incident_mcp.config.sections import (
    Api,
    Architecture,
    Company,
    FeatureFlags,
    Observability,
    Personas,
    Support,
    TechStack,
)
from incident_mcp.config.services import (
    Expectations,
    JsonCondition,
    ServiceConfig,
    StatusRange,
    unknown_service_message,
)
from incident_mcp.config.watch import AwareTime, MaintenanceWindow, WatchSettings

__all__ = [
    "ENV_NAME",
    "MAX_CONFIG_BYTES",
    "NO_PROVIDER",
    "PROVIDER_FIELDS",
    "Api",
    "Architecture",
    "AwareTime",
    "CacheSetting",
    "ChannelType",
    "Company",
    "CompanyConfig",
    "Contact",
    "DnsSetting",
    "Expectations",
    "FeatureFlags",
    "FlagSetting",
    "IncidentResponse",
    "JsonCondition",
    "LoadedConfig",
    "MaintenanceWindow",
    "NotifyChannel",
    "Observability",
    "Personas",
    "ProviderKind",
    "ProviderRef",
    "ProviderSetting",
    "ServiceConfig",
    "SloTarget",
    "StatusPage",
    "StatusRange",
    "Support",
    "TechStack",
    "Text",
    "TextList",
    "WatchSettings",
    "config_value",
    "load_config",
    "parse_config",
    "provider_refs",
    "read_config_text",
    "unknown_service_message",
]
