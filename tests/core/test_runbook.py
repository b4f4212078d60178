"""Runbook generation per stack: this company's own commands, nobody else's, and every item of the spec's checklist."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from incident_mcp.catalog import load_catalog
from incident_mcp.catalog.models import PLACEHOLDER, Kind, curl_command, is_http
from incident_mcp.config import load_config, provider_refs
from incident_mcp.runbook import POSTMORTEM_PATH, RUNBOOK_PATH, generate_runbook, solo_voice_problems
from incident_mcp.workspace import Workspace
from tests.support.checkout import FIXTURES

STACKS = sorted(p.name for p in (FIXTURES / "stacks").iterdir() if p.is_dir())
ALL_STACKS = [*STACKS, "blank"]

# Commands each stack's runbook must contain, spelled out by hand (filled with the stack's own ids),
# so the test does not only trust the catalog it checks against.
EXPECTED = {
    "vercel-prisma": [
        "vercel rollback",
        "vercel promote",
        "npx prisma migrate diff --from-schema prisma/schema.prisma --to-migrations prisma/migrations --script -o "
        "down.sql",
        "npx prisma db execute --file down.sql",
        "npx prisma migrate resolve --rolled-back",
        "ldcli flags toggle-off --project",
        "vercel dns",
        "vercel cache purge",
    ],
    "fly-django": [
        "fly releases --app tallyho-web --image",
        "fly deploy --app tallyho-web --image registry.fly.io/tallyho-web:deployment-",
        "python manage.py showmigrations",
        "python manage.py migrate",
        "flush_all",
        "https://api.cloudflare.com/client/v4/zones/0123456789abcdef0123456789abcdef/dns_records",
    ],
    "heroku-rails": [
        "heroku releases -a brewlog-prod",
        "heroku releases:rollback",
        "bin/rails db:rollback STEP=",
        "bin/rails db:migrate:status",
        "redis-cli",
        "https://api.dnsimple.com/v2/",
    ],
    "aws-ecs-alembic": [
        "aws ecs update-service --region us-east-1 --cluster parcelwise-prod --service api --task-definition",
        "aws ecs stop-service-deployment",
        "alembic downgrade -1",
        "alembic current",
        "aws cloudfront create-invalidation --region us-east-1 --distribution-id E2EXAMPLE123 --paths \"/*\"",
        "aws route53 change-resource-record-sets --region us-east-1 --hosted-zone-id Z0123456789ABC",
        "aws route53 update-health-check",
        "/api/admin/projects/",
    ],
    "railway-drizzle": [
        "railway deployment list -s pixelpost-api --json",
        "deploymentRollback",
        "drizzle-kit generate --custom",
        "drizzle-kit migrate",
        "https://api.cloudflare.com/client/v4/zones/fedcba9876543210fedcba9876543210/purge_cache",
    ],
    "kamal-rails-sidekiq-bunny": [
        "kamal app containers",
        "kamal rollback VERSION",
        'kamal app exec --reuse "MIGRATION_COMMAND"',
        "bin/rails db:rollback STEP=",
        "redis-cli -n 1 FLUSHDB ASYNC",
        "Sidekiq keeps queued jobs in Redis",
        "curl -fsS -X POST 'https://api.bunny.net/pullzone/184302/purgeCache' -H \"AccessKey: $BUNNY_API_KEY\"",
        "https://api.porkbun.com/api/json/v3/dns/editByNameType/ledgerline.example/A/app",
        "stripe events resend EVENT_ID --webhook-endpoint we_1Ledger --live",
        "https://status.stripe.com",
    ],
    "firebase-supabase-flipt": [
        "firebase hosting:clone snapnote-web@VERSION_ID snapnote-web:live --project snapnote-prod",
        "supabase migration new revert_",
        "Restore to new project",
        "https://flags.snapnote.example/api/v2/environments/production/namespaces/default/resources/"
        "flipt.core.Flag/new_editor",
        "`new_editor`",
        "https://api.cloudflare.com/client/v4/zones/0b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e/dns_records",
        "https://status.supabase.com",
    ],
    "app-engine-neon-kysely": [
        "gcloud app versions list --service default --project routewise-prod",
        "gcloud app services set-traffic default --splits=VERSION=1 --project routewise-prod",
        "neon branches restore main ^self@RESTORE_TIME --preserve-under-name main_before_restore "
        "--project-id fancy-river-123456",
        "npx kysely migrate down",
        "https://api.split.io/internal/api/v2/splits/ws/ws-routewise/FLAG/environments/Production/kill",
        "gcloud dns record-sets update api.routewise.example. --type=A --ttl=60 --rrdatas=203.0.113.80 "
        "--zone=routewise-zone --project routewise-prod",
    ],
    "ecs-efcore-datadog": [
        "aws ecs list-task-definitions --region eu-west-1 --family-prefix claimsy-api --sort DESC --max-items 5",
        "aws ecs update-service --region eu-west-1 --cluster claimsy-prod --service api --task-definition "
        "claimsy-api:PREVIOUS_REVISION",
        "aws ecs execute-command --region eu-west-1 --cluster claimsy-prod --task TASK_ID --container api",
        "dotnet ef database update TARGET_MIGRATION",
        "ldcli flags toggle-off --project claimsy --environment production --flag FLAG",
        "aws route53 change-resource-record-sets --region eu-west-1 --hosted-zone-id Z0CLAIMSY123",
        "aws cloudfront create-invalidation --region eu-west-1 --distribution-id E3CLAIMSY",
        "DD-API-KEY: $DD_API_KEY",
    ],
    "blank": [],
}

SPEC_POSTMORTEM_HEADINGS = [
    "# Post-Mortem: [INC-XXX] [Incident Title]",
    "## Incident Metadata",
    "## Timeline (all times UTC)",
    "## Root Cause Analysis: 5 Whys",
    "## Contributing Factors",
    "## Impact Assessment",
    "## Remediation Actions",
    "### Immediate (completed during incident)",
    "### Short-term (within 1 week)",
    "### Long-term (within 1 month)",
    "## Follow-Up Items",
    "## Lessons Learned",
]


def make_stack(tmp_path: Path, stack: str) -> Workspace:
    root = tmp_path / stack
    root.mkdir()
    source = FIXTURES / "company-os" if stack == "blank" else FIXTURES / "stacks" / stack
    shutil.copy(source / "company.config.yaml", root / "company.config.yaml")
    if stack == "blank":
        shutil.copytree(FIXTURES / "company-os" / "artifacts", root / "artifacts")
    return Workspace.at(root)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Workspace, str, str]]:
    """Each stack generated once: (workspace, runbook text, post-mortem text)."""
    out = {}
    for stack in ALL_STACKS:
        ws = make_stack(tmp_path_factory.mktemp("stacks"), stack)
        result = generate_runbook(ws)
        assert [f.action for f in result.files] == ["created", "created"]
        out[stack] = (ws, (ws.root / RUNBOOK_PATH).read_text(), (ws.root / POSTMORTEM_PATH).read_text())
    return out


def _prefix(command: str) -> str | None:
    """The fixed text of a catalog command before its first placeholder (None when too short to be telling)."""
    if is_http(command):
        command = curl_command(command)  # the runbook prints HTTP calls as the curl that sends them
    head = PLACEHOLDER.split(command)[0].strip()
    return head if len(head) >= 10 else None


def _commands_by_provider(kinds: tuple[Kind, ...]) -> dict[tuple[str, str], list[str]]:
    catalog = load_catalog()
    return {(kind, entry.key): entry.commands() for kind in kinds for entry in catalog.providers(kind)}


KINDS: tuple[Kind, ...] = ("hosting", "orm", "database", "feature_flags", "dns", "cache", "cdn", "error_tracking",
                           "auth", "payments")


@pytest.mark.parametrize("stack", STACKS)
def test_the_runbook_has_this_stacks_own_commands(generated: dict[str, tuple[Workspace, str, str]],
                                                  stack: str) -> None:
    ws, runbook, _ = generated[stack]
    for expected in EXPECTED[stack]:
        assert expected in runbook, f"{stack}: missing {expected!r}"
    refs = provider_refs(load_config(ws.config_path).config)
    catalog = load_catalog()
    for kind, ref in refs.items():
        if ref.key is None or kind == "error_tracking":
            continue
        # DNS steps for a record-type change (or for keeping the type) appear only when they apply
        steps = [s for s in catalog.provider(kind, ref.key).all_steps() if s.when is None]
        for command in [s.command for s in steps if s.command]:
            prefix = _prefix(command)
            if prefix:
                assert prefix in runbook, f"{stack}: {kind} {ref.key} command {command!r} is missing"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_runbook_has_no_other_providers_commands(generated: dict[str, tuple[Workspace, str, str]],
                                                     stack: str) -> None:
    ws, runbook, _ = generated[stack]
    refs = provider_refs(load_config(ws.config_path).config)
    configured = {(kind, ref.key) for kind, ref in refs.items() if ref.key}
    commands = _commands_by_provider(KINDS)
    own = {p for key in configured for c in commands.get(key, []) if (p := _prefix(c))}
    for key, provider_commands in commands.items():
        if key in configured or any(key[1] == c[1] for c in configured):
            continue
        for command in provider_commands:
            prefix = _prefix(command)
            if prefix is None or any(o.startswith(prefix) or prefix.startswith(o) for o in own):
                continue
            assert prefix not in runbook, f"{stack}: {key} command {command!r} leaked into the runbook"
    assert "fly releases rollback" not in runbook  # the spec's wrong Fly.io command, corrected by the reference


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_severity_has_examples_response_time_and_resolution_target(
        generated: dict[str, tuple[Workspace, str, str]], stack: str) -> None:
    _, runbook, _ = generated[stack]
    rows = [line for line in runbook.splitlines() if re.match(r"^\| \*\*P[0-3] \(", line)]
    assert [re.match(r"^\| \*\*(P[0-3])", r).group(1) for r in rows] == ["P0", "P1", "P2", "P3"]  # type: ignore
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 5
        severity, description, examples, response, resolution = cells
        assert description and response and resolution
        assert examples.count(",") >= 1, f"{severity} needs several examples"
        assert re.search(r"\d+ (hour|hours|week)s?$", resolution), resolution
    for level in ("P0", "P1", "P2", "P3"):
        assert f"**{level} Triage:**" in runbook


@pytest.mark.parametrize("stack", STACKS)
def test_rollback_sections_name_the_configured_host_and_orm(generated: dict[str, tuple[Workspace, str, str]],
                                                            stack: str) -> None:
    ws, runbook, _ = generated[stack]
    refs = provider_refs(load_config(ws.config_path).config)
    catalog = load_catalog()
    host = catalog.provider("hosting", refs["hosting"].key or "").name
    orm = catalog.provider("orm", refs["orm"].key or "").name
    headings = [line for line in runbook.splitlines() if line.startswith("### ")]
    assert f"### Deployment Rollback: {host}" in headings
    database = next(h for h in headings if h.startswith("### Database Rollback: "))
    assert orm in database.split(": ", 1)[1].split(" + ")
    assert "not configured: set `tech_stack.hosting`" not in runbook
    assert "not configured: set `tech_stack.orm`" not in runbook


def test_a_blank_config_calls_out_every_missing_value_instead_of_omitting_it(
        generated: dict[str, tuple[Workspace, str, str]]) -> None:
    _, runbook, _ = generated["blank"]
    for field, need in [
        ("tech_stack.hosting", "deployment rollback steps"),
        ("tech_stack.orm", "migration rollback steps"),
        ("feature_flags.provider", "kill-switch steps"),
        ("incident_response.dns.provider", "DNS failover steps"),
        ("tech_stack.cache", "cache flush steps"),
        ("observability.error_tracking", "the alert set-up"),
        ("incident_response.services", "the status-check command"),
        ("incident_response.alerting.provider", "the alert route to your phone"),
    ]:
        assert f"not configured: set `{field}` to get {need}" in runbook, field
    for heading in ("### Deployment Rollback", "### Database Rollback", "### Feature Flag Disable", "### DNS Failover",
                    "### Cache Invalidation"):
        assert heading in runbook


def test_explicit_none_is_not_reported_as_a_gap(generated: dict[str, tuple[Workspace, str, str]]) -> None:
    _, runbook, _ = generated["vercel-prisma"]  # tech_stack.cache: "none"
    assert "not configured: set `tech_stack.cache`" not in runbook


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_communication_templates_are_copy_paste_ready(generated: dict[str, tuple[Workspace, str, str]],
                                                      stack: str) -> None:
    ws, runbook, _ = generated[stack]
    section = runbook[runbook.index("## Communication Templates"):]
    section = section[:section.index("<!-- incident-mcp:end communication -->")]
    blocks = re.findall(r"^```\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) == 3
    for block in blocks:
        placeholders = re.findall(r"\[[^\]\n]+\]", block)
        assert len(placeholders) >= 3, block
        assert "{{" not in block and "{%" not in block
    status, email, invite = blocks
    assert status.startswith("Title: [Service Name] - [Investigating/Identified/Monitoring/Resolved]")
    assert email.startswith("Subject: ")
    assert invite.startswith("Subject: Post-Mortem: [Incident ID]")
    config = load_config(ws.config_path).config
    support = config.incident_response.support_contact or config.support.escalation_email
    if support:
        assert f"contact {support}." in email
        assert "[support channel]" not in email
    else:
        assert "contact [support channel]." in email
    if config.company.product:
        assert f"Subject: {config.company.product} Service Disruption - [Date]" in email


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_post_mortem_template_has_the_spec_structure_and_five_whys(
        generated: dict[str, tuple[Workspace, str, str]], stack: str) -> None:
    _, _, postmortem = generated[stack]
    headings = [line for line in postmortem.splitlines() if line.startswith("#")]
    assert headings == SPEC_POSTMORTEM_HEADINGS
    whys = re.findall(r"^(\d)\. \*\*Why\*\* did ", postmortem, flags=re.M)
    assert whys == ["1", "2", "3", "4", "5"]
    assert "[Root cause]" in postmortem
    for field in ("Incident ID", "Severity", "Date", "Duration", "Impact Summary", "Author", "Status"):
        assert f"- **{field}**: " in postmortem


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_documents_speak_to_a_solo_founder(generated: dict[str, tuple[Workspace, str, str]], stack: str) -> None:
    ws, runbook, postmortem = generated[stack]
    assert solo_voice_problems(runbook) == []
    assert solo_voice_problems(postmortem) == []
    assert "## Solopreneur-Specific Guidance" in runbook
    assert "You are always on call." in runbook
    refs = provider_refs(load_config(ws.config_path).config)
    if refs["hosting"].key:
        host = load_catalog().provider("hosting", refs["hosting"].key).name
        assert f"**{host} support** is your first escalation" in runbook
    else:
        assert "Your hosting provider's support channel is your first escalation" in runbook


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_alerts_reach_the_phone_through_a_paging_app(generated: dict[str, tuple[Workspace, str, str]],
                                                     stack: str) -> None:
    ws, runbook, _ = generated[stack]
    section = runbook[runbook.index("## Alerts to Your Phone"):runbook.index("<!-- incident-mcp:end alerting")]
    config = load_config(ws.config_path).config
    route = config.incident_response.alerting.provider
    if route:
        assert f"Send those alerts to **{route}**" in section
    else:
        assert "PagerDuty, Opsgenie or Slack" in section
    tracker = provider_refs(config)["error_tracking"]
    if tracker.key:
        name = load_catalog().provider("error_tracking", tracker.key).name
        assert f"Your error tracker is **{name}**" in section
        assert "Push to your phone from" in section


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_status_check_command_lists_exactly_the_critical_urls(generated: dict[str, tuple[Workspace, str, str]],
                                                                  stack: str) -> None:
    ws, runbook, _ = generated[stack]
    config = load_config(ws.config_path).config
    if not config.incident_response.services:
        assert "not configured: set `incident_response.services`" in runbook
        return
    urls = [s.url for s in config.critical_services()]
    assert f"./tools/ops/status-check.sh {' '.join(urls)}\n" in runbook
    for service in config.incident_response.services:
        if service not in config.critical_services():
            assert f"status-check.sh {service.url}" not in runbook and f" {service.url}\n```" not in runbook


def test_rfc_dependencies_and_failure_modes_reach_the_runbook(example_ws: Path) -> None:
    ws = Workspace.at(example_ws)
    generate_runbook(ws)
    runbook = (ws.root / RUNBOOK_PATH).read_text()
    section = runbook[runbook.index("## Dependencies and Failure Domains"):]
    assert "| Payments | RFC-001 |" in section
    assert "### RFC-002: Email magic-link sign-in and sessions" in section
    assert "Redis down: every request falls back to Postgres" in section
    assert "Its own rollback: turn the flag off, then roll back the deploy" in section


def test_the_generated_files_are_the_only_files_written(tmp_path: Path) -> None:
    ws = make_stack(tmp_path, "fly-django")
    before = set(ws.root.rglob("*"))
    generate_runbook(ws)
    after = {p for p in ws.root.rglob("*") if ".incident-mcp" not in p.parts}
    assert {p.relative_to(ws.root).as_posix() for p in after - before} == {
        "standards", "standards/ops", RUNBOOK_PATH, POSTMORTEM_PATH}


def test_the_severity_table_is_the_one_classify_severity_applies(
        generated: dict[str, tuple[Workspace, str, str]]) -> None:
    from incident_mcp.severity import LEVELS

    _, runbook, _ = generated["fly-django"]
    for row in LEVELS.values():
        line = next(line for line in runbook.splitlines() if line.startswith(f"| **{row.level} ("))
        assert f"| **{row.level} ({row.name})** | {row.description} | {', '.join(row.examples)} | " \
               f"{row.response_time} |" in line


def test_the_at_a_glance_table_names_a_provider_once(generated: dict[str, tuple[Workspace, str, str]]) -> None:
    _, runbook, _ = generated["fly-django"]
    assert "| Error tracking | Bugsnag (SmartBear) |" in runbook
    assert "Bugsnag (Bugsnag" not in runbook
