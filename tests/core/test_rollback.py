"""rollback_plan: this company's providers only, exact filled commands, generic fallbacks; MCP tool and CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from incident_mcp.catalog import KINDS, load_catalog
from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.rollback import SECTION_KINDS, PlanStep, RollbackPlan, format_plan, rollback_plan
from incident_mcp.server import build_server
from tests.support.checkout import COMPANY_OS, EXAMPLE_COMPANY, FIXTURES, cli_env
from tests.support.mcp_client import first_text

TEMPLATE = COMPANY_OS / "company.config.yaml"


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


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_gets_its_own_exact_commands_and_no_other_providers(tmp_path: Path, stack: str) -> None:
    text, own, expected = STACKS[stack]
    plan = rollback_plan(_config(tmp_path, text))
    commands = _commands(plan)
    for command in expected:
        assert command in commands, f"{stack}: missing {command!r}"
    _assert_no_foreign_commands(plan, own)
    assert [s.kind for s in plan.sections] == list(SECTION_KINDS)
    assert "releases rollback" not in format_plan(plan)


def test_the_blank_company_os_template_gets_generic_steps_and_notes_naming_the_fields(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, tmp_path / "company.config.yaml")
    plan = rollback_plan(load_config(tmp_path / "company.config.yaml").config)
    assert _commands(plan) == []
    assert all(section.steps and not section.providers for section in plan.sections)
    notes = [note for section in plan.sections for note in section.notes]
    for expected in ("not configured: set tech_stack.hosting to get deployment rollback steps",
                     "not configured: set tech_stack.orm to get migration rollback steps",
                     "not configured: set feature_flags.provider to get kill-switch steps",
                     "not configured: set incident_response.dns.provider to get DNS failover steps",
                     "not configured: set tech_stack.cache to get cache flush steps"):
        assert expected in notes
    _assert_no_foreign_commands(plan, set())
    assert "Run check_status on the affected URLs" in plan.sections[0].verify[0].action


def test_kinds_select_sections_and_keep_the_working_order(tmp_path: Path) -> None:
    config = _config(tmp_path, STACKS["fly-django-bugsnag"][0])
    assert [s.kind for s in rollback_plan(config, ["cache", "deployment"]).sections] == ["deployment", "cache"]
    assert [s.kind for s in rollback_plan(config, []).sections] == []
    with pytest.raises(ValueError, match=r"unknown rollback section 'flags'.*feature_flag"):
        rollback_plan(config, ["flags"])


def test_a_vague_host_asks_which_service_and_gives_no_commands(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: AWS}\n"), ["deployment"])
    section = plan.sections[0]
    assert [p.key for p in section.providers] == ["aws"]
    assert "AWS Lambda" in section.providers[0].family_options
    assert section.steps, "generic steps apply until the service is named"
    assert any("could mean several providers" in note for note in section.notes)
    assert _commands(plan) == []


def test_an_unknown_host_gets_generic_steps_and_the_list_of_known_ones(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: Hetzner}\n"), ["deployment"])
    section = plan.sections[0]
    assert not section.providers and section.steps
    note = next(n for n in section.notes if "Hetzner" in n)
    assert "not in the catalog" in note and "Fly.io" in note and "tech_stack.hosting" in note


def test_orm_none_says_so_rather_than_not_configured(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {orm: none, database: SQLite}\n"), ["database"])
    section = plan.sections[0]
    assert [p.key for p in section.providers] == ["sqlite"]
    assert any(n.startswith("tech_stack.orm is 'none'") for n in section.notes)
    assert section.steps, "no migration tool: the generic migration steps apply"


def test_two_hosts_in_one_value_both_get_their_steps(tmp_path: Path) -> None:
    config = _config(tmp_path, "tech_stack: {hosting: Vercel + Fly.io}\nincident_response: {deploy: {app: api}}\n")
    plan = rollback_plan(config, ["deployment"])
    assert [p.key for p in plan.sections[0].providers] == ["vercel", "fly"]
    assert "fly releases --app api --image" in _commands(plan)
    assert "vercel rollback DEPLOYMENT_ID" in _commands(plan)


def test_a_config_value_unsafe_in_a_shell_is_not_put_into_commands(tmp_path: Path) -> None:
    config = _config(tmp_path, """
