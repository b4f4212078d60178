"""The provider catalog's normalisation: free-text config values to providers, families, aliases, clear errors."""

from __future__ import annotations

import pytest

from incident_mcp.catalog import Catalog, CatalogError
from tests.core.catalog_helpers import _entries

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
