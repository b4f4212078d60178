"""Building the template context from the config, the provider catalog and the RFCs.

Template context (what a workspace override can use; every value is plain data):

``company``          name, product, domain, stage, display_name, product_display, product_or_placeholder
``stack_rows``       [{label, field, value, configured}] for the "At a Glance" table
``services``         [{name, url, critical, description}]; ``critical_services`` the critical ones
``status_check``     the ``./tools/ops/status-check.sh`` command for the critical URLs, or None
``rfcs``             [RfcSummary] (``incident_mcp.rfcs``); ``failure_domains`` [{name, rfc_ids}];
                     ``unreadable_rfcs`` [text]; ``third_parties`` [ProviderView] hosted auth and payments
                     (api.auth, incident_response.payments.provider): checks, status page, fail-safe, replay
``severities``       [{level, name, description, examples, response_time, resolution_target}]
``rollback``         notes (advice heading the checklist) and sections {deployment, database, feature_flag,
                     dns, cache}: RollbackSection each, built from ``incident_mcp.rollback.rollback_plan``
``alerting``         tracker_name, native_push, route, channels, route_provider, docs, steps (the tracker's
                     own set-up steps from the catalog)
``escalation``       hosting_name, framework
``dns``              provider, zone, record, ttl, ttl_human, failover_target
``contacts``         on_call, support, status_page, support_or_placeholder, signature
``postmortem``       author_hint, owner_hint, detection_sources, mitigations
``gaps``             [{field, need}]: config values that are not set, named in the document
``timezone``, ``generated_on`` (YYYY-MM-DD, used only outside managed blocks), ``version``
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from incident_mcp import __version__
from incident_mcp.catalog import Catalog, canonical, load_catalog
from incident_mcp.config import CompanyConfig, LoadedConfig, ProviderKind, ProviderRef, provider_refs
from incident_mcp.rfcs import load_rfcs
from incident_mcp.rollback import RollbackPlan, rollback_plan
from incident_mcp.runbook.views import (
    Gap,
    RollbackSection,
    _catalog_step_view,
    _provider_view,
    _step_view,
    _third_parties,
)
from incident_mcp.severity import LEVELS
from incident_mcp.workspace import Workspace


def _target(delta: dt.timedelta) -> str:
    """A resolution target as the spec writes it: ``1 hour``, ``24 hours``, ``1 week``."""
    hours = int(delta.total_seconds() // 3600)
    if hours >= 168 and hours % 168 == 0:
        weeks = hours // 168
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    return f"{hours} hour" + ("s" if hours != 1 else "")


def _severities() -> list[dict[str, Any]]:
    """The P0–P3 table rows, from ``incident_mcp.severity`` (the same data classify_severity uses)."""
    return [{"level": row.level, "name": row.name, "description": row.description, "examples": list(row.examples),
             "response_time": row.response_time, "resolution_target": _target(row.resolution_target)}
            for row in LEVELS.values()]


def _human_seconds(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    if seconds < 172_800:
        return f"{round(seconds / 3600)} hours"
    return f"{round(seconds / 86400)} days"


@dataclass
class _Builder:
    """Collects the template context for one config (and the gaps it finds on the way)."""

    ws: Workspace
    config: CompanyConfig
    gaps: list[Gap] = field(default_factory=list)

    def gap(self, dotted: str, need: str) -> None:
        if all(g.field != dotted for g in self.gaps):
            self.gaps.append(Gap(dotted, need))

    def company(self) -> dict[str, str]:
        company = self.config.company
        if not company.name.strip():
            self.gap("company.name", "your company's name in the runbook and in user emails")
        if not company.product.strip():
            self.gap("company.product", "your product's name in the communication templates")
        display = company.name.strip() or company.product.strip() or "your company"
        product = company.product.strip() or company.name.strip()
        return {"name": company.name.strip(), "product": company.product.strip(), "domain": company.domain.strip(),
                "stage": company.stage.strip(), "display_name": display,
                "product_display": product or "your product",
                "product_or_placeholder": product or "[Service Name]"}

    def services(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
        services = [{"name": s.name, "url": s.url, "critical": s.critical, "description": s.description}
                    for s in self.config.incident_response.services]
        if not services:
            self.gap("incident_response.services", "the status-check command with your own service URLs")
            return [], [], None
        critical = [s for s in services if s["critical"]] or services
        command = "./tools/ops/status-check.sh " + " ".join(shlex.quote(str(s["url"])) for s in critical)
        return services, critical, command

    def contacts(self, company: dict[str, str]) -> dict[str, Any]:
        ir = self.config.incident_response
        on_call = ", ".join(part for part in (ir.on_call.name, ir.on_call.email, ir.on_call.phone) if part.strip())
        support = (ir.support_contact.strip() or self.config.support.escalation_email.strip()
                   or ", ".join(self.config.support.channels))
        if not support:
            self.gap("incident_response.support_contact", "the address users should write to in the email template")
        status_page = ir.status_page.url.strip()
        if not status_page:
            self.gap("incident_response.status_page.url", "your status page named in the triage and templates")
        signer = ir.on_call.name.strip()
        company_name = company["name"] or company["product"]
        if signer and company_name:
            signature = f"{signer}, {company_name}"
        else:
            signature = signer or (f"[Your name], {company_name}" if company_name else "[Your name]")
        return {"on_call": on_call, "support": support, "status_page": status_page,
                "support_or_placeholder": support or "[support channel]", "signature": signature}

    def dns(self) -> dict[str, Any]:
        dns = self.config.incident_response.dns
        ttl = dns.ttl
        return {"provider": dns.provider.strip(), "zone": dns.zone.strip(), "record": dns.record.strip(), "ttl": ttl,
                "ttl_human": _human_seconds(ttl) if ttl else "", "failover_target": dns.failover_target.strip()}


# The spec's names for the rollback checklist's sections.
SECTION_TITLES: dict[str, str] = {
    "deployment": "Deployment Rollback", "database": "Database Rollback", "feature_flag": "Feature Flag Disable",
    "dns": "DNS Failover", "cache": "Cache Invalidation",
}
_STACK_LABELS: tuple[tuple[str, ProviderKind | None, str], ...] = (
    ("Hosting", "hosting", "tech_stack.hosting"),
    ("Database", "database", "tech_stack.database"),
    ("ORM / migrations", "orm", "tech_stack.orm"),
    ("Cache", "cache", "tech_stack.cache"),
    ("CDN", "cdn", "incident_response.cdn.provider"),
    ("DNS", "dns", "incident_response.dns.provider"),
    ("Feature flags", "feature_flags", "feature_flags.provider"),
    ("Error tracking", "error_tracking", "observability.error_tracking"),
    ("Sign-in (auth)", "auth", "api.auth"),
    ("Payments", "payments", "incident_response.payments.provider"),
    ("Alert route to your phone", None, "incident_response.alerting.provider"),
)
_NOT_CONFIGURED = re.compile(r"^not configured: set `?([a-z_]+(?:\.[a-z_]+)+)`? to get (.+?)\.?$")
_NOTHING_TO_DO = re.compile(r"no provider to act on")
_CONFIG_FIELD = re.compile(r"(?<![`\w.])((?:company|tech_stack|observability|feature_flags|support|architecture|"
                           r"incident_response)(?:\.[a-z_]+)+)(?![`\w])")


def _code_fields(text: str) -> str:
    """Config field names in a note, as Markdown code (``tech_stack.orm`` → `` `tech_stack.orm` ``)."""
    return _CONFIG_FIELD.sub(r"`\1`", text)


def _provider_name(catalog: Catalog, ref: ProviderRef) -> str | None:
    """The catalog's display name for a configured provider (None when unknown or blank)."""
    if ref.key is None:
        return None
    return catalog.provider(ref.kind, ref.key).name


