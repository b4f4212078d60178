"""The rollback checklist for THIS company: its host, ORM, database, flags, DNS and cache, with exact commands.

Sections come in a fixed order (deployment, database, feature_flag, dns, cache). Each holds only the providers
the config names, with commands filled from ``incident_response`` ids (unknown ids stay as visible UPPERCASE
placeholders), their caveats and docs, then a verify block. A blank, "none" or unknown provider gets the
generic steps and a note naming the config field to set; a vague one ("AWS") gets a question, not a guess.
The plan never carries another provider's commands.

Placeholder values come from ``incident_response.deploy`` (any key, e.g. ``app``, ``service``, ``cluster``,
``django_app``), plus ``incident_response.dns`` (zone, record, ttl, failover_target, settings) for the DNS section
and ``incident_response.cdn.settings`` for the cache section. A value with characters that could change a shell
command's meaning is not used; the plan says so.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from incident_mcp.catalog import (
    NONE_WORDS,
    Catalog,
    Provider,
    Step,
    canonical,
    fill,
    load_catalog,
    placeholders,
)
from incident_mcp.catalog.models import Verified, curl_command, is_http
from incident_mcp.config import PROVIDER_FIELDS, CompanyConfig, ProviderKind, config_value
from incident_mcp.rfcs import RfcSummary, load_rfcs
from incident_mcp.workspace import Workspace

SectionKind = Literal["deployment", "database", "feature_flag", "dns", "cache"]
SECTION_KINDS: tuple[SectionKind, ...] = ("deployment", "database", "feature_flag", "dns", "cache")

# Which config provider fields feed each section, in the order their steps are shown (backup before migration).
SECTION_SOURCES: dict[SectionKind, tuple[ProviderKind, ...]] = {
    "deployment": ("hosting",),
    "database": ("database", "orm"),
    "feature_flag": ("feature_flags",),
    "dns": ("dns",),
    "cache": ("cache", "cdn"),
}
# The sources whose steps replace the generic ones (a database's backup hint does not replace migration steps).
_PRIMARY: dict[SectionKind, tuple[ProviderKind, ...]] = {
    "deployment": ("hosting",), "database": ("orm",), "feature_flag": ("feature_flags",), "dns": ("dns",),
    "cache": ("cache", "cdn"),
}
_WHAT: dict[ProviderKind, str] = {
    "hosting": "deployment rollback steps",
    "orm": "migration rollback steps",
    "database": "backup steps for your database",
    "feature_flags": "kill-switch steps",
    "dns": "DNS failover steps",
    "cache": "cache flush steps",
    "cdn": "CDN purge steps",
    "error_tracking": "alert routing",
    "auth": "what to check when sign-in fails",
    "payments": "what to check and replay for payments",
}
# Dependencies that cannot be rolled back (hosted auth, payments): the runbook lists what to check and replay.
DEPENDENCY_KINDS: tuple[ProviderKind, ...] = ("auth", "payments")
DEPENDENCY_FIELDS: dict[str, str] = {"webhook_endpoint_id": "incident_response.payments.settings.webhook_endpoint_id"}
# Placeholders the config can fill, per section, and the field that fills them (deploy ids fill every section).
_DEPLOY_IDS = ("app", "service", "cluster", "region", "project", "site_id", "stack", "environment", "function",
               "alias", "resource_group", "branch", "account_id", "task_family", "container", "release_name",
               "release_module", "repo_module", "data_source", "compiled_data_source", "django_app", "changelog",
               "database_name", "app_engine_service", "firebase_project", "neon_project", "neon_branch",
               "planetscale_org", "planetscale_database", "backend", "coolify_url", "coolify_app_uuid",
               "git_remote_url", "image", "migrations_dir", "database_file")
_DEPLOY_FIELDS = {name: f"incident_response.deploy.{name}" for name in _DEPLOY_IDS}
CONFIG_FIELDS: dict[SectionKind, dict[str, str]] = {
    "deployment": _DEPLOY_FIELDS,
    "database": _DEPLOY_FIELDS,
    "feature_flag": {
        **_DEPLOY_FIELDS,
        "flag_project": "incident_response.flags.project",
        "flag_environment": "incident_response.flags.environment",
        "posthog_host": "incident_response.flags.settings.posthog_host",
        "edge_config_id": "incident_response.flags.settings.edge_config_id",
        "env_api_key": "incident_response.flags.settings.env_api_key",
        "configcat_environment_id": "incident_response.flags.settings.configcat_environment_id",
        "flipt_url": "incident_response.flags.settings.flipt_url",
        "flipt_namespace": "incident_response.flags.settings.flipt_namespace",
        "split_workspace_id": "incident_response.flags.settings.split_workspace_id",
        "devcycle_project": "incident_response.flags.settings.devcycle_project",
        "optimizely_project_id": "incident_response.flags.settings.optimizely_project_id",
    },
    "dns": {
        **_DEPLOY_FIELDS,
        "zone": "incident_response.dns.zone",
        "record": "incident_response.dns.record",
        "record_name": "incident_response.dns.record",
        "ttl": "incident_response.dns.ttl",
        "failover_target": "incident_response.dns.failover_target",
        "record_type": "incident_response.dns.failover_target",
        "primary_target": "incident_response.dns.settings.primary_target",
        "primary_type": "incident_response.dns.settings.primary_target",
        "account": "incident_response.dns.settings.account",
        "domain": "incident_response.dns.settings.domain",
        "gcp_project": "incident_response.dns.settings.gcp_project",
    },
    "cache": {
        **_DEPLOY_FIELDS,
        "zone": "incident_response.cdn.settings.zone",
        "distribution_id": "incident_response.cdn.settings.distribution_id",
        "fastly_service_id": "incident_response.cdn.settings.fastly_service_id",
        "bunny_pull_zone_id": "incident_response.cdn.settings.bunny_pull_zone_id",
        "site_id": "incident_response.cdn.settings.site_id",
        "cpcode": "incident_response.cdn.settings.cpcode",
        "redis_db": "incident_response.cache.settings.redis_db",
        "host": "incident_response.cache.settings.host",
        "cache_pattern": "incident_response.cache.settings.cache_pattern",
    },
}
# Job queues that keep their jobs in Redis: a FLUSHDB on the database they share deletes every queued job.
_REDIS_QUEUES = {"bullmq": "BullMQ", "bull": "Bull", "beequeue": "Bee-Queue", "sidekiq": "Sidekiq",
                 "resque": "Resque", "celery": "Celery", "rq": "RQ", "arq": "arq", "dramatiq": "Dramatiq",
                 "huey": "Huey", "horizon": "Laravel Horizon", "asynq": "Asynq", "machinery": "Machinery",
                 "kue": "Kue"}
_SPLIT_PROVIDERS = re.compile(r"\s*(?:\+|/|,|&|;|\band\b|\bwith\b|\bplus\b)\s*", re.IGNORECASE)
# Hosts that serve through their own CDN: a hint when incident_response.cdn.provider is blank.
_HOST_CDN = {"vercel": "Vercel", "cloudflare-workers": "Cloudflare", "cloudflare-pages": "Cloudflare"}
# A config value goes into a shell command only if it cannot change the command's meaning.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$")
# A key pattern is printed inside single quotes, so glob characters are safe in it.
_SAFE_PATTERN = re.compile(r"^[A-Za-z0-9*?][A-Za-z0-9._:/@+=*?\[\]-]{0,199}$")


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


def rollback_plan(config: CompanyConfig, kinds: Iterable[str] | None = None, *,
                  catalog: Catalog | None = None, rfcs: Sequence[RfcSummary] | None = None,
                  workspace: Workspace | None = None) -> RollbackPlan:
    """The rollback plan for ``config``, limited to the section ``kinds`` given (default: all five).

    ``rfcs`` (or, when not given, the RFCs of ``workspace``) add the flags they name to the kill-switch section
    and the job queues they mention to the cache warnings.
    """
    catalog = catalog or load_catalog()
    if rfcs is None:
        rfcs = load_rfcs(workspace).rfcs if workspace is not None else ()
    wanted = _kinds(kinds)
    services = [s.name for s in config.critical_services()]
    sections = [_section(kind, config, catalog, services, rfcs) for kind in SECTION_KINDS if kind in wanted]
    return RollbackPlan(company=config.company.name, notes=list(catalog.notes), sections=sections)


def _kinds(kinds: Iterable[str] | None) -> set[str]:
    if kinds is None:
        return set(SECTION_KINDS)
    chosen = set(kinds)
    unknown = sorted(chosen.difference(SECTION_KINDS))
    if unknown:
        raise ValueError(f"unknown rollback section {', '.join(map(repr, unknown))}; "
                         f"expected any of: {', '.join(SECTION_KINDS)}")
    return chosen


def _section(kind: SectionKind, config: CompanyConfig, catalog: Catalog, services: list[str],
             rfcs: Sequence[RfcSummary] = ()) -> PlanSection:
    generic = catalog.generic(kind)
    values, notes = _values(kind, config, catalog, rfcs)
    providers: list[ProviderPlan] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for source in SECTION_SOURCES[kind]:
        field = PROVIDER_FIELDS[source]
        raw = config_value(config, field).strip()
        matches = catalog.normalize_all(source, raw)
        if not matches:
            notes.append(_unconfigured_note(source, field, raw, catalog))
            if raw and canonical(raw) not in NONE_WORDS and raw.lower() not in ("n/a", "-"):
                unknown.append(f"{raw!r} ({field})")
        else:
            unknown += [f"{part!r} ({field})" for part in _unknown_parts(catalog, source, raw)]
        for match in matches:
            if match.key in seen:
                continue
            seen.add(match.key)
            entry = catalog.provider(source, match.key)
            providers.append(_provider_plan(source, field, raw, entry, match.variant, values, catalog))
            if match.family:
                notes.append(f"{field} is {raw!r}, which could mean several providers "
                             f"({', '.join(catalog.provider(source, o).name for o in match.options)}); "
                             "the generic steps apply until you name one.")
    if unknown and providers:
        notes.append(f"{', '.join(unknown)} is not in the catalog, so the generic steps below apply to it.")
    concrete = [p for p in providers if not p.family_options and p.kind in _PRIMARY[kind]]
    if kind == "database":
        _run_where_the_app_runs(config, catalog, values, providers, notes)
        if not any(p.kind == "database" and not p.family_options for p in providers):
            unknown.append("database")  # no known database: keep the generic "take a backup first" step
    if kind == "cache":
        notes += _queue_warnings(config, providers, rfcs)
        if not config_value(config, PROVIDER_FIELDS["cdn"]).strip():
            host = catalog.normalize("hosting", config.tech_stack.hosting)
            if host and host.key in _HOST_CDN:
                notes.append(f"{host.name} serves your site through its own CDN: set incident_response.cdn.provider "
                             f"to {_HOST_CDN[host.key]!r} to get its purge steps.")
    if kind == "feature_flag":
        notes += _flag_notes(config, rfcs)
    generic_too = not concrete or bool(unknown)
    steps = [_plan_step(s, values) for s in generic.steps if s.phase == "rollback"] if generic_too else []
    prepare = [_plan_step(s, values) for s in generic.steps if s.phase == "prepare"] if generic_too else []
    verify = [_check_status_step(services)]
    verify += [_plan_step(entry_status, values) for entry_status in _statuses(providers, catalog)]
    verify += [_plan_step(s, values) for s in generic.verify]
    fields = _fields_to_set(kind, [*providers], steps, verify)
    if fields:
        notes.append(f"Set {', '.join(fields)} in company.config.yaml to fill the matching placeholders.")
    title = generic.title + (f" — {', '.join(p.name for p in providers)}" if providers else "")
    return PlanSection(kind=kind, title=title, providers=providers, steps=steps, prepare=prepare, notes=notes,
                       config_fields_to_set=fields, verify=verify)


def dependency_plans(config: CompanyConfig, catalog: Catalog | None = None) -> list[ProviderPlan]:
    """The configured hosted-auth and payments providers: what to check, how to fail safe, what to replay."""
    catalog = catalog or load_catalog()
    values, _ = _values("deployment", config, catalog)
    values.update({k: v.strip() for k, v in config.incident_response.payments.settings.items()
                   if _SAFE_VALUE.match(v.strip())})
    plans: list[ProviderPlan] = []
    for kind in DEPENDENCY_KINDS:
        field = PROVIDER_FIELDS[kind]
        raw = config_value(config, field).strip()
        for match in catalog.normalize_all(kind, raw):
            plans.append(_provider_plan(kind, field, raw, catalog.provider(kind, match.key), match.variant, values,
                                        catalog))
    return plans


def _unknown_parts(catalog: Catalog, kind: ProviderKind, raw: str) -> list[str]:
    """The parts of a multi-provider value ("Redis + Bunny CDN") that name nothing in the catalog."""
    parts = [part.strip(" ()") for part in _SPLIT_PROVIDERS.split(raw) if part.strip(" ()")]
    if len(parts) < 2:
        return []
    return [part for part in parts if not catalog.normalize_all(kind, part)
            and part.lower() not in ("none", "n/a", "-", "no", "null", "nil")]


def _run_where_the_app_runs(config: CompanyConfig, catalog: Catalog, values: Mapping[str, str],
                            providers: list[ProviderPlan], notes: list[str]) -> None:
    """Put the host's "open a shell where the app runs" step before the migration commands."""
    host = catalog.normalize("hosting", config.tech_stack.hosting)
    orm = next((p for p in providers if p.kind == "orm" and not p.family_options), None)
    if host is None or orm is None or host.family:
        return
    shell = catalog.provider("hosting", host.key).shell
    if shell is None:
        notes.append(f"Run the migration commands where {host.name} runs your app (with its production "
                     "environment and network access to the database).")
        return
    orm.steps.insert(0, _plan_step(shell, values))


