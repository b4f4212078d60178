"""Loading company.config.yaml: the plain template works, errors name file, line and field."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from incident_mcp.config import load_config, provider_refs
from incident_mcp.errors import ConfigError
from tests.support.checkout import COMPANY_OS

TEMPLATE = COMPANY_OS / "company.config.yaml"


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "company.config.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_the_unmodified_company_os_template_loads_without_error(tmp_path: Path) -> None:
    path = tmp_path / "company.config.yaml"
    shutil.copy(TEMPLATE, path)
    loaded = load_config(path)
    assert loaded.config.company.name == ""
    assert loaded.config.incident_response.services == []
    assert loaded.warnings == ()


def test_unknown_sections_and_keys_are_ignored(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "company:\n  name: Acme\n  mascot: owl\nrocket_science:\n  x: 1\n"))
    assert loaded.config.company.name == "Acme"


def test_blank_values_and_numbers_become_text(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "company:\n  name:\ntech_stack:\n  runtime: 3.12\n"))
    assert loaded.config.company.name == ""
    assert loaded.config.tech_stack.runtime == "3.12"


def test_a_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "company:\n  name: Acme\n  product: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert info.value.line is not None and info.value.line >= 3


def test_a_wrong_type_names_the_field_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "company:\n  name: Acme\nincident_response:\n  services:\n    - name: api\n"
                           "      url: https://api.example.com\n      critical: maybe\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == "incident_response.services[0].critical"
    assert info.value.line == 7
    assert f"{path}:7" in str(info.value)


def test_a_duplicate_service_name_is_reported_at_the_second_one(tmp_path: Path) -> None:
    path = write(tmp_path, "incident_response:\n  services:\n    - name: api\n      url: https://a.example\n"
                           "    - name: api\n      url: https://b.example\n")
    with pytest.raises(ConfigError, match="duplicate service name 'api'") as info:
        load_config(path)
    assert info.value.line == 5
    assert info.value.field == "incident_response.services[1].name"


def test_a_typo_in_our_own_section_is_an_error_not_silence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'servces'"):
        load_config(write(tmp_path, "incident_response:\n  servces: []\n"))


@pytest.mark.parametrize(("content", "message"), [
    ("- a\n- b\n", "top level is a list"),
    ("", "empty"),
    (b"\x00\x01binary\x00", "binary"),
    (b"company:\n  name: \xff\xfe\n", "not UTF-8"),
    ("company:\n  name: " + "[" * 3000 + "]" * 3000 + "\n", "company.name|nesting depth"),
], ids=["list", "empty", "binary", "latin1", "deep-nesting"])
def test_malformed_configs_give_one_clear_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, content))


def test_a_ten_megabyte_config_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "company:\n  name: Acme\n" + "# padding\n" * 1_100_000)
    with pytest.raises(ConfigError, match="limit"):
        load_config(path)


def test_a_missing_config_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "company.config.yaml")


@pytest.mark.parametrize(("raw", "key"), [("Fly.io", "fly"), ("fly", "fly"), ("flyio", "fly"), ("FLY IO", "fly")])
def test_free_text_hosting_names_normalise_to_one_key(tmp_path: Path, raw: str, key: str) -> None:
    loaded = load_config(write(tmp_path, f"tech_stack:\n  hosting: \"{raw}\"\n"))
    assert provider_refs(loaded.config)["hosting"].key == key


def test_aws_ecs_and_postgres_are_recognised(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "tech_stack:\n  hosting: AWS (ECS)\n  database: Postgres\n"))
    refs = provider_refs(loaded.config)
    assert refs["hosting"].key is not None and "ecs" in refs["hosting"].key
    assert refs["database"].key == "postgresql"


def test_an_unknown_provider_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "tech_stack:\n  hosting: My Raspberry Pi\n"))
    assert any("tech_stack.hosting" in w and "generic" in w for w in loaded.warnings)
    assert provider_refs(loaded.config)["hosting"].key is None


def test_an_alias_bomb_even_in_an_ignored_section_is_refused_at_once_naming_the_line(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join('*' + chr(97 + i) for _ in range(9))}]\n" for i in range(8))
    with pytest.raises(ConfigError, match=r"company\.config\.yaml:3: YAML refused: anchors and aliases expand "
                                          r"the value of 'laughs'"):
        load_config(write(tmp_path, "company:\n  name: Acme\nlaughs:\n" + "\n".join(
            "  " + line for line in bomb.splitlines()) + "\n"))


def test_a_vague_provider_name_warns_with_the_options_instead_of_guessing(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "tech_stack:\n  hosting: AWS\n"))
    assert any("tech_stack.hosting" in w and "could mean" in w for w in loaded.warnings)


def test_none_like_values_count_as_not_configured(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "tech_stack:\n  orm: nil\n  cache: none\n"))
    assert loaded.warnings == ()


DETECT_PUBLISH = """\
company: {name: Acme}
incident_response:
  services:
    - {name: api, url: "https://api.example.com/health", critical: true, display_name: Acme API}
    - {name: worker, url: "https://w.example.com/health", public: false}
  watch: {interval: 30, open_after: 2}
  maintenance:
    - services: [api]
      start: 2026-03-01T02:00:00Z
      end: "2026-03-01T04:00:00+01:00"
      reason: database upgrade
  slo:
    api: {target: 99.9}
"""


def test_watch_maintenance_slo_and_public_names_load_with_their_defaults(tmp_path: Path) -> None:
    ours = load_config(write(tmp_path, DETECT_PUBLISH)).config.incident_response
    assert (ours.watch.interval, ours.watch.open_after, ours.watch.recover_after) == (30, 2, 2)
    assert (ours.watch.resolve_after_minutes, ours.watch.auto_resolve) == (30, True)
    assert [s.public_name for s in ours.services] == ["Acme API", "worker"]
    assert [s.public for s in ours.services] == [True, False]
    assert ours.slo["api"].target == 99.9 and ours.slo["api"].window_days == 30
    assert ours.status_page.out == "status-site"
    window = ours.maintenance[0]
    assert window.end - window.start == dt.timedelta(hours=1)  # the +01:00 end is 03:00 UTC
    assert ours.under_maintenance("api", dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)) is window
    assert ours.under_maintenance("api", dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)) is None
    assert ours.under_maintenance("worker", dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)) is None


@pytest.mark.parametrize(("old", "new", "where"), [
    ("services: [api]", "services: [apx]", ":8 (incident_response.maintenance[0].services): unknown service 'apx'"),
    ("    api: {target: 99.9}", "    apo: {target: 99.9}", ":13 (incident_response.slo.apo): unknown service 'apo'"),
    ('end: "2026-03-01T04:00:00+01:00"', "end: 2026-03-01T01:00:00Z",
     "(incident_response.maintenance[0]): end must be after start"),
    ("start: 2026-03-01T02:00:00Z", "start: next tuesday", "is not an ISO 8601 time"),
    ("open_after: 2", "open_after: 0", "(incident_response.watch.open_after)"),
])
def test_a_wrong_watch_maintenance_or_slo_entry_names_its_line_and_field(
        tmp_path: Path, old: str, new: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, DETECT_PUBLISH.replace(old, new)))
    assert where in str(caught.value)
