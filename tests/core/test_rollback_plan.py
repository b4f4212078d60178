"""rollback_plan: this company's providers only, exact filled commands, generic fallbacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from incident_mcp.config import load_config
from incident_mcp.rollback import SECTION_KINDS, format_plan, rollback_plan
from tests.core.rollback_helpers import STACKS, _assert_no_foreign_commands, _commands, _config
from tests.support.checkout import COMPANY_OS

TEMPLATE = COMPANY_OS / "company.config.yaml"


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
