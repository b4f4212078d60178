"""The provider catalog: complete entries, commands traceable to the reference sheet, normalisation, bad files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from incident_mcp.catalog import (
    CATALOG_DIR,
    KINDS,
    Catalog,
    CatalogError,
    Provider,
    fill,
    help_command,
    load_catalog,
    load_catalog_from,
    placeholders,
)
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


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _entries(catalog: Catalog) -> list[tuple[str, Provider]]:
    return [(kind, entry) for kind in KINDS for entry in catalog.providers(kind)]


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


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


# ---- normalisation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "raw", "key", "variant"), [
    ("hosting", "Fly.io", "fly", None),
    ("hosting", "fly", "fly", None),
    ("hosting", "flyio", "fly", None),
    ("hosting", "fly io", "fly", None),
    ("hosting", "  FLY.IO ", "fly", None),
    ("hosting", "AWS (ECS)", "aws-ecs", "ecs"),
    ("hosting", "aws ecs fargate", "aws-ecs", "fargate"),
    ("hosting", "k8s", "kubernetes", None),
    ("hosting", "Kubernetes + Helm", "kubernetes", "helm"),
    ("hosting", "GKE", "kubernetes", "gke"),
    ("hosting", "GCP (Cloud Run)", "cloud-run", None),
    ("hosting", "Next.js on Vercel", "vercel", None),
    ("hosting", "AWS CDK", "aws-cloudformation", "cdk"),
    ("database", "Postgres", "postgresql", None),
    ("database", "postgres", "postgresql", None),
    ("database", "PostgreSQL", "postgresql", None),
    ("database", "PostgreSQL 16", "postgresql", None),
    ("database", "Neon", "neon", None),
    ("database", "Supabase", "supabase-db", None),
    ("database", "PlanetScale", "planetscale", None),
    ("hosting", "Kamal", "kamal", None),
    ("hosting", "Google App Engine", "app-engine", None),
    ("orm", "EF Core", "ef-core", None),
    ("dns", "Google Cloud DNS", "cloud-dns", None),
    ("cdn", "Bunny CDN", "bunny", None),
    ("feature_flags", "Split.io", "split", None),
    ("orm", "SQLAlchemy", "alembic", "sqlalchemy"),
    ("orm", "Alembic", "alembic", None),
    ("orm", "Supabase", "supabase-cli", None),
    ("cache", "ElastiCache (Redis)", "redis", "elasticache"),
    ("cdn", "AWS", "cloudfront", None),
    ("dns", "AWS", "route53", None),
    ("dns", "Route53", "route53", None),
    ("feature_flags", "custom", "custom", None),
    ("feature_flags", "config-file", "config-file", None),
    ("error_tracking", "Sentry", "sentry", None),
])
def test_free_text_provider_names_normalise(catalog: Catalog, kind: str, raw: str, key: str,
                                            variant: str | None) -> None:
    match = catalog.normalize(kind, raw)
    assert match is not None
    assert (match.key, match.variant, match.family) == (key, variant, False)


@pytest.mark.parametrize("raw", ["", "   ", "none", "None", "N/A", "-", "null"])
def test_blank_and_none_are_not_a_provider(catalog: Catalog, raw: str) -> None:
    assert catalog.normalize("hosting", raw) is None
    assert catalog.normalize_all("orm", raw) == []


@pytest.mark.parametrize("raw", ["Hetzner", "bare metal", "GORM-ish thing"])
def test_unknown_names_are_not_guessed(catalog: Catalog, raw: str) -> None:
    assert catalog.normalize("hosting", raw) is None


@pytest.mark.parametrize(("raw", "family", "option"), [
    ("AWS", "aws", "aws-ecs"), ("Amazon Web Services", "aws", "aws-lambda"), ("GCP", "gcp", "cloud-run"),
    ("Google Cloud", "gcp", "cloud-run"), ("Azure", "azure", "azure-app-service"),
    ("Cloudflare", "cloudflare", "cloudflare-workers"), ("DigitalOcean", "digitalocean", "digitalocean-app-platform"),
])
def test_a_vague_host_matches_a_family_that_names_its_options_instead_of_a_guess(catalog: Catalog, raw: str,
                                                                                 family: str, option: str) -> None:
    match = catalog.normalize("hosting", raw)
    assert match is not None and match.key == family and match.family
    assert option in match.options
    entry = catalog.provider("hosting", family)
    assert entry.commands() == [] and "tech_stack.hosting" in entry.steps[0].action


def test_a_vague_cache_name_is_a_family_too(catalog: Catalog) -> None:
    match = catalog.normalize("cache", "ElastiCache")
    assert match is not None and match.family and set(match.options) == {"redis", "memcached"}
    assert catalog.normalize("cache", "AWS") is None


def test_a_managed_postgres_names_both_the_engine_and_the_host(catalog: Catalog) -> None:
    matches = catalog.normalize_all("database", "Postgres (Neon)")
    assert [m.key for m in matches] == ["postgresql", "neon"]


def test_several_providers_in_one_value_are_all_found_in_order(catalog: Catalog) -> None:
    match = catalog.normalize("hosting", "Vercel + Railway")
    assert match is not None and match.key == "vercel"
    assert [o.key for o in match.others] == ["railway"]
    assert [m.key for m in catalog.normalize_all("hosting", "Fly.io / Vercel")] == ["fly", "vercel"]


def test_a_family_named_together_with_its_member_yields_only_the_member(catalog: Catalog) -> None:
    assert [m.key for m in catalog.normalize_all("hosting", "AWS Lambda")] == ["aws-lambda"]
    assert [m.key for m in catalog.normalize_all("hosting", "GCP and Cloud Run")] == ["cloud-run"]


def test_every_alias_maps_to_exactly_its_own_provider_in_each_kind(catalog: Catalog) -> None:
    checked = 0
    for kind, entry in _entries(catalog):
        for alias in entry.aliases:
            if alias.kinds and kind not in alias.kinds:
                continue
            matches = catalog.normalize_all(kind, alias.name)
            assert [m.key for m in matches] == [entry.key], f"{kind}: {alias.name!r} → {matches}"
            assert matches[0].variant == alias.variant
            checked += 1
        for name in (entry.key, entry.name):
            assert [m.key for m in catalog.normalize_all(kind, name)] == [entry.key], (kind, name)
    assert checked > 250


def test_the_same_name_means_a_different_provider_per_kind(catalog: Catalog) -> None:
    keys = {kind: (catalog.normalize(kind, "Vercel") or None) for kind in ("hosting", "dns", "cdn", "cache")}
    assert {k: m.key for k, m in keys.items() if m} == {
        "hosting": "vercel", "dns": "vercel-dns", "cdn": "vercel", "cache": "vercel"}


def test_an_unknown_kind_or_key_is_a_clear_error(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match=r"unknown provider kind 'hosts'.*hosting"):
        catalog.normalize("hosts", "vercel")
    with pytest.raises(CatalogError, match=r"no hosting provider 'nope'.*vercel"):
        catalog.provider("hosting", "nope")
    with pytest.raises(CatalogError, match="no generic steps for section 'flags'"):
        catalog.generic("flags")


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


# ---- loading and malformed files -----------------------------------------------------------------------


def test_the_packaged_catalog_is_loaded_once_per_process() -> None:
    assert load_catalog() is load_catalog()


def test_a_copy_of_the_catalog_loads_like_the_packaged_one(tmp_path: Path) -> None:
    copy = load_catalog_from(_copy(tmp_path))
    assert [p.key for p in copy.providers("hosting")] == [p.key for p in load_catalog().providers("hosting")]


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "orm.yaml", "    name: Drizzle\n", "    name: Drizzle: broken\n")
    with pytest.raises(CatalogError, match=r"catalog file orm\.yaml:\d+: YAML syntax error"):
        load_catalog_from(folder)


def test_a_step_without_an_action_names_the_file_entry_and_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml",
          "      - action: List the releases with their image refs and pick the last good one\n",
          "      - note: no action here\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog_from(folder)
    message = str(caught.value)
    assert "hosting.yaml" in message and "entry 'fly'" in message and "steps.0" in message


def test_a_command_that_drifts_from_its_reference_spelling_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml", "command: heroku releases:rollback {release} -a {app}",
          "command: heroku rollback:release {release} -a {app}")
    with pytest.raises(CatalogError, match=r"hosting\.yaml entry 'heroku'.*does not match its reference spelling"):
        load_catalog_from(folder)


def test_a_command_without_a_verification_source_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "cache.yaml", "    source: \"spec/rollback-reference.md, citing https://redis.io", "    docs_x: \"")
    _edit(folder, "cache.yaml", "    docs_x: ", "    # ")
    with pytest.raises(CatalogError, match=r"cache\.yaml entry 'redis'.*needs `source`"):
        load_catalog_from(folder)


def test_an_http_call_without_an_auth_header_from_the_environment_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "feature_flags.yaml", '["Authorization: Api-Key $FLAGSMITH_ADMIN_API_KEY", ',
          '["Authorization: Api-Key ser.abc123", ')
    with pytest.raises(CatalogError, match=r"entry 'flagsmith'.*auth header with the token from an environment"):
        load_catalog_from(folder)


def test_a_console_only_step_may_not_carry_a_command(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml", "        command: heroku releases:rollback {release} -a {app}\n",
          "        command: heroku releases:rollback {release} -a {app}\n        verified: console-only\n")
    with pytest.raises(CatalogError, match=r"entry 'heroku'.*console-only step has no command"):
        load_catalog_from(folder)


def test_an_alias_collision_names_both_entries(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml", "aliases: [netlify, netlify.com, netlify.app]",
          "aliases: [netlify, netlify.com, netlify.app, Fly.io]")
    with pytest.raises(CatalogError,
                       match=r"entry 'netlify'.*alias 'Fly\.io'.*collides with hosting\.yaml entry 'fly'"):
        load_catalog_from(folder)


def test_a_family_option_must_exist(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml", "options: [cloud-run, app-engine, kubernetes]", "options: [cloud-run, gce]")
    with pytest.raises(CatalogError, match="option 'gce' is not a hosting provider"):
        load_catalog_from(folder)


def test_a_family_may_not_carry_commands(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hosting.yaml", "    options: [azure-app-service, kubernetes]\n    steps:\n",
          "    options: [azure-app-service, kubernetes]\n    steps:\n"
          "      - {action: x, command: az x, source: https://example.com, checked: 2026-11-29}\n")
    with pytest.raises(CatalogError, match=r"entry 'azure'.*never commands"):
        load_catalog_from(folder)


def test_a_docs_link_must_be_https(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "dns.yaml", "      - https://developer.dnsimple.com/v2/zones/records/",
          "      - http://developer.dnsimple.com/v2/zones/records/")
    with pytest.raises(CatalogError, match=r"dns\.yaml entry 'dnsimple' .*not an https:// URL"):
        load_catalog_from(folder)


def test_a_duplicate_key_in_one_kind_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "zz-extra.yaml").write_text(
        "kinds: [orm]\nproviders:\n  - {key: prisma, name: Other, verified: verified, generic: true,"
        " steps: [{action: x}]}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"zz-extra\.yaml entry 'prisma'.*already used for orm by orm\.yaml"):
        load_catalog_from(folder)


def test_a_catalog_folder_without_generic_steps_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "generic.yaml").unlink()
    with pytest.raises(CatalogError, match=r"has no generic\.yaml"):
        load_catalog_from(folder)


def test_an_unknown_field_in_an_entry_is_rejected_not_ignored(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "orm.yaml", "    name: Ecto\n", "    name: Ecto\n    cavets: [typo]\n")
    with pytest.raises(CatalogError, match=r"orm\.yaml entry 'ecto' \(cavets\)"):
        load_catalog_from(folder)
