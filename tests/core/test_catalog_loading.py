"""The provider catalog's loading: a copy loads like the packaged one; malformed files are refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from incident_mcp.catalog import CATALOG_DIR, CatalogError, load_catalog, load_catalog_from


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


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
