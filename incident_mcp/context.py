"""``load_context``: a bounded, structured summary of the company for an agent starting incident work.

It reads the config, the RFCs, the ops standards present and the open incident records, and says
what is missing from the config for incident response — never whole file bodies.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.config import PROVIDER_FIELDS, LoadedConfig, load_config, provider_refs
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
    """An RFC's identity and its links (dependencies are where failures spread from)."""

    id: str
    title: str
    status: str
    path: str
    depends_on: list[str]
    parent: str | None
    tags: list[str]


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
    rfcs: list[RfcSummary] = []
    incidents: list[IncidentSummary] = []
    for artifact in index.artifacts():
        meta = artifact.meta
        art_id = artifact.id
        if art_id is None:
            continue
        if meta.get("type") == "rfc":
            links = artifact.references()
            rfcs.append(RfcSummary(
                id=art_id, title=artifact.title, status=artifact.status or "", path=artifact.rel,
                depends_on=links["depends_on"], parent=next(iter(links["parent"]), None),
                tags=[str(t) for t in meta.get("tags") or [] if t is not None] if isinstance(
                    meta.get("tags"), list) else [],
            ))
        elif art_id.startswith("INC-") and str(meta.get("incident_state", "")) != "resolved":
            incidents.append(IncidentSummary(
                id=art_id, title=artifact.title, severity=_opt(meta.get("severity")),
                state=_opt(meta.get("incident_state")), path=artifact.rel,
            ))
    rfcs.sort(key=lambda r: r.id)
    incidents.sort(key=lambda i: i.id, reverse=True)
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


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
