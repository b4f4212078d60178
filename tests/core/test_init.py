"""``incident-mcp init``: config section appended without disturbing the file, skill and scripts installed,
idempotent, and a file the user changed is never overwritten without --force."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from incident_mcp.config import load_config
from incident_mcp.errors import ConfigError, IncidentMCPError, PathEscapeError, WorkspaceError
from incident_mcp.installer import BUNDLED_FILES, InitResult, run_init, section_text
from incident_mcp.workspace import Workspace
from tests.support.checkout import FIXTURES, cli_env

SKILL = "---\nname: incident-response\ndescription: test skill\n---\n\n# Incident response\n"
STATUS = "#!/usr/bin/env bash\n# status-check v1\nexit 0\n"
VALIDATE = "#!/usr/bin/env bash\n# validate v1\nexit 0\n"
SKILL_PATH = ".claude/skills/incident-response/SKILL.md"

# Runs the real CLI with the installer pointed at a test bundle (argv[1]); the rest of argv is the command.
CLI_WITH_BUNDLE = """
import sys
from pathlib import Path
import incident_mcp.installer as installer
bundle = Path(sys.argv[1])
installer.default_bundle = lambda: bundle
from incident_mcp.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def make_bundle(root: Path, skill: str = SKILL, status: str = STATUS, validate: str = VALIDATE) -> Path:
    """A stand-in for the packaged files (SKILL.md and the two scripts)."""
    (root / "tools" / "ops").mkdir(parents=True, exist_ok=True)
    (root / "tools" / "artifact").mkdir(parents=True, exist_ok=True)
    (root / "SKILL.md").write_text(skill)
    (root / "tools" / "ops" / "status-check.sh").write_text(status)
    (root / "tools" / "artifact" / "validate.sh").write_text(validate)
    return root


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_bundle(tmp_path / "bundle")


@pytest.fixture
def ws(company_os_ws: Path) -> Workspace:
    return Workspace.at(company_os_ws)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under root: bytes, mode and mtime (so 'nothing changed' means nothing was even rewritten)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            info = path.stat()
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), info.st_mode, info.st_mtime_ns)
    return out


def set_domain(ws: Workspace, domain: str) -> None:
    text = ws.config_path.read_text()
    ws.config_path.write_text(text.replace('  domain: ""  ', f'  domain: "{domain}"', 1))


# ---- the config section ------------------------------------------------------------------------------------


def test_the_section_is_appended_and_every_existing_byte_comment_and_key_order_is_kept(
        ws: Workspace, bundle: Path) -> None:
    before = ws.config_path.read_bytes()
    result = run_init(ws, bundle=bundle)
    after = ws.config_path.read_bytes()
    assert result.config == "added"
    assert after.startswith(before)
    assert after.count(b"\nincident_response:\n") == 1
    loaded = load_config(ws.config_path)
    assert loaded.config.incident_response.services == []
    assert loaded.config.incident_response.timezone == "UTC"
    assert loaded.config.company.name == ""


def test_with_a_domain_the_example_service_is_the_companys_own_site(ws: Workspace, bundle: Path) -> None:
    set_domain(ws, "https://www.acme.io/")
    run_init(ws, bundle=bundle)
    services = load_config(ws.config_path).config.incident_response.services
    assert [(s.name, s.url, s.critical) for s in services] == [("web", "https://www.acme.io/", True)]
    assert "#   url: https://api.acme.io/health" in ws.config_path.read_text()


@pytest.mark.parametrize("domain", ["not a domain", "acme.com\\n  evil: 1", "localhost", "-acme.com"])
def test_a_domain_that_is_not_a_host_name_gives_an_empty_service_list(ws: Workspace, bundle: Path,
                                                                      domain: str) -> None:
    set_domain(ws, domain)
    run_init(ws, bundle=bundle)
    assert load_config(ws.config_path).config.incident_response.services == []