def _queue_warnings(config: CompanyConfig, providers: list[ProviderPlan], rfcs: Sequence[RfcSummary]) -> list[str]:
    """A warning naming each Redis-backed job queue the config or RFCs mention, when the cache is Redis."""
    if not any(p.key == "redis" for p in providers):
        return []
    texts = [config.tech_stack.queue] + [" ".join((r.title, *r.dependencies, *r.failure_modes)) for r in rfcs]
    found: list[str] = []
    for text in texts:
        words = set(re.findall(r"[a-z0-9]+", text.lower().replace("-", "")))
        found += [name for word, name in _REDIS_QUEUES.items() if word in words]
    found = list(dict.fromkeys(found))
    if not found:
        return []
    db = config.incident_response.cache.settings.get("redis_db", "").strip()
    where = f"database {db}" if db else "the same database"
    return [f"{', '.join(found)} keep{'s' if len(found) == 1 else ''} queued jobs in Redis: if "
            f"{'it shares' if len(found) == 1 else 'they share'} this Redis ({where}), FLUSHDB deletes every "
            "queued and scheduled job. Use the targeted delete by key prefix instead, or check which database "
            "the queue uses first."]


def _flag_notes(config: CompanyConfig, rfcs: Sequence[RfcSummary]) -> list[str]:
    """The kill switches the config lists and the flags the RFCs name, so the reader knows which to turn off."""
    notes: list[str] = []
    switches = [name for name in config.incident_response.flags.kill_switches if name.strip()]
    if switches:
        notes.append("Kill switches listed in incident_response.flags.kill_switches: "
                     + ", ".join(f"`{name}`" for name in switches) + ".")
    named = [(rfc.id, flag) for rfc in rfcs for flag in rfc.flags]
    if named:
        by_flag: dict[str, list[str]] = {}
        for rfc_id, flag in named:
            by_flag.setdefault(flag, []).append(rfc_id)
        notes.append("Flags your RFCs name: " + ", ".join(f"`{flag}` ({', '.join(ids)})"
                                                         for flag, ids in by_flag.items())
                     + ". Turn off the one behind the change that broke.")
    return notes