tech_stack: {hosting: Heroku}
incident_response: {deploy: {app: "acme; rm -rf /"}}
""")
    plan = rollback_plan(config, ["deployment"])
    assert "heroku releases -a APP" in _commands(plan)
    assert not any("rm -rf" in c for c in _commands(plan))
    assert any("incident_response.deploy.app is not used in commands" in n for n in plan.sections[0].notes)


def test_missing_ids_are_listed_with_the_config_field_that_fills_them(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: fly}\n"), ["deployment"])
    section = plan.sections[0]
    assert section.config_fields_to_set == ["incident_response.deploy.app"]
    step = next(s for s in section.providers[0].steps if s.command and "fly deploy" in s.command)
    assert step.missing == ["APP", "DEPLOYMENT_ID"]


def test_route53_failover_is_filled_from_the_dns_settings(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, """
incident_response:
  dns: {provider: Route 53, zone: Z123ABC, record: app.example.com, ttl: 300, failover_target: 203.0.113.10}
"""), ["dns"])
    steps = plan.sections[0].providers[0].steps
    upsert = next(s for s in steps if s.body_file == "upsert.json")
    assert upsert.command == "aws route53 change-resource-record-sets --region REGION --hosted-zone-id Z123ABC " \
                             "--change-batch file://upsert.json"
    assert json.loads(upsert.body or "")["Changes"][0]["ResourceRecordSet"] == {
        "Name": "app.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "203.0.113.10"}]}
    assert "aws route53 update-health-check --region REGION --health-check-id HEALTH_CHECK_ID --inverted" in \
        _commands(plan)


def test_vercel_dns_gets_the_record_name_and_a_cname_for_a_hostname_target(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, """
incident_response:
  dns: {provider: Vercel, zone: example.com, record: app.example.com, failover_target: standby.example.net}
"""), ["dns"])
    assert "vercel dns add example.com app CNAME standby.example.net" in _commands(plan)
    assert "vercel dns ls example.com" in _commands(plan)


def test_the_cloudflare_zone_is_shared_between_dns_and_cdn_only_when_both_are_cloudflare(tmp_path: Path) -> None:
    both = rollback_plan(_config(tmp_path, """
incident_response:
  dns: {provider: Cloudflare, zone: zone123}
  cdn: {provider: Cloudflare}
"""), ["cache"])
    assert "POST https://api.cloudflare.com/client/v4/zones/zone123/purge_cache" in _commands(both)
    split = rollback_plan(_config(tmp_path, """
incident_response:
  dns: {provider: Route 53, zone: Z123}
  cdn: {provider: Cloudflare}
"""), ["cache"])
    assert "POST https://api.cloudflare.com/client/v4/zones/ZONE/purge_cache" in _commands(split)
    assert split.sections[0].config_fields_to_set == ["incident_response.cdn.settings.zone"]


def test_verify_names_the_critical_services_and_the_providers_own_status_command(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, """
tech_stack: {hosting: k8s}
incident_response:
  deploy: {app: web}
  services:
    - {name: api, url: "https://api.example.com/health", critical: true}
    - {name: docs, url: "https://docs.example.com"}