def _stack_rows(config: CompanyConfig, refs: dict[ProviderKind, ProviderRef], catalog: Catalog) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for label, kind, dotted in _STACK_LABELS:
        raw = refs[kind].raw.strip() if kind else config.incident_response.alerting.provider.strip()
        value = raw
        if kind and refs[kind].configured:
            name = _provider_name(catalog, refs[kind])
            if name is None:
                value = f"{raw} (not in the provider catalog: generic steps)"
            elif canonical(name).startswith(canonical(raw)):
                value = name  # "Bugsnag" → "Bugsnag (SmartBear)", not "Bugsnag (Bugsnag (SmartBear))"
            else:
                value = f"{raw} ({name})"
        rows.append({"label": label, "field": dotted, "value": value, "configured": bool(raw)})
    return rows


def _rollback_view(plan: RollbackPlan, builder: _Builder) -> dict[str, Any]:
    """The rollback plan (``incident_mcp.rollback``) as template data; its "not configured" notes become gaps."""
    sections: dict[str, RollbackSection] = {}
    for section in plan.sections:
        notes: list[str] = []
        for note in section.notes:
            missing = _NOT_CONFIGURED.match(note)
            if missing:
                builder.gap(missing.group(1), missing.group(2))
            elif section.providers and _NOTHING_TO_DO.search(note):
                continue  # "cache is 'none'" says nothing when the CDN beside it has steps
            notes.append(_code_fields(note))
        title = SECTION_TITLES.get(section.kind, section.title)
        for dotted in section.config_fields_to_set:
            builder.gap(dotted, f"the {title.lower()} commands filled with your own ids")
        providers = tuple(_provider_view(p) for p in section.providers)
        sections[section.kind] = RollbackSection(
            kind=section.kind, title=title, providers=providers,
            notes=tuple(notes), prepare=tuple(_step_view(s) for s in section.prepare),
            steps=tuple(_step_view(s) for s in section.steps), verify=tuple(_step_view(s) for s in section.verify))
    return {"notes": list(plan.notes), "sections": sections}