def _statuses(providers: list[ProviderPlan], catalog: Catalog) -> list[Step]:
    statuses = []
    for plan in providers:
        status = catalog.provider(plan.kind, plan.key).status
        if status is not None:
            statuses.append(status)
    return statuses


def _applies(step: Step, values: Mapping[str, str]) -> bool:
    """Whether a DNS step fits the record types the config gives (both kinds of step when it gives none)."""
    if step.when is None or not values.get("primary_type") or not values.get("record_type"):
        return True
    changes = values["primary_type"] != values["record_type"]
    return changes == (step.when == "type_change")


def _provider_plan(kind: ProviderKind, field: str, raw: str, entry: Provider, variant: str | None,
                   values: Mapping[str, str], catalog: Catalog) -> ProviderPlan:
    entry = entry.model_copy(update={"steps": tuple(s for s in entry.steps if _applies(s, values))})
    return ProviderPlan(
        kind=kind, field=field, configured_as=raw, key=entry.key, name=entry.name, variant=variant,
        verified=entry.verified, summary=entry.summary,
        family_options=[catalog.provider(kind, option).name for option in entry.options],
        steps=[_plan_step(s, values) for s in entry.steps if s.phase == "rollback"],
        prepare=[_plan_step(s, values) for s in entry.steps if s.phase == "prepare"],
        caveats=[fill(c, values) for c in entry.caveats], docs=list(entry.docs),
    )


