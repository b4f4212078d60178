"""The provider catalog's entries: complete, commands traceable to the reference sheet, alerting, placeholders."""

from __future__ import annotations

import re

import pytest

from incident_mcp.catalog import CATALOG_DIR, Catalog, CatalogError, fill, help_command, placeholders
from tests.core.catalog_helpers import _entries
from tests.support.checkout import FIXTURES

REFERENCE = (FIXTURES / "rollback-reference.md").read_text(encoding="utf-8")


# Every provider the reference sheet covers, spelled as the sheet spells it, by the config kind that names it.
REFERENCE_PROVIDERS: dict[str, dict[str, str]] = {
    "hosting": {
        "Vercel": "vercel", "Fly.io": "fly", "Railway": "railway", "Render": "render", "Heroku": "heroku",
        "Netlify": "netlify", "AWS ECS": "aws-ecs", "CloudFormation": "aws-cloudformation",
        "Elastic Beanstalk": "aws-elastic-beanstalk", "Lambda": "aws-lambda", "Amplify Hosting": "aws-amplify",
        "Google Cloud Run": "cloud-run", "Kubernetes": "kubernetes",
        "DigitalOcean App Platform": "digitalocean-app-platform", "Cloudflare Workers": "cloudflare-workers",
        "Cloudflare Pages": "cloudflare-pages", "Azure App Service": "azure-app-service",
        "Supabase Edge Functions": "supabase-edge-functions",
    },
    "orm": {
        "Prisma": "prisma", "Drizzle": "drizzle", "Django": "django", "Rails": "rails", "Alembic": "alembic",
        "Knex": "knex", "Sequelize": "sequelize", "TypeORM": "typeorm", "Laravel": "laravel", "Flyway": "flyway",
        "Liquibase": "liquibase", "golang-migrate": "golang-migrate", "Ecto": "ecto", "Supabase CLI": "supabase-cli",
    },
    "feature_flags": {
        "LaunchDarkly": "launchdarkly", "Unleash": "unleash", "PostHog": "posthog", "GrowthBook": "growthbook",
        "Flagsmith": "flagsmith", "ConfigCat": "configcat", "Statsig": "statsig",
        "Vercel Edge Config": "vercel-edge-config",
    },
    "dns": {"Cloudflare": "cloudflare", "AWS Route 53": "route53", "Vercel DNS": "vercel-dns", "DNSimple": "dnsimple"},
    "cache": {"Redis": "redis", "Memcached": "memcached"},
    "cdn": {"Cloudflare": "cloudflare", "AWS CloudFront": "cloudfront", "Vercel": "vercel", "Fastly": "fastly"},
    "error_tracking": {"Sentry": "sentry", "Bugsnag (SmartBear)": "bugsnag", "Rollbar": "rollbar",
                       "Honeybadger": "honeybadger"},
    "database": {"PostgreSQL": "postgresql", "MySQL": "mysql", "MongoDB": "mongodb", "SQLite": "sqlite"},
}


# Entries with a command the reference marks ◐ or ❌: the plan must tell the reader to check them first.
PARTLY_VERIFIED_CLI = {
    ("hosting", "kubernetes"): "helm rollback --help",
    ("hosting", "aws-amplify"): "aws amplify start-job help",
    ("orm", "rails"): "bin/rails db:migrate:down --help",
    ("orm", "liquibase"): "liquibase rollback-count --help",
    ("orm", "knex"): "knex migrate:down --help",
    ("orm", "alembic"): "alembic downgrade --help",
}


# ---- completeness --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name", "key"), [
    (kind, name, key) for kind, names in REFERENCE_PROVIDERS.items() for name, key in names.items()
])
def test_every_provider_of_the_reference_sheet_has_a_complete_entry(catalog: Catalog, kind: str, name: str,
                                                                     key: str) -> None:
    match = catalog.normalize(kind, name)
    assert match is not None and match.key == key and not match.family
    entry = catalog.provider(kind, key)  # type: ignore[arg-type]
    assert entry.steps and entry.docs and entry.caveats
    assert all(url.startswith("https://") for url in entry.docs)
    if key not in ("bugsnag", "rollbar"):  # the reference gives these two no command, only UI settings
        assert entry.commands(), f"{key} gives no command"


def test_every_entry_has_steps_and_only_advice_entries_lack_docs(catalog: Catalog) -> None:
    for kind, entry in _entries(catalog):
        assert entry.steps, entry.key
        if not (entry.family or entry.generic):
            assert entry.docs, f"{kind}/{entry.key} has no docs link"
            assert entry.caveats, f"{kind}/{entry.key} has no caveats"


def test_every_reference_spelling_cited_by_a_step_is_in_the_reference_sheet(catalog: Catalog) -> None:
    cited = 0
    for _, entry in _entries(catalog):
        for step in (*entry.steps, *((entry.status,) if entry.status else ())):
            if step.ref is not None:
                cited += 1
                assert step.ref in REFERENCE, f"{entry.key}: {step.ref!r} is not in the reference sheet"
    assert cited > 80


def test_every_command_records_where_and_when_it_was_verified_and_how_well(catalog: Catalog) -> None:
    for _, entry in _entries(catalog):
        for step in (*entry.steps, *((entry.status,) if entry.status else ())):
            if step.command:
                assert step.source and step.checked, f"{entry.key}: {step.command!r} has no source or date"
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", step.checked)
                assert step.verified in ("verified", "partial", "unverified"), (entry.key, step.command)
            elif step.verified == "console-only":
                assert not step.command


