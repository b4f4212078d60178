"""Shared by the rollback_plan tests: configs from YAML, a plan's steps and commands, foreign commands, STACKS."""

from __future__ import annotations

import re
from pathlib import Path

from incident_mcp.catalog import KINDS, load_catalog
from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.rollback import PlanStep, RollbackPlan, format_plan


def _config(tmp_path: Path, text: str) -> CompanyConfig:
    path = tmp_path / "company.config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).config


def _steps(plan: RollbackPlan) -> list[PlanStep]:
    steps: list[PlanStep] = []
    for section in plan.sections:
        steps += section.steps + section.prepare + section.verify
        for provider in section.providers:
            steps += provider.steps + provider.prepare
    return steps


def _commands(plan: RollbackPlan) -> list[str]:
    return [s.command for s in _steps(plan) if s.command]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z][a-z0-9_]*\}", template)
    return re.compile(r"\S+".join(re.escape(part) for part in parts))


def _foreign_commands(own: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Every catalog command template that belongs to a provider not in ``own`` (kind, key)."""
    catalog = load_catalog()
    foreign: list[tuple[str, str, str]] = []
    own_keys = {(kind, key) for kind, key in own}
    for kind in KINDS:
        for entry in catalog.providers(kind):
            if (kind, entry.key) in own_keys:
                continue
            foreign += [(kind, entry.key, command) for command in entry.commands()]
    return foreign


def _assert_no_foreign_commands(plan: RollbackPlan, own: set[tuple[str, str]]) -> None:
    commands = _commands(plan)
    text = format_plan(plan)
    own_templates = {c for kind, key in own for c in load_catalog().provider(kind, key).commands()}  # type: ignore[arg-type]
    for kind, key, template in _foreign_commands(own):
        if template in own_templates:
            continue
        pattern = _template_regex(template)
        assert not any(pattern.fullmatch(c) for c in commands), f"{kind}/{key} command in plan: {template}"
        assert not pattern.search(text), f"{kind}/{key} command in text: {template}"


STACKS: dict[str, tuple[str, set[tuple[str, str]], list[str]]] = {
    "vercel-prisma-sentry-launchdarkly": (
        """
company: {name: Acme}
tech_stack: {hosting: Vercel, orm: Prisma, database: PostgreSQL}
observability: {error_tracking: Sentry}
feature_flags: {provider: LaunchDarkly}
incident_response:
  deploy: {project: acme-web}
""",
        {("hosting", "vercel"), ("orm", "prisma"), ("database", "postgresql"), ("feature_flags", "launchdarkly")},
        ["vercel rollback DEPLOYMENT_ID", "vercel rollback status", "vercel promote status",
         "POST https://api.vercel.com/v1/projects/acme-web/rollback/DEPLOYMENT_ID",
         "npx prisma db execute --file down.sql", "npx prisma migrate resolve --rolled-back MIGRATION_NAME",
         "ldcli flags toggle-off --project FLAG_PROJECT --environment FLAG_ENVIRONMENT --flag FLAG"],
    ),
    "fly-django-bugsnag": (
        """
company: {name: Acme}
tech_stack: {hosting: "Fly.io", orm: Django, database: postgres}
observability: {error_tracking: Bugsnag}
incident_response:
  deploy: {app: acme-api}
""",
        {("hosting", "fly"), ("orm", "django"), ("database", "postgresql")},
        ["fly releases --app acme-api --image",
         "fly deploy --app acme-api --image registry.fly.io/acme-api:deployment-DEPLOYMENT_ID",
         "python manage.py showmigrations DJANGO_APP", "python manage.py migrate DJANGO_APP TARGET_MIGRATION"],
    ),
    "heroku-rails": (
        """
tech_stack: {hosting: heroku, orm: Rails, database: Heroku Postgres}
incident_response:
  deploy: {app: acme}
""",
        {("hosting", "heroku"), ("orm", "rails"), ("database", "postgresql")},
        ["heroku releases -a acme", "heroku releases:rollback RELEASE -a acme", "bin/rails db:migrate:status",
         "bin/rails db:rollback STEP=N"],
    ),
    "aws-ecs-alembic-cloudfront": (
        """
tech_stack: {hosting: AWS (ECS), orm: SQLAlchemy, database: Postgres, cache: Redis}
incident_response:
  deploy: {cluster: prod, service: api, region: eu-west-1, task_family: api}
  cache: {settings: {redis_db: "2"}}
  cdn: {provider: CloudFront, settings: {distribution_id: E2ABCDEF}}
""",
        {("hosting", "aws-ecs"), ("orm", "alembic"), ("database", "postgresql"), ("cache", "redis"),
         ("cdn", "cloudfront")},
        ["aws ecs list-task-definitions --region eu-west-1 --family-prefix api --sort DESC --max-items 5",
         "aws ecs update-service --region eu-west-1 --cluster prod --service api --task-definition "
         "api:PREVIOUS_REVISION",
         "aws ecs execute-command --region eu-west-1 --cluster prod --task TASK_ID --container CONTAINER "
         '--interactive --command "/bin/sh"',
         "alembic downgrade -1", "alembic current", "aws cloudfront create-invalidation --region eu-west-1 "
         '--distribution-id E2ABCDEF --paths "/*"', "redis-cli -n 2 FLUSHDB ASYNC"],
    ),
    "railway-drizzle": (
        """
tech_stack: {hosting: Railway, orm: Drizzle, database: MySQL (PlanetScale)}
incident_response:
  deploy: {service: web}
""",
        {("hosting", "railway"), ("orm", "drizzle"), ("database", "mysql"), ("database", "planetscale")},
        ["railway deployment list -s web --json", "drizzle-kit generate --custom --name revert_MIGRATION_NAME",
         "drizzle-kit migrate"],
    ),
}