def _plan_step(step: Step, values: Mapping[str, str]) -> PlanStep:
    templates = [t for t in (step.command, step.body) if t]
    missing = [name.upper() for t in templates for name in placeholders(t) if not values.get(name)]
    return PlanStep(
        action=fill(step.action, values),
        command=fill(step.command, values) if step.command else None,
        headers=list(step.headers),
        body=fill(step.body, values) if step.body else None,
        body_file=step.body_file,
        verify=fill(step.verify, values) if step.verify else None,
        verified=step.verified or "verified",
        verify_with_help=step.verify_with_help,
        check_first=step.check_first,
        missing=list(dict.fromkeys(missing)),
    )


def _check_status_step(services: list[str]) -> PlanStep:
    if services:
        return PlanStep(action=f"Run check_status on the critical services ({', '.join(services)}) and confirm "
                               "each one is up")
    return PlanStep(action="Run check_status on the affected URLs and confirm they are up (no services are "
                           "listed under incident_response.services yet)")


def _unconfigured_note(kind: ProviderKind, field: str, raw: str, catalog: Catalog) -> str:
    if not raw:
        return f"not configured: set {field} to get {_WHAT[kind]}"
    if raw.lower() in ("none", "n/a", "-", "no", "null", "nil"):
        return f"{field} is {raw!r}: no provider to act on, so only generic steps apply"
    known = ", ".join(p.name for p in catalog.providers(kind) if not p.family and not p.generic)
    return (f"{field} is {raw!r}, which is not in the catalog, so the steps are generic; "
            f"known {kind.replace('_', ' ')} providers: {known}")