@pytest.mark.parametrize("domain", ["acme.com", ""])
def test_every_commented_example_in_the_section_is_valid_once_uncommented(tmp_path: Path, domain: str) -> None:
    block = section_text(domain or None)
    uncommented = re.sub(r"(?m)^(\s*)# ((?:- )?[a-z_]+:.*|\s+[a-z_]+:.*)$", r"\1\2", block)
    uncommented = uncommented.replace("services: []", "services:")
    assert uncommented.count("# ") < block.count("# ")
    config = tmp_path / "company.config.yaml"
    config.write_text("company:\n  name: Acme\n" + uncommented)
    ours = load_config(config).config.incident_response
    assert {s.name for s in ours.services} == {"web", "api"}
    assert ours.deploy == {"app": "example-web"}
    assert ours.dns.failover_target == "maintenance.example.com"
    assert ours.status_page.provider == "Instatus"
    assert (ours.watch.open_after, [c.type for c in ours.notify]) == (3, ["slack", "ntfy"])
    assert ours.maintenance[0].services == ["web"] and ours.slo["web"].target == 99.9


def test_crlf_line_endings_are_kept_and_used_for_the_appended_block(ws: Workspace, bundle: Path) -> None:
    original = ws.config_path.read_bytes().replace(b"\n", b"\r\n")
    ws.config_path.write_bytes(original)
    run_init(ws, bundle=bundle)
    after = ws.config_path.read_bytes()
    assert after.startswith(original)
    assert b"\n" not in after.replace(b"\r\n", b"")
    load_config(ws.config_path)


def test_a_file_without_a_final_newline_gets_one_before_the_section(ws: Workspace, bundle: Path) -> None:
    ws.config_path.write_bytes(b"company:\n  name: Acme  # no newline at the end")
    run_init(ws, bundle=bundle)
    after = ws.config_path.read_bytes()
    assert after.startswith(b"company:\n  name: Acme  # no newline at the end\n")
    assert load_config(ws.config_path).config.company.name == "Acme"


@pytest.mark.parametrize("existing", ["incident_response:\n", "incident_response:\n  timezone: Europe/Lisbon\n",
                                      "incident_response: {}\n"])
def test_an_existing_section_is_left_exactly_as_it_is(ws: Workspace, bundle: Path, existing: str) -> None:
    ws.config_path.write_text(ws.config_path.read_text() + existing)
    before = ws.config_path.read_bytes()
    result = run_init(ws, bundle=bundle)
    assert result.config == "present"
    assert ws.config_path.read_bytes() == before


def test_a_commented_out_section_does_not_count_as_present(ws: Workspace, bundle: Path) -> None:
    ws.config_path.write_text(ws.config_path.read_text() + "# incident_response:\n#   services: []\n")
    assert run_init(ws, bundle=bundle).config == "added"
    load_config(ws.config_path)


def test_the_config_files_permissions_are_kept(ws: Workspace, bundle: Path) -> None:
    ws.config_path.chmod(0o600)
    run_init(ws, bundle=bundle)
    assert stat.S_IMODE(ws.config_path.stat().st_mode) == 0o600


# ---- errors leave everything as it was ---------------------------------------------------------------------


def test_a_workspace_without_company_config_is_a_clear_error_and_nothing_is_created(
        tmp_path: Path, bundle: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkspaceError, match=r"has no company\.config\.yaml.*Company OS"):
        run_init(Workspace.at(empty), bundle=bundle)
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize(("text", "message"), [
    ("company:\n  name: [unclosed\n", r"company\.config\.yaml:\d+: YAML syntax error"),
    ("- just\n- a list\n", "expected a mapping of sections"),
    ("company:\n  name: Acme\n...\n", "cannot append incident_response"),
    ("{company: {name: Acme}}", "cannot append incident_response"),
])
def test_a_config_that_cannot_take_the_section_is_reported_and_left_untouched(
        ws: Workspace, bundle: Path, text: str, message: str) -> None:
    ws.config_path.write_text(text)
    before = snapshot(ws.root)
    with pytest.raises(ConfigError, match=message):
        run_init(ws, bundle=bundle)
    assert snapshot(ws.root) == before


