"""rollback_plan: regressions from the command-by-command audit; fixture companies mixing the newer providers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from incident_mcp.catalog import KINDS, load_catalog
from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.rollback import format_plan, rollback_plan
from tests.core.rollback_helpers import _assert_no_foreign_commands, _commands, _config, _steps
from tests.support.checkout import EXAMPLE_COMPANY, FIXTURES

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
