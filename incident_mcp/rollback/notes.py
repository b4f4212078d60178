"""What a section says besides its steps: fields to set, names the catalog does not know, and per-section advice
(where to run migrations, job queues a Redis flush would delete, the flags to turn off, a host's own CDN).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from incident_mcp.catalog import Catalog
from incident_mcp.config import NO_PROVIDER, PROVIDER_FIELDS, CompanyConfig, ProviderKind, config_value
from incident_mcp.rfcs import RfcSummary
from incident_mcp.rollback.model import ProviderPlan, SectionKind
from incident_mcp.rollback.steps import plan_step

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
# Job queues that keep their jobs in Redis: a FLUSHDB on the database they share deletes every queued job.
_REDIS_QUEUES = {"bullmq": "BullMQ", "bull": "Bull", "beequeue": "Bee-Queue", "sidekiq": "Sidekiq",
                 "resque": "Resque", "celery": "Celery", "rq": "RQ", "arq": "arq", "dramatiq": "Dramatiq",
                 "huey": "Huey", "horizon": "Laravel Horizon", "asynq": "Asynq", "machinery": "Machinery",
                 "kue": "Kue"}
_SPLIT_PROVIDERS = re.compile(r"\s*(?:\+|/|,|&|;|\band\b|\bwith\b|\bplus\b)\s*", re.IGNORECASE)
# Hosts that serve through their own CDN: a hint when incident_response.cdn.provider is blank.
_HOST_CDN = {"vercel": "Vercel", "cloudflare-workers": "Cloudflare", "cloudflare-pages": "Cloudflare"}


def unconfigured_note(kind: ProviderKind, field: str, raw: str, catalog: Catalog) -> str:
    """Why a provider field gave no steps: blank, 'none', or a name the catalog does not know (and what it knows)."""
    if not raw:
        return f"not configured: set {field} to get {_WHAT[kind]}"
    if raw.lower() in NO_PROVIDER:
        return f"{field} is {raw!r}: no provider to act on, so only generic steps apply"
    known = ", ".join(p.name for p in catalog.providers(kind) if not p.family and not p.generic)
    return (f"{field} is {raw!r}, which is not in the catalog, so the steps are generic; "
            f"known {kind.replace('_', ' ')} providers: {known}")


def unknown_parts(catalog: Catalog, kind: ProviderKind, raw: str) -> list[str]:
    """The parts of a multi-provider value ("Redis + Bunny CDN") that name nothing in the catalog."""
    parts = [part.strip(" ()") for part in _SPLIT_PROVIDERS.split(raw) if part.strip(" ()")]
    if len(parts) < 2:
        return []
    return [part for part in parts if not catalog.normalize_all(kind, part) and part.lower() not in NO_PROVIDER]


SectionExtra = Callable[[CompanyConfig, Catalog, Mapping[str, str], list[ProviderPlan], Sequence[RfcSummary]],
                        list[str]]


def _database_extra(config: CompanyConfig, catalog: Catalog, values: Mapping[str, str],
                    providers: list[ProviderPlan], rfcs: Sequence[RfcSummary]) -> list[str]:
    """Put the host's "open a shell where the app runs" step before the migration commands (or say where)."""
    host = catalog.normalize("hosting", config.tech_stack.hosting)
    orm = next((p for p in providers if p.kind == "orm" and not p.family_options), None)
    if host is None or orm is None or host.family:
        return []
    shell = catalog.provider("hosting", host.key).shell
    if shell is None:
        return [f"Run the migration commands where {host.name} runs your app (with its production "
                "environment and network access to the database)."]
    orm.steps.insert(0, plan_step(shell, values))
    return []


def _cache_extra(config: CompanyConfig, catalog: Catalog, values: Mapping[str, str],
                 providers: list[ProviderPlan], rfcs: Sequence[RfcSummary]) -> list[str]:
    """The job queues a Redis flush would empty, and the purge steps a host's own CDN needs."""
    return [*_queue_warnings(config, providers, rfcs), *_host_cdn_note(config, catalog)]


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


def _host_cdn_note(config: CompanyConfig, catalog: Catalog) -> list[str]:
    """With no CDN configured, a host that serves through its own CDN: name it to get its purge steps."""
    if config_value(config, PROVIDER_FIELDS["cdn"]).strip():
        return []
    host = catalog.normalize("hosting", config.tech_stack.hosting)
    if host is None or host.key not in _HOST_CDN:
        return []
    return [f"{host.name} serves your site through its own CDN: set incident_response.cdn.provider "
            f"to {_HOST_CDN[host.key]!r} to get its purge steps."]


def _flag_extra(config: CompanyConfig, catalog: Catalog, values: Mapping[str, str],
                providers: list[ProviderPlan], rfcs: Sequence[RfcSummary]) -> list[str]:
    """The kill switches the config lists and the flags the RFCs name, so the reader knows which to turn off."""
    notes: list[str] = []
    switches = [name for name in config.incident_response.flags.kill_switches if name.strip()]
    if switches:
        notes.append("Kill switches listed in incident_response.flags.kill_switches: "
                     + ", ".join(f"`{name}`" for name in switches) + ".")
    by_flag: dict[str, list[str]] = {}
    for rfc in rfcs:
        for flag in rfc.flags:
            by_flag.setdefault(flag, []).append(rfc.id)
    if by_flag:
        notes.append("Flags your RFCs name: " + ", ".join(f"`{flag}` ({', '.join(ids)})"
                                                         for flag, ids in by_flag.items())
                     + ". Turn off the one behind the change that broke.")
    return notes


# What each section adds once its providers are known (deployment and DNS add nothing).
SECTION_EXTRAS: dict[SectionKind, SectionExtra] = {
    "database": _database_extra, "cache": _cache_extra, "feature_flag": _flag_extra,
}