"""), ["deployment"])
    verify = plan.sections[0].verify
    assert verify[0].action.startswith("Run check_status on the critical services (api)")
    assert verify[1].command == "kubectl rollout status deployment/web"


def test_the_text_tells_the_reader_to_verify_partly_verified_commands_with_help(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: Kubernetes (Helm)}\n"), ["deployment"])
    text = format_plan(plan)
    assert "$ helm rollback RELEASE REVISION" in text
    assert "verify with `helm rollback --help` before running" in text
    assert "### Kubernetes — helm" in text
    helm = next(s for s in plan.sections[0].providers[0].steps if s.command and s.command.startswith("helm"))
    assert helm.verify_with_help and helm.verified == "partial"


def test_the_text_shows_api_calls_as_a_curl_with_their_auth_headers_and_body(tmp_path: Path) -> None:
    text = format_plan(rollback_plan(_config(tmp_path, "feature_flags: {provider: LaunchDarkly}\n"),
                                     ["feature_flag"]))
    assert ("$ curl -fsS -X PATCH 'https://app.launchdarkly.com/api/v2/flags/FLAG_PROJECT/FLAG' "
            '-H "Authorization: $LD_ACCESS_TOKEN" '
            '-H "Content-Type: application/json; domain-model=launchdarkly.semanticpatch" '
            """--data '{"environmentKey":"FLAG_ENVIRONMENT","instructions":[{"kind":"turnFlagOff"}]}'""") in text


def test_a_host_with_its_own_cdn_suggests_setting_the_cdn(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: Vercel}\n"), ["cache"])
    assert any("set incident_response.cdn.provider to 'Vercel'" in n for n in plan.sections[0].notes)


def test_plan_notes_put_the_kill_switch_first(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {hosting: Vercel}\n"))
    assert plan.notes[0].startswith("Fastest first")


# ---- MCP tool ------------------------------------------------------------------------------------------


def _workspace(tmp_path: Path, text: str) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "company.config.yaml").write_text(text, encoding="utf-8")
    return ws


def _call(ws: Path, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with Client(build_server(str(ws))) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            return tools["rollback_plan"], await client.call_tool("rollback_plan", arguments)

    return anyio.run(run)


def test_the_mcp_tool_is_read_only_and_returns_the_structured_plan(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, STACKS["fly-django-bugsnag"][0])
    tool, result = _call(ws, {"kinds": ["deployment"]})
    assert tool.annotations.read_only_hint is True and tool.annotations.destructive_hint is False
    assert not result.is_error
    plan = result.structured_content
    assert [s["kind"] for s in plan["sections"]] == ["deployment"]
    assert "docs" not in plan["sections"][0]["providers"][0], "docs links only on request"
    _, with_docs = _call(ws, {"kinds": ["deployment"], "docs": True})
    assert with_docs.structured_content["sections"][0]["providers"][0]["docs"]
    commands = [step.get("command") for p in plan["sections"][0]["providers"] for step in p["steps"]]
    assert "fly deploy --app acme-api --image registry.fly.io/acme-api:deployment-DEPLOYMENT_ID" in commands


def test_the_mcp_tool_rejects_an_unknown_section(tmp_path: Path) -> None:
    _, result = _call(_workspace(tmp_path, "tech_stack: {hosting: fly}\n"), {"kinds": ["flags"]})
    assert result.is_error
    assert "feature_flag" in first_text(result)


def test_the_mcp_tool_reports_a_broken_config_with_its_field(tmp_path: Path) -> None:
    _, result = _call(_workspace(tmp_path, "incident_response: {dns: {ttl: -5}}\n"), {})
    assert result.is_error
    assert "incident_response.dns.ttl" in first_text(result)


# ---- CLI -----------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "incident_mcp", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=60, check=False)


def test_the_cli_prints_the_plan_as_text_and_as_json(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, STACKS["heroku-rails"][0])
    text = _cli("rollback", "--workspace", str(ws))
    assert text.returncode == 0, text.stderr
    assert "## 1. Deployment rollback — Heroku" in text.stdout
    assert "$ heroku releases:rollback RELEASE -a acme" in text.stdout
    as_json = _cli("rollback", "--workspace", str(ws), "--json", "--kind", "database", "--kind", "dns")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert [s["kind"] for s in data["sections"]] == ["database", "dns"]


def test_the_cli_fails_with_one_line_when_there_is_no_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _cli("rollback", "--workspace", str(empty))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("incident-mcp: error:") and "company.config.yaml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ---- regressions from the command-by-command audit (issue 12) ------------------------------------------------


def test_sequelize_undo_all_to_names_the_oldest_migration_to_undo_because_to_is_inclusive(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, "tech_stack: {orm: Sequelize}\n"), ["database"])
    steps = plan.sections[0].providers[0].steps
    undo_all = next(s for s in steps if s.command and "--to" in s.command)
    assert undo_all.command == "npx sequelize-cli db:migrate:undo:all --to OLDEST_MIGRATION_TO_UNDO"
    assert "INCLUSIVE" in undo_all.action and "OLDEST" in undo_all.action
    assert "undo everything after" not in format_plan(plan)


def test_vercel_rollback_requires_the_deployment_and_the_rest_call_sends_an_empty_json_body(tmp_path: Path) -> None:
    config = _config(tmp_path, "tech_stack: {hosting: Vercel}\nincident_response: {deploy: {project: web}}\n")
    plan = rollback_plan(config, ["deployment"])
    text = format_plan(plan)
    assert "Without an id" not in text and "goes to the previous production deployment" not in text
    steps = plan.sections[0].providers[0].steps
    cli = next(s for s in steps if s.command == "vercel rollback DEPLOYMENT_ID")
    assert "REQUIRED" in cli.action and "rollback status" in cli.action
    finder = steps[0]
    assert finder.command == "vercel list web --environment production --status READY"
    rest = next(s for s in steps if s.command and s.command.startswith("POST "))
    assert rest.body == "{}"
    assert "Content-Type: application/json" in rest.headers
    assert "Authorization: Bearer $VERCEL_TOKEN" in rest.headers


def test_every_http_step_of_the_catalog_sends_its_vendors_auth_from_an_environment_variable() -> None:
    from incident_mcp.catalog.models import auth_headers

    checked = 0
    catalog = load_catalog()
    for kind in KINDS:
        for entry in catalog.providers(kind):
            for step in entry.all_steps():
                if step.command and step.api:
                    checked += 1
                    found = auth_headers(step.command, step.headers)
                    assert found, f"{kind}/{entry.key}: {step.command}"
                    assert not re.search(r"(Bearer|Api-Key|Basic) [A-Za-z0-9]{8,}", " ".join(step.headers))
    assert checked >= 20


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("orm", "tech_stack: {orm: Prisma}", ["--from-schema-datamodel prisma/schema.prisma --to-migrations "
                                          'prisma/migrations --shadow-database-url "$SHADOW_DATABASE_URL"',
                                          "Prisma 7:", "Prisma 6 and earlier"]),
    ("orm", "tech_stack: {orm: TypeORM}", ["npx typeorm-ts-node-commonjs migration:revert -d DATA_SOURCE",
                                           "typeorm-ts-node-esm", "compiled"]),
    ("orm", "tech_stack: {orm: Ecto}", ['bin/RELEASE_NAME eval "RELEASE_MODULE.rollback(REPO_MODULE, VERSION)"']),
    ("cdn", "incident_response: {cdn: {provider: Fastly, settings: {fastly_service_id: SVC1}}}",
     ["fastly service purge --key SURROGATE_KEY --soft --service-id SVC1",
      "fastly service purge --all --service-id SVC1"]),
    ("hosting", "tech_stack: {hosting: Netlify}\nincident_response: {deploy: {site_id: s1}}",
     ["netlify api lockDeploy", "next Git-triggered production deploy overwrites the rollback"]),
    ("cache", "tech_stack: {cache: Memcached}", ["printf 'flush_all\\r\\nquit\\r\\n' | nc HOST 11211"]),
    ("dns", "incident_response: {dns: {provider: Route 53}}", ['"Action":"DELETE"', '"Action":"CREATE"',
                                                                "UPSERT cannot switch it"]),
    ("dns", "incident_response: {dns: {provider: Cloudflare}}",
     ["curl -fsS -X DELETE 'https://api.cloudflare.com/client/v4/zones/ZONE/dns_records/RECORD_ID'",
      "PATCH cannot switch it in place"]),
    ("hosting", "tech_stack: {hosting: Render}", ["What a rollback restores", "disks", "CURRENT"]),
])
def test_the_corrected_dubious_commands_are_printed(tmp_path: Path, kind: str, text: str,
                                                    expected: list[str]) -> None:
    section = {"orm": "database", "cdn": "cache", "cache": "cache", "hosting": "deployment", "dns": "dns"}[kind]
    plan_text = format_plan(rollback_plan(_config(tmp_path, text + "\n"), [section]))
    for fragment in expected:
        assert fragment in plan_text, fragment
    assert "fastly purge " not in plan_text
    assert "npx typeorm migration:revert -d ./src/data-source.ts" not in plan_text


def test_flushdb_uses_the_configured_database_and_names_the_queue_sharing_redis(tmp_path: Path) -> None:
    plan = rollback_plan(_config(tmp_path, """