def _alerting(config: CompanyConfig, ref: ProviderRef, catalog: Catalog, builder: _Builder) -> dict[str, Any]:
    route_provider = config.incident_response.alerting.provider.strip()
    view: dict[str, Any] = {"tracker_name": None, "native_push": "", "route": list(catalog.alert_route),
                            "channels": [], "route_provider": route_provider, "docs": [], "steps": []}
    if not ref.configured:
        builder.gap(ref.field, "the alert set-up for your error tracker")
    elif ref.key is None:
        view["tracker_name"] = ref.raw.strip()
        view["native_push"] = ("It is not in our provider catalog, so we cannot say whether it can push to a phone "
                               "by itself; assume it cannot.")
    else:
        entry = catalog.provider("error_tracking", ref.key)
        view.update(tracker_name=entry.name, docs=list(entry.docs),
                    steps=[_catalog_step_view(s) for s in entry.steps])
        if entry.alerting is not None:
            view.update(native_push=f"Push to your phone from {entry.name} itself: {entry.alerting.native_push}.",
                        route=list(entry.alerting.route), channels=list(entry.alerting.channels))
    if not route_provider:
        builder.gap("incident_response.alerting.provider",
                    "the alert route to your phone named (PagerDuty, Opsgenie or Slack)")
    return view


def runbook_context(ws: Workspace, loaded: LoadedConfig, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the runbook and post-mortem templates see (documented in the module docstring)."""
    config = loaded.config
    catalog = load_catalog()
    refs = provider_refs(config)
    builder = _Builder(ws, config)
    company = builder.company()
    services, critical, status_check = builder.services()
    report = load_rfcs(ws)
    rollback = _rollback_view(rollback_plan(config, catalog=catalog, rfcs=report.rfcs), builder)
    alerting = _alerting(config, refs["error_tracking"], catalog, builder)
    contacts = builder.contacts(company)
    hosting = _provider_name(catalog, refs["hosting"])
    flags = _provider_name(catalog, refs["feature_flags"])
    when = now or dt.datetime.now(dt.UTC)
    tracker = alerting["tracker_name"]
    return {
        "company": company,
        "stack_rows": _stack_rows(config, refs, catalog),
        "services": services,
        "critical_services": critical,
        "status_check": status_check,
        "rfcs": list(report.rfcs),
        "failure_domains": [{"name": d.name, "rfc_ids": list(d.rfc_ids)} for d in report.failure_domains],
        "unreadable_rfcs": list(report.unreadable),
        "third_parties": _third_parties(config, catalog),
        "severities": _severities(),
        "rollback": rollback,
        "alerting": alerting,
        "escalation": {
            "hosting_name": hosting or (refs["hosting"].raw.strip() if refs["hosting"].configured else ""),
            "framework": config.tech_stack.framework.strip(),
        },
        "dns": builder.dns(),
        "contacts": contacts,
        "postmortem": {
            "author_hint": config.incident_response.on_call.name.strip() or "Name",
            "owner_hint": config.incident_response.on_call.name.strip() or "name",
            "detection_sources": [f"{tracker} alert", "status check", "user report"] if tracker
            else ["monitoring", "user report", "manual check"],
            "mitigations": [f"{hosting} rollback" if hosting else "rollback", "hotfix",
                            f"{flags} flag off" if flags else "flag disable"],
        },
        "gaps": [{"field": g.field, "need": g.need} for g in builder.gaps],
        "timezone": config.incident_response.timezone or "UTC",
        "generated_on": when.date().isoformat(),
        "version": __version__,
    }
