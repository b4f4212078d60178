"""What a rollback plan is: sections in a fixed order, each with its providers' steps, generic steps and checks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from incident_mcp.catalog.models import Verified
from incident_mcp.config import ProviderKind

SectionKind = Literal["deployment", "database", "feature_flag", "dns", "cache"]
SECTION_KINDS: tuple[SectionKind, ...] = ("deployment", "database", "feature_flag", "dns", "cache")


class PlanStep(BaseModel):
    """One step to take, with its command filled from the config where the config knows the ids."""

    action: str
    command: str | None = None
    headers: list[str] = Field(default_factory=list)
    body: str | None = None
    body_file: str | None = Field(default=None, description="save the body in this file before running")
    verify: str | None = None
    verified: Verified = "verified"
    verify_with_help: bool = Field(default=False, description="not fully verified: check `--help` first")
    check_first: str | None = Field(default=None, description="what to check before running, if anything")
    missing: list[str] = Field(default_factory=list, description="UPPERCASE placeholders still to fill")


class ProviderPlan(BaseModel):
    """The steps of one configured provider, as the config names it."""

    kind: ProviderKind
    field: str = Field(description="the config field that named this provider")
    configured_as: str
    key: str
    name: str
    variant: str | None = None
    verified: Verified
    summary: str = ""
    family_options: list[str] = Field(default_factory=list, description="for a vague name: what it could mean")
    steps: list[PlanStep]
    prepare: list[PlanStep] = Field(default_factory=list, description="to set up before the next deploy")
    caveats: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list)


class PlanSection(BaseModel):
    """One part of the rollback (deployment, database, …): its providers or generic steps, notes, verify."""

    kind: SectionKind
    title: str
    providers: list[ProviderPlan] = Field(default_factory=list)
    steps: list[PlanStep] = Field(default_factory=list, description="generic steps when no provider is known")
    prepare: list[PlanStep] = Field(default_factory=list, description="generic steps to set up beforehand")
    notes: list[str] = Field(default_factory=list)
    config_fields_to_set: list[str] = Field(default_factory=list)
    verify: list[PlanStep] = Field(default_factory=list)


class RollbackPlan(BaseModel):
    """The rollback checklist for the configured stack, in the order to work through it."""

    company: str = ""
    notes: list[str] = Field(default_factory=list)
    sections: list[PlanSection]