def _values(kind: SectionKind, config: CompanyConfig, catalog: Catalog,
            rfcs: Sequence[RfcSummary] = ()) -> tuple[dict[str, str], list[str]]:
    """The placeholder values the config supplies for a section, and notes about values it refused."""
    ir = config.incident_response
    raw: dict[str, tuple[str, str]] = {k: (v, f"incident_response.deploy.{k}") for k, v in ir.deploy.items()}
    if kind == "feature_flag":
        raw.update({k: (v, f"incident_response.flags.settings.{k}") for k, v in ir.flags.settings.items()})
        raw["flag_project"] = (ir.flags.project, "incident_response.flags.project")
        raw["flag_environment"] = (ir.flags.environment, "incident_response.flags.environment")
        flags = list(dict.fromkeys([*ir.flags.kill_switches, *(f for rfc in rfcs for f in rfc.flags)]))
        if len(flags) == 1:
            raw["flag"] = (flags[0], "incident_response.flags.kill_switches")
    if kind == "dns":
        dns = ir.dns
        raw.update({k: (v, f"incident_response.dns.settings.{k}") for k, v in dns.settings.items()})
        for name in ("zone", "record", "failover_target"):
            raw[name] = (getattr(dns, name), f"incident_response.dns.{name}")
        if dns.ttl is not None:
            raw["ttl"] = (str(dns.ttl), "incident_response.dns.ttl")
        if dns.failover_target:
            raw["record_type"] = (_record_type(dns.failover_target), "incident_response.dns.failover_target")
        primary = dns.settings.get("primary_target", "").strip()
        if primary:
            raw["primary_type"] = (_record_type(primary), "incident_response.dns.settings.primary_target")
        if dns.record and dns.zone and dns.record.rstrip(".").endswith("." + dns.zone.rstrip(".")):
            name = dns.record.rstrip(".")[: -len(dns.zone.rstrip(".")) - 1]
            raw["record_name"] = (name, "incident_response.dns.record")
    if kind == "cache":
        dns_key = _key(catalog, config, "dns")
        if dns_key and dns_key in (_key(catalog, config, "cdn"), _key(catalog, config, "cache")) and ir.dns.zone:
            raw["zone"] = (ir.dns.zone, "incident_response.dns.zone")
        raw.update({k: (v, f"incident_response.cdn.settings.{k}") for k, v in ir.cdn.settings.items()})
        raw.update({k: (v, f"incident_response.cache.settings.{k}") for k, v in ir.cache.settings.items()})
    values: dict[str, str] = {}
    notes: list[str] = []
    for name, (value, field) in raw.items():
        value = value.strip()
        if not value:
            continue
        if _SAFE_VALUE.match(value) or (name == "cache_pattern" and _SAFE_PATTERN.match(value)):
            values[name] = value
        else:
            notes.append(f"{field} is not used in commands: it contains characters that are unsafe in a shell "
                         "command (allowed: letters, digits and . _ : / @ + = -)")
    return values, notes