def test_the_wrong_fly_command_from_the_spec_appears_nowhere_in_the_catalog() -> None:
    for path in CATALOG_DIR.glob("*.yaml"):
        text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8").lower())
        assert "releases rollback" not in text, path.name


def test_the_incident_caveats_that_bite_are_in_the_catalog(catalog: Catalog) -> None:
    def caveats(kind: str, key: str) -> str:
        return " ".join(catalog.provider(kind, key).caveats).lower()  # type: ignore[arg-type]

    assert "only works on failed migrations" in caveats("orm", "prisma")
    assert "persists" in caveats("hosting", "cloud-run") and "--to-latest" in caveats("hosting", "cloud-run")
    assert "does not disable auto-deploy" in caveats("hosting", "render")
    assert "all down migrations" in caveats("orm", "golang-migrate")
    assert "never run `supabase migration down` with `--linked`" in caveats("orm", "supabase-cli")
    assert "no rollback command" in caveats("hosting", "fly")
    assert "redeploy` is not a rollback" in caveats("hosting", "railway")
    assert "doctl has no rollback" in caveats("hosting", "digitalocean-app-platform")
    assert "deletes the stack" in caveats("hosting", "aws-cloudformation")
    assert "`--disabled` does not fail over" in caveats("dns", "route53")
    assert "paid feature" in caveats("orm", "flyway")


def test_verified_levels_mirror_the_reference_marks(catalog: Catalog) -> None:
    assert catalog.provider("hosting", "vercel").verified == "verified"
    assert catalog.provider("hosting", "aws-amplify").verified == "partial"
    assert catalog.provider("orm", "liquibase").verified == "partial"
    assert catalog.provider("feature_flags", "posthog").verified == "partial"
    assert catalog.provider("dns", "dnsimple").verified == "partial"
    render_api = next(s for s in catalog.provider("hosting", "render").steps if s.command)
    assert render_api.verified == "partial" and render_api.check_first is not None
    assert "docs" in render_api.check_first and not render_api.verify_with_help


@pytest.mark.parametrize(("where", "help_text"), PARTLY_VERIFIED_CLI.items())
def test_a_partly_verified_cli_step_says_to_verify_with_help(catalog: Catalog, where: tuple[str, str],
                                                             help_text: str) -> None:
    entry = catalog.provider(*where)  # type: ignore[arg-type]
    flagged = [s for s in entry.steps if s.verify_with_help]
    assert flagged, where
    assert any(f"verify with `{help_text}`" in (s.check_first or "") for s in flagged)


def test_fully_verified_steps_carry_no_warning(catalog: Catalog) -> None:
    for step in catalog.provider("hosting", "fly").steps:
        assert step.verified == "verified" and step.check_first is None and not step.verify_with_help


# ---- alerting ------------------------------------------------------------------------------------------


def test_error_trackers_expose_the_verified_route_to_a_phone(catalog: Catalog) -> None:
    assert any("PagerDuty" in hop for hop in catalog.alert_route)
    for key in ("sentry", "bugsnag", "rollbar", "honeybadger"):
        alerting = catalog.alerting(key)
        assert "pagerduty" in alerting.channels
        assert alerting.native_push.startswith("not verified")
        assert any("push" in hop for hop in alerting.route)
    assert catalog.alerting("better-stack").native_push.startswith("partly verified")
    with pytest.raises(CatalogError):
        catalog.alerting("raygun")


# ---- placeholders --------------------------------------------------------------------------------------


def test_fill_uses_known_values_and_leaves_the_rest_as_visible_uppercase() -> None:
    template = "fly deploy --app {app} --image registry.fly.io/{app}:deployment-{deployment_id}"
    filled = "fly deploy --app acme --image registry.fly.io/acme:deployment-DEPLOYMENT_ID"
    assert fill(template, {"app": "acme"}) == filled
    assert fill(template, {"app": ""}) == "fly deploy --app APP --image registry.fly.io/APP:deployment-DEPLOYMENT_ID"
    assert placeholders(template) == ["app", "deployment_id"]


def test_json_and_graphql_braces_are_not_placeholders() -> None:
    body = '{"items":[{"operation":"upsert","key":"{flag}","value":true}]}'
    assert fill(body, {}) == '{"items":[{"operation":"upsert","key":"FLAG","value":true}]}'
    graphql = "railway api 'mutation { deploymentRollback(id: \"{deploy_id}\") }'"
    assert fill(graphql, {"deploy_id": "d-1"}) == "railway api 'mutation { deploymentRollback(id: \"d-1\") }'"
    assert placeholders("deploymentCircuitBreaker={enable:true,rollback:true}") == []


def test_unfilled_commands_read_like_the_reference_sheet(catalog: Catalog) -> None:
    fly = catalog.provider("hosting", "fly").commands()
    assert fill(fly[0], {}) == "fly releases --app APP --image"
    heroku = catalog.provider("hosting", "heroku").commands()
    assert fill(heroku[1], {}) == "heroku releases:rollback RELEASE -a APP"
    for _, entry in _entries(catalog):
        for command in entry.commands():
            assert not re.search(r"\{[a-z][a-z0-9_]*\}", fill(command, {})), command


@pytest.mark.parametrize(("command", "expected"), [
    ("helm rollback {release} {revision}", "helm rollback --help"),
    ("aws amplify start-job --app-id {app}", "aws amplify start-job help"),
    ("npx prisma migrate resolve --rolled-back {m}", "npx prisma migrate resolve --help"),
    ("pg_dump --format=custom x", "pg_dump --help"),
    ("python manage.py migrate {django_app}", "python manage.py migrate --help"),
])
def test_help_command_names_the_tool_and_its_subcommand(command: str, expected: str) -> None:
    assert help_command(command) == expected
