"""The Company OS sections incident response reads (``company:``, ``tech_stack:``, …); unknown keys are ignored."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from incident_mcp.config.fields import CompanyOsSection, Text, TextList


class Company(CompanyOsSection):
    """``company:`` — who we are writing the runbook for."""

    name: Text = ""
    product: Text = ""
    description: Text = ""
    domain: Text = ""
    stage: Text = ""


class TechStack(CompanyOsSection):
    """``tech_stack:`` — host, database, ORM and cache drive the rollback steps."""

    language: Text = ""
    framework: Text = ""
    runtime: Text = ""
    database: Text = ""
    orm: Text = ""
    cache: Text = ""
    queue: Text = ""
    search: Text = ""
    hosting: Text = ""
    ci: Text = ""


class Architecture(CompanyOsSection):
    """``architecture:`` — deployment model matters for rollback."""

    multi_tenant: bool | None = None
    tenant_isolation: Text = ""
    deployment_model: Text = ""

    @field_validator("multi_tenant", mode="before")
    @classmethod
    def _blank_bool(cls, value: Any) -> Any:
        return None if value == "" else value


class Observability(CompanyOsSection):
    """``observability:`` — the error tracker is where alerts start."""

    logging: Text = ""
    log_provider: Text = ""
    metrics: Text = ""
    tracing: Text = ""
    error_tracking: Text = ""


class FeatureFlags(CompanyOsSection):
    """``feature_flags:`` — the kill switch provider."""

    provider: Text = ""
    strategy: Text = ""


class Support(CompanyOsSection):
    """``support:`` — where users reach us during an incident."""

    channels: TextList = Field(default_factory=list)
    sla_tier: Text = ""
    escalation_email: Text = ""


class Api(CompanyOsSection):
    """``api:`` — only ``auth`` matters here: a hosted auth provider (Clerk, Auth0, …) is a dependency to watch."""

    auth: Text = ""


class Personas(CompanyOsSection):
    """``personas:`` — the Ops & Risk agent's display name, if set."""

    ops_risk: Text = ""