def _key(catalog: Catalog, config: CompanyConfig, kind: ProviderKind) -> str | None:
    match = catalog.normalize(kind, config_value(config, PROVIDER_FIELDS[kind]))
    return match.key if match else None


def _record_type(target: str) -> str:
    try:
        return "AAAA" if ipaddress.ip_address(target).version == 6 else "A"
    except ValueError:
        return "CNAME"


def _fields_to_set(kind: SectionKind, providers: list[ProviderPlan], steps: list[PlanStep],
                   verify: list[PlanStep]) -> list[str]:
    missing = [name for p in providers for s in (*p.steps, *p.prepare) for name in s.missing]
    missing += [name for s in (*steps, *verify) for name in s.missing]
    fields = CONFIG_FIELDS[kind]
    return list(dict.fromkeys(fields[m.lower()] for m in missing if m.lower() in fields))


# ---- text rendering (CLI, runbook) ---------------------------------------------------------------------


def format_plan(plan: RollbackPlan) -> str:
    """The plan as readable plain text (Markdown-friendly), in the order to work through it."""
    lines = [f"# Rollback plan{' for ' + plan.company if plan.company else ''}", ""]
    lines += [f"- {note}" for note in plan.notes]
    for number, section in enumerate(plan.sections, 1):
        lines += ["", f"## {number}. {section.title}"]
        for provider in section.providers:
            variant = f" — {provider.variant}" if provider.variant else ""
            lines += ["", f"### {provider.name}{variant} ({provider.field}: {provider.configured_as!r})"]
            if provider.summary:
                lines.append(provider.summary)
            lines += _format_steps(provider.steps)
            if provider.caveats:
                lines += ["", "Caveats:"] + [f"  ! {c}" for c in provider.caveats]
            if provider.prepare:
                lines += ["", "Before the next deploy:", *_format_steps(provider.prepare)]
            if provider.docs:
                lines += ["", "Docs: " + "  ".join(provider.docs)]
        if section.steps:
            lines += ["", "Generic steps:", *_format_steps(section.steps)]
        if section.prepare:
            lines += ["", "Before the next deploy:", *_format_steps(section.prepare)]
        if section.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in section.notes]
        lines += ["", "Verify:", *_format_steps(section.verify)]
    return "\n".join(lines) + "\n"


def _format_steps(steps: list[PlanStep]) -> list[str]:
    lines: list[str] = []
    for number, step in enumerate(steps, 1):
        lines.append(f"{number:>3}. {step.action}")
        if step.command and is_http(step.command):
            lines.append(f"       $ {curl_command(step.command, step.headers, step.body)}")
        elif step.command:
            lines.append(f"       $ {step.command}")
        if step.body and not (step.command and is_http(step.command)):
            label = f"save as {step.body_file}" if step.body_file else "body"
            lines.append(f"       {label}: {step.body}")
        if step.check_first:
            lines.append(f"       ⚠ {step.check_first}")
        if step.verify:
            lines.append(f"       ✓ {step.verify}")
    return lines
