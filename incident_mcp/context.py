"""``load_context``: a bounded, structured summary of the company for an agent starting incident work.

It reads the config, the RFCs, the ops standards present and the open incident records, and says
what is missing from the config for incident response — never whole file bodies.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from incident_mcp import rfcs as rfcs_core
from incident_mcp.artifacts import Artifact, ArtifactIndex
from incident_mcp.config import PROVIDER_FIELDS, LoadedConfig, load_config, provider_refs
from incident_mcp.incidents.rules import is_incident_record
from incident_mcp.rfcs import load_rfcs
from incident_mcp.workspace import Workspace

MAX_RFCS = 200
MAX_INCIDENTS = 50
OPS_STANDARDS = ("standards/ops/incident-runbook.md", "standards/ops/post-mortem-template.md")


class ServiceSummary(BaseModel):
    """A configured service as the status check will see it."""

    name: str
    url: str
    critical: bool


class ProviderSummary(BaseModel):
    """A provider field: what the config says and what we recognised it as."""

    field: str
    value: str
    recognised_as: str | None = Field(description="catalog key; null when blank or unknown")


class RfcSummary(BaseModel):
    """An RFC's identity, links and failure domains (from ``rfcs.load_rfcs``; archived RFCs are left out)."""

    id: str
    title: str
    status: str
    path: str
    depends_on: list[str]
    parent: str | None
    tags: list[str]
    dependencies: list[str] = Field(default_factory=list, description="what the RFC says it depends on")
    failure_domains: list[str] = Field(default_factory=list,
                                       description="shared systems it relies on (Database, Payments, …)")


class IncidentSummary(BaseModel):
    """An incident record that is not resolved yet."""

    id: str
    title: str
    severity: str | None
    state: str | None
    path: str


class Context(BaseModel):
    """Everything an agent needs to start: who, what stack, which services, which documents."""

    workspace: str
    company: dict[str, str]
    providers: list[ProviderSummary]
    services: list[ServiceSummary]
    critical_services: list[str]
    rfcs: list[RfcSummary]
    rfcs_truncated: bool = False
    ops_standards_present: list[str]
    ops_standards_missing: list[str]
    open_incidents: list[IncidentSummary]
    missing_config: list[str] = Field(description="config fields to fill for tailored incident response")
    warnings: list[str]


def _missing(loaded: LoadedConfig) -> list[str]:
    config = loaded.config
    missing: list[str] = []
    for dotted in ("company.name", "company.product", "company.domain"):
        node = getattr(config.company, dotted.split(".")[1])
        if not node:
            missing.append(f"{dotted}: used in the runbook title and communications")
    refs = provider_refs(config)
    for kind in ("hosting", "orm", "error_tracking", "feature_flags"):
        if not refs[kind].configured:
            missing.append(f"{PROVIDER_FIELDS[kind]}: needed for {kind.replace('_', ' ')} steps in the runbook")
    if not config.incident_response.services:
        missing.append("incident_response.services: list the URLs check_status should probe")
    if not (config.support.escalation_email or config.incident_response.support_contact):
        missing.append("support.escalation_email: the contact users are given in communications")
    return missing


def load_context(workspace: Workspace) -> Context:
    """Summarise the workspace for incident response (bounded in size)."""
    loaded = load_config(workspace.config_path)
    config = loaded.config
    index = ArtifactIndex.build(workspace)
    by_path = {artifact.rel: artifact for artifact in index.artifacts()}
    rfcs = [_rfc_summary(rfc, by_path[rfc.path]) for rfc in load_rfcs(workspace, index).rfcs]
    incidents = [IncidentSummary(id=artifact.id or "", title=artifact.title, path=artifact.rel,
                                 severity=_opt(artifact.meta.get("severity")),
                                 state=_opt(artifact.meta.get("incident_state")))
                 for artifact in by_path.values()
                 if is_incident_record(artifact) and str(artifact.meta.get("incident_state", "")) != "resolved"]
    incidents.sort(key=lambda i: (len(i.id), i.id), reverse=True)  # INC-1000 after INC-999
    present = [p for p in OPS_STANDARDS if (workspace.root / p).is_file()]
    providers = provider_refs(config)
    return Context(
        workspace=str(workspace.root),
        company={k: v for k, v in config.company.model_dump().items() if isinstance(v, str)},
        providers=[ProviderSummary(field=r.field, value=r.raw, recognised_as=r.key) for r in providers.values()],
        services=[ServiceSummary(name=s.name, url=s.url, critical=s.critical)
                  for s in config.incident_response.services],
        critical_services=[s.name for s in config.critical_services()],
        rfcs=rfcs[:MAX_RFCS],
        rfcs_truncated=len(rfcs) > MAX_RFCS,
        ops_standards_present=present,
        ops_standards_missing=[p for p in OPS_STANDARDS if p not in present],
        open_incidents=incidents[:MAX_INCIDENTS],
        missing_config=_missing(loaded),
        warnings=list(loaded.warnings),
    )


def _rfc_summary(rfc: rfcs_core.RfcSummary, artifact: Artifact) -> RfcSummary:
    """The RFC as the runbook sees it, plus the links and tags an agent navigates by."""
    tags = artifact.meta.get("tags")
    return RfcSummary(
        id=rfc.id, title=rfc.title, status=rfc.status, path=rfc.path, depends_on=list(rfc.depends_on),
        parent=next(iter(artifact.references()["parent"]), None),
        tags=[str(t) for t in tags if t is not None] if isinstance(tags, list) else [],
        dependencies=list(rfc.dependencies), failure_domains=list(rfc.failure_domains),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