def test_a_missing_bundled_file_is_named_and_nothing_is_written(ws: Workspace, bundle: Path) -> None:
    (bundle / "tools" / "artifact" / "validate.sh").unlink()
    before = snapshot(ws.root)
    with pytest.raises(IncidentMCPError, match=r"bundled files are missing .*tools/artifact/validate\.sh"):
        run_init(ws, bundle=bundle)
    assert snapshot(ws.root) == before


def test_a_skills_folder_linked_outside_the_workspace_is_refused(ws: Workspace, bundle: Path,
                                                                   tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws.root / ".claude").symlink_to(outside, target_is_directory=True)
    before = ws.config_path.read_bytes()
    with pytest.raises(PathEscapeError):
        run_init(ws, bundle=bundle)
    assert list(outside.iterdir()) == []
    assert ws.config_path.read_bytes() == before


# ---- installed files -----------------------------------------------------------------------------------------


def test_the_skill_and_scripts_are_installed_and_the_scripts_are_executable(ws: Workspace, bundle: Path) -> None:
    result = run_init(ws, bundle=bundle)
    assert {f.path: f.action for f in result.files} == {item.target: "installed" for item in BUNDLED_FILES}
    assert (ws.root / SKILL_PATH).read_text() == SKILL
    for rel, text in (("tools/ops/status-check.sh", STATUS), ("tools/artifact/validate.sh", VALIDATE)):
        path = ws.root / rel
        assert path.read_text() == text
        assert os.access(path, os.X_OK)
    assert not os.access(ws.root / SKILL_PATH, os.X_OK)
    manifest = json.loads((ws.root / ".incident-mcp" / "installed.json").read_text())
    assert set(manifest["files"]) == {item.target for item in BUNDLED_FILES}
    assert all(re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]) for entry in manifest["files"].values())


def test_a_second_run_changes_nothing_at_all(ws: Workspace, bundle: Path) -> None:
    first = run_init(ws, bundle=bundle)
    assert first.changed
    before = snapshot(ws.root)
    second = run_init(ws, bundle=bundle)
    assert not second.changed
    assert second.config == "present"
    assert {f.action for f in second.files} == {"unchanged"}
    assert snapshot(ws.root) == before


def test_a_file_the_user_edited_is_kept_without_force_and_replaced_with_it_keeping_a_copy(
        ws: Workspace, bundle: Path) -> None:
    run_init(ws, bundle=bundle)
    skill = ws.root / SKILL_PATH
    skill.write_text(SKILL + "\nMy own notes.\n")
    kept = run_init(ws, bundle=bundle)
    outcome = {f.path: f for f in kept.files}[SKILL_PATH]
    assert outcome.action == "kept"
    assert "edited since incident-mcp installed it" in outcome.note
    assert "--force replaces it" in outcome.note
    assert skill.read_text().endswith("My own notes.\n")
    assert not kept.changed

    forced = run_init(ws, bundle=bundle, force=True)
    outcome = {f.path: f for f in forced.files}[SKILL_PATH]
    assert outcome.action == "replaced"
    assert skill.read_text() == SKILL
    assert outcome.backup is not None
    assert (ws.root / outcome.backup).read_text().endswith("My own notes.\n")
    assert run_init(ws, bundle=bundle).changed is False


def test_a_script_that_was_already_there_is_not_ours_and_is_kept(ws: Workspace, bundle: Path) -> None:
    theirs = ws.root / "tools" / "ops" / "status-check.sh"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"#!/bin/sh\n# Company OS's own status check\n\xff not even utf-8\n")
    result = run_init(ws, bundle=bundle)
    outcome = {f.path: f for f in result.files}["tools/ops/status-check.sh"]
    assert outcome.action == "kept"
    assert "was not installed by incident-mcp (Company OS's own script?" in outcome.note
    assert theirs.read_bytes().endswith(b"\xff not even utf-8\n")

    forced = run_init(ws, bundle=bundle, force=True)
    outcome = {f.path: f for f in forced.files}["tools/ops/status-check.sh"]
    assert outcome.action == "replaced"
    assert outcome.backup is not None
    assert (ws.root / outcome.backup).read_bytes().endswith(b"\xff not even utf-8\n")
    assert theirs.read_text() == STATUS


