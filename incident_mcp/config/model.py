"""The whole of company.config.yaml that incident response reads: the Company OS sections plus ours."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from incident_mcp.config.response import IncidentResponse
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
from incident_mcp.config.services import ServiceConfig, unknown_service_message
from incident_mcp.errors import ConfigError


class CompanyConfig(BaseModel):
    """The sections of company.config.yaml that incident response reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    company: Company = Field(default_factory=Company)
    tech_stack: TechStack = Field(default_factory=TechStack)
    architecture: Architecture = Field(default_factory=Architecture)
    observability: Observability = Field(default_factory=Observability)
    feature_flags: FeatureFlags = Field(default_factory=FeatureFlags)
    support: Support = Field(default_factory=Support)
    personas: Personas = Field(default_factory=Personas)
    api: Api = Field(default_factory=Api)
    incident_response: IncidentResponse = Field(default_factory=IncidentResponse)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_section(cls, value: Any) -> Any:
        return {} if value is None or value == "" else value

    def service(self, name: str) -> ServiceConfig:
        """The configured service called ``name``; ConfigError naming the configured ones (and the closest)."""
        for service in self.incident_response.services:
            if service.name == name:
                return service
        names = [s.name for s in self.incident_response.services]
        raise ConfigError(unknown_service_message(name, names), field="incident_response.services")

    def critical_services(self) -> list[ServiceConfig]:
        """Services marked critical (all services when none is marked)."""
        services = self.incident_response.services
        critical = [s for s in services if s.critical]
        return critical or list(services)
