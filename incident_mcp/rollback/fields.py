"""Which config field fills each placeholder of a section's commands, and so which fields a reader still has to set.

Deploy ids (``incident_response.deploy``) fill every section; the DNS, cache and kill-switch sections add their own.
"""

from __future__ import annotations

from incident_mcp.rollback.model import PlanStep, ProviderPlan, SectionKind

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
# The payments placeholders of the dependency plans (hosted auth and payments cannot be rolled back).
DEPENDENCY_FIELDS: dict[str, str] = {"webhook_endpoint_id": "incident_response.payments.settings.webhook_endpoint_id"}


def fields_to_set(kind: SectionKind, providers: list[ProviderPlan], steps: list[PlanStep],
                  verify: list[PlanStep]) -> list[str]:
    """The config fields that would fill the placeholders still missing from a section's steps."""
    missing = [name for p in providers for s in (*p.steps, *p.prepare) for name in s.missing]
    missing += [name for s in (*steps, *verify) for name in s.missing]
    fields = CONFIG_FIELDS[kind]
    return list(dict.fromkeys(fields[m.lower()] for m in missing if m.lower() in fields))