tech_stack: {cache: Redis, queue: Sidekiq}
incident_response: {cache: {settings: {redis_db: "3", cache_pattern: "cache:*"}}}
"""), ["cache"])
    section = plan.sections[0]
    assert "redis-cli -n 3 FLUSHDB ASYNC" in _commands(plan)
    assert "redis-cli --scan --pattern 'cache:*' | xargs -r -n 100 redis-cli UNLINK" in _commands(plan)
    assert any("Sidekiq" in note and "database 3" in note and "queued" in note for note in section.notes)
    assert not section.config_fields_to_set


def test_a_queue_an_rfc_mentions_is_named_too(tmp_path: Path) -> None:
    from incident_mcp.rfcs import RfcSummary

    rfc = RfcSummary(id="RFC-009", title="Emails through Celery workers", status="accepted", path="x.md")
    plan = rollback_plan(_config(tmp_path, "tech_stack: {cache: Redis}\n"), ["cache"], rfcs=[rfc])
    assert any("Celery" in note for note in plan.sections[0].notes)
    quiet = rollback_plan(_config(tmp_path, "tech_stack: {cache: Redis}\n"), ["cache"])
    assert not any("queued" in note for note in quiet.sections[0].notes)


def test_the_flags_the_rfcs_name_are_in_the_kill_switch_section(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE_COMPANY, ws)
    from incident_mcp.workspace import Workspace

    plan = rollback_plan(load_config(ws / "company.config.yaml").config, ["feature_flag"],
                         workspace=Workspace(ws))
    section = plan.sections[0]
    assert any("`billing-v2` (RFC-001)" in note for note in section.notes)
    # one flag named: it fills the kill-switch command
    assert any(c.endswith("--flag billing-v2") for c in _commands(plan))


@pytest.mark.parametrize(("text", "kind", "unknown"), [
    ("tech_stack: {cache: Redis}\nincident_response: {cdn: {provider: KeyCDN}}", "cache", "KeyCDN"),
    ("tech_stack: {cache: Redis + Hazelcast}", "cache", "Hazelcast"),
    ("tech_stack: {orm: Prisma + FaunaDB, database: FaunaDB}", "database", "FaunaDB"),
])
def test_an_unknown_provider_beside_a_known_one_still_gets_the_generic_steps(tmp_path: Path, text: str,
                                                                             kind: str, unknown: str) -> None:
    plan = rollback_plan(_config(tmp_path, text + "\n"), [kind])
    section = plan.sections[0]
    assert section.providers, "the known provider keeps its steps"
    assert section.steps, "the unknown one gets the generic steps"
    assert any(unknown in note for note in section.notes)
    if kind == "database":
        assert any("backup" in step.action for step in section.steps)


def test_every_aws_command_names_the_region(tmp_path: Path) -> None:
    catalog = load_catalog()
    aws = [c for kind in KINDS for entry in catalog.providers(kind) for c in entry.commands() if c.startswith("aws ")]
    assert len(aws) > 15
    assert all("--region {region}" in c for c in aws), [c for c in aws if "--region" not in c]


# ---- fixture companies mixing the new providers; the repeatable audit -----------------------------------------

STACK_FIXTURES = FIXTURES / "stacks"
MIXED_STACKS = ["kamal-rails-sidekiq-bunny", "firebase-supabase-flipt", "app-engine-neon-kysely", "ecs-efcore-datadog"]
# Placeholders that name something chosen during the incident (a deployment, a version, a record id): the config
# cannot know them. Any other UPPERCASE placeholder left in a fixture company's plan is a config value not filled.
CHOSEN_DURING_THE_INCIDENT = {
    "DEPLOYMENT_ID", "DEPLOY_ID", "FIXED_DEPLOYMENT_ID", "VERSION", "FIXED_VERSION", "VERSION_ID", "RELEASE",
    "REVISION", "PREVIOUS_REVISION", "PREVIOUS_VERSION", "PREVIOUS_VERSION_LABEL", "OLD_JOB_ID", "TASK_ID",
    "SERVICE_DEPLOYMENT_ARN", "MIGRATION_NAME", "MIGRATION_COMMAND", "TARGET_MIGRATION", "BAD_MIGRATION",
    "OLDEST_MIGRATION_TO_UNDO", "N", "FROM_REVISION", "TO_REVISION", "TAG", "FLAG", "FLAG_ID", "SETTING_ID",
    "FEATURESTATE_ID", "RECORD_ID", "CHANGE_ID", "HEALTH_CHECK_ID", "STALE_URL", "SURROGATE_KEY", "CACHE_TAG",
    "RESTORE_TIME", "DEPLOY_REQUEST_NUMBER", "GOOD_COMMIT", "GOOD_TAG", "REASON", "EVENT_ID",
}


def _stack_config(stack: str) -> CompanyConfig:
    return load_config(STACK_FIXTURES / stack / "company.config.yaml").config


def _own(config: CompanyConfig) -> set[tuple[str, str]]:
    catalog = load_catalog()
    from incident_mcp.config import PROVIDER_FIELDS, config_value

    own: set[tuple[str, str]] = set()
    for kind, field in PROVIDER_FIELDS.items():
        own |= {(kind, m.key) for m in catalog.normalize_all(kind, config_value(config, field))}
    return own


@pytest.mark.parametrize("stack", MIXED_STACKS)
def test_a_mixed_stack_gets_only_its_own_commands_each_runnable_once_the_env_vars_are_set(stack: str) -> None:
    from incident_mcp.catalog.models import auth_headers
    from incident_mcp.rollback import dependency_plans

    config = _stack_config(stack)
    plan = rollback_plan(config)
    _assert_no_foreign_commands(plan, _own(config))
    steps = _steps(plan) + [s for p in dependency_plans(config) for s in p.steps]
    assert all(not section.config_fields_to_set for section in plan.sections), \
        [(s.kind, s.config_fields_to_set) for s in plan.sections]
    for step in steps:
        assert set(step.missing) <= CHOSEN_DURING_THE_INCIDENT, (stack, step.command, step.missing)
        if step.command and (step.command.startswith("curl ") or step.command.split(" ", 1)[0].isupper()):
            assert auth_headers(step.command, step.headers), (stack, step.command)
    assert sum(1 for s in steps if s.command) >= 8


def test_every_config_fillable_placeholder_is_filled_in_a_fixture_company() -> None:
    from incident_mcp.rollback import CONFIG_FIELDS, DEPENDENCY_FIELDS, dependency_plans

    fillable = {name.upper() for fields in CONFIG_FIELDS.values() for name in fields} | \
        {name.upper() for name in DEPENDENCY_FIELDS}
    assert not fillable & CHOSEN_DURING_THE_INCIDENT
    for stack in MIXED_STACKS:
        config = _stack_config(stack)
        steps = _steps(rollback_plan(config)) + [s for p in dependency_plans(config) for s in p.steps]
        left = {name for step in steps for name in step.missing} & fillable
        assert not left, (stack, left)


_SECTION_OF = {"hosting": "deployment", "orm": "database", "database": "database", "feature_flags": "feature_flag",
               "dns": "dns", "cache": "cache", "cdn": "cache"}
_FIELD_YAML = {"hosting": "tech_stack: {{hosting: {name!r}, orm: Django}}",
               "orm": "tech_stack: {{orm: {name!r}}}", "database": "tech_stack: {{database: {name!r}}}",
               "feature_flags": "feature_flags: {{provider: {name!r}}}",
               "dns": "incident_response: {{dns: {{provider: {name!r}}}}}",
               "cache": "tech_stack: {{cache: {name!r}}}",
               "cdn": "incident_response: {{cdn: {{provider: {name!r}}}}}",
               "auth": "api: {{auth: {name!r}}}", "payments": "incident_response: {{payments: {{provider: {name!r}}}}}"}


def _catalog_entries_with_commands() -> list[tuple[str, str]]:
    catalog = load_catalog()
    return [(kind, entry.key) for kind in _FIELD_YAML for entry in catalog.providers(kind)  # type: ignore[arg-type]
            if entry.commands() and not entry.family and not entry.generic]


@pytest.mark.parametrize(("kind", "key"), _catalog_entries_with_commands())
def test_no_catalog_provider_is_left_without_its_commands_in_a_plan_for_a_stack_using_it(
        tmp_path: Path, kind: str, key: str) -> None:
    from incident_mcp.catalog import fill
    from incident_mcp.rollback import dependency_plans

    entry = load_catalog().provider(kind, key)  # type: ignore[arg-type]
    config = _config(tmp_path, _FIELD_YAML[kind].format(name=entry.name) + "\n")
    if kind in ("auth", "payments"):
        commands = [s.command for p in dependency_plans(config) for s in p.steps if s.command]
    else:
        # a host's "shell where the app runs" step goes before the migration commands, in the database section
        commands = _commands(rollback_plan(config, {_SECTION_OF[kind], "database"}))
    expected = [fill(step.command, {}) for step in entry.all_steps() if step.command]
    for command in expected:
        assert command in commands, f"{kind}/{key}: {command!r} missing from the plan"


@pytest.mark.parametrize(("failover", "primary", "shown", "hidden"), [
    ("203.0.113.10", "198.51.100.1", '"Action":"UPSERT"', '"Action":"DELETE"'),
    ("maintenance.example.com", "198.51.100.1", '"Action":"DELETE"', '"Action":"UPSERT"'),
])
def test_dns_steps_follow_whether_the_failover_changes_the_record_type(tmp_path: Path, failover: str, primary: str,
                                                                       shown: str, hidden: str) -> None:
    plan = rollback_plan(_config(tmp_path, f"""
incident_response:
  dns: {{provider: Route 53, zone: Z1, record: app.example.com, ttl: 300, failover_target: {failover},
        settings: {{primary_target: {primary}}}}}
"""), ["dns"])
    bodies = " ".join(s.body or "" for s in _steps(plan))
    assert shown in bodies and hidden not in bodies
    unknown = rollback_plan(_config(tmp_path, "incident_response: {dns: {provider: Route 53}}\n"), ["dns"])
    both = " ".join(s.body or "" for s in _steps(unknown))
    assert '"Action":"UPSERT"' in both and '"Action":"DELETE"' in both
