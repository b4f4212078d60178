"""config.provider_refs and load_config warnings, working through the real catalog on real config files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from incident_mcp.config import PROVIDER_FIELDS, LoadedConfig, load_config, provider_refs
from tests.support.checkout import COMPANY_OS

TEMPLATE = COMPANY_OS / "company.config.yaml"


def _load(tmp_path: Path, text: str) -> LoadedConfig:
    path = tmp_path / "company.config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_blank_template_has_no_providers_and_no_warnings(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, tmp_path / "company.config.yaml")
    loaded = load_config(tmp_path / "company.config.yaml")
    refs = provider_refs(loaded.config)
    assert set(refs) == set(PROVIDER_FIELDS)
    assert all(ref.key is None and not ref.configured for ref in refs.values())
    assert loaded.warnings == ()


def test_every_provider_field_is_normalised_with_its_variant(tmp_path: Path) -> None:
    loaded = _load(tmp_path, """
tech_stack: {hosting: "AWS (ECS)", orm: SQLAlchemy, database: Postgres, cache: Upstash}
observability: {error_tracking: Sentry}
feature_flags: {provider: config-file}
api: {auth: Clerk}
incident_response:
  dns: {provider: Route 53}
  cdn: {provider: AWS CloudFront}
  payments: {provider: Stripe}
""")
    refs = provider_refs(loaded.config)
    assert {kind: (ref.key, ref.variant) for kind, ref in refs.items()} == {
        "hosting": ("aws-ecs", "ecs"), "orm": ("alembic", "sqlalchemy"), "database": ("postgresql", None),
        "cache": ("redis", "upstash"), "error_tracking": ("sentry", None), "feature_flags": ("config-file", None),
        "dns": ("route53", None), "cdn": ("cloudfront", None), "auth": ("clerk", None), "payments": ("stripe", None)}
    assert refs["hosting"].field == "tech_stack.hosting" and refs["hosting"].raw == "AWS (ECS)"
    assert loaded.warnings == ()


@pytest.mark.parametrize("raw", ["Fly.io", "fly", "flyio", "fly io", "FLY"])
def test_the_ways_people_write_fly_all_mean_fly(tmp_path: Path, raw: str) -> None:
    refs = provider_refs(_load(tmp_path, f"tech_stack: {{hosting: '{raw}'}}\n").config)
    assert refs["hosting"].key == "fly"


def test_an_unknown_provider_is_a_warning_naming_the_field_not_an_error(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "tech_stack: {hosting: Hetzner, orm: GORM}\nobservability: {error_tracking: Raygun}\n")
    refs = provider_refs(loaded.config)
    assert refs["hosting"].key is None and refs["hosting"].configured
    assert refs["orm"].key == "gorm"
    assert loaded.warnings == (
        "tech_stack.hosting: unknown provider 'Hetzner'; the runbook uses generic steps for it",
        "observability.error_tracking: unknown provider 'Raygun'; the runbook uses generic steps for it",
    )


def test_an_auth_scheme_that_is_no_provider_is_not_warned_about(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "api: {auth: JWT}\n")
    assert provider_refs(loaded.config)["auth"].key is None
    assert loaded.warnings == ()


def test_none_is_not_configured_and_not_warned_about(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "tech_stack: {orm: none, cache: none}\nobservability: {error_tracking: none}\n")
    refs = provider_refs(loaded.config)
    assert not refs["orm"].configured and refs["orm"].key is None
    assert loaded.warnings == ()


def test_a_vague_host_is_recognised_as_a_family_not_guessed(tmp_path: Path) -> None:
    refs = provider_refs(_load(tmp_path, "tech_stack: {hosting: GCP}\n").config)
    assert refs["hosting"].key == "gcp"