def test_an_unedited_file_from_an_older_version_is_updated(ws: Workspace, bundle: Path, tmp_path: Path) -> None:
    run_init(ws, bundle=bundle)
    newer = make_bundle(tmp_path / "newer", status=STATUS.replace("v1", "v2"))
    result = run_init(ws, bundle=newer)
    actions = {f.path: f.action for f in result.files}
    assert actions["tools/ops/status-check.sh"] == "updated"
    assert actions[SKILL_PATH] == "unchanged"
    assert "v2" in (ws.root / "tools" / "ops" / "status-check.sh").read_text()
    assert os.access(ws.root / "tools" / "ops" / "status-check.sh", os.X_OK)


def test_a_fresh_clone_without_the_manifest_adopts_identical_files(ws: Workspace, bundle: Path) -> None:
    run_init(ws, bundle=bundle)
    shutil.rmtree(ws.root / ".incident-mcp")  # git-ignored: a fresh clone has the files but no manifest
    result = run_init(ws, bundle=bundle)
    assert {f.action for f in result.files} == {"unchanged"}
    assert (ws.root / ".incident-mcp" / "installed.json").is_file()


def test_the_registration_line_names_the_absolute_workspace(ws: Workspace, bundle: Path) -> None:
    result = run_init(ws, bundle=bundle)
    assert result.register_command.startswith("claude mcp add incident-mcp -- ")
    assert result.register_command.endswith(f" serve --workspace {ws.root}")
    assert ws.root.is_absolute()


# ---- the CLI -----------------------------------------------------------------------------------------------


def run_cli_with(bundle: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI_WITH_BUNDLE, str(bundle), *args], capture_output=True,
                          text=True, env=cli_env(), cwd=cwd, timeout=60, check=False)


def test_the_cli_prints_what_it_did_and_the_claude_code_command(company_os_ws: Path, bundle: Path) -> None:
    done = run_cli_with(bundle, "init", "--workspace", str(company_os_ws))
    assert done.returncode == 0, done.stderr
    assert "added incident_response:" in done.stdout
    assert f"installed  {SKILL_PATH}" in done.stdout
    assert re.search(r"^  claude mcp add incident-mcp -- .* serve --workspace " + re.escape(str(company_os_ws))
                     + "$", done.stdout, re.M)
    again = run_cli_with(bundle, "init", cwd=company_os_ws)  # found from the cwd this time
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" in again.stdout


def test_the_cli_json_output_is_the_result_model(company_os_ws: Path, bundle: Path) -> None:
    done = run_cli_with(bundle, "init", "--workspace", str(company_os_ws), "--json")
    assert done.returncode == 0, done.stderr
    result = InitResult.model_validate_json(done.stdout)
    assert result.config == "added"
    assert result.changed


def test_the_cli_in_a_folder_without_config_fails_with_one_line(tmp_path: Path, bundle: Path) -> None:
    empty = tmp_path / "not-a-repo"
    empty.mkdir()
    done = run_cli_with(bundle, "init", "--workspace", str(empty))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "has no company.config.yaml" in done.stderr
    assert list(empty.iterdir()) == []


def test_the_fixture_config_is_the_unmodified_company_os_template() -> None:
    """Guards the premise of the byte-for-byte tests: the fixture is full of comments to lose."""
    text = (FIXTURES / "company-os" / "company.config.yaml").read_text()
    assert text.count("#") > 100
    assert "incident_response" not in text


def test_the_cli_says_which_files_it_kept_instead_of_nothing_to_do(company_os_ws: Path, bundle: Path) -> None:
    assert run_cli_with(bundle, "init", "--workspace", str(company_os_ws)).returncode == 0
    (company_os_ws / SKILL_PATH).write_text("mine\n")
    done = run_cli_with(bundle, "init", "--workspace", str(company_os_ws))
    assert done.returncode == 0, done.stderr
    assert f"kept       {SKILL_PATH}" in done.stdout
    assert "1 file(s) kept" in done.stdout
    assert "Nothing to do" not in done.stdout
