"""Regeneration keeps human edits (outside text byte for byte, edited blocks unless forced); dry runs write nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from incident_mcp.blocks import BlockError, find_blocks
from incident_mcp.errors import ArtifactError, ConfigError, PathEscapeError, TemplateError
from incident_mcp.render import OVERRIDE_DIR
from incident_mcp.runbook import POSTMORTEM_PATH, RUNBOOK_PATH, generate_runbook
from incident_mcp.workspace import Workspace
from tests.support.checkout import stack_workspace


def make_ws(tmp_path: Path, stack: str = "fly-django") -> Workspace:
    return Workspace.at(stack_workspace(tmp_path / "ws", stack))


def set_config(ws: Workspace, path: str, value: object) -> None:
    data = yaml.safe_load(ws.config_path.read_text())
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    ws.config_path.write_text(yaml.safe_dump(data, sort_keys=False))


def outside_blocks(text: str) -> str:
    """The text with every managed block cut out (what belongs to the human)."""
    out, last = [], 0
    for block in find_blocks(text):
        out.append(text[last:block.start])
        last = block.end
    out.append(text[last:])
    return "\x00".join(out)


def block(text: str, name: str) -> str:
    return next(b.content for b in find_blocks(text) if b.name == name)


def test_human_text_outside_blocks_survives_three_regenerations_byte_for_byte(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    text = path.read_text()
    human_top = "Owner: me — 早上好 ✓\r\nRead this first.\n\n"
    human_middle = "\n> My own note between blocks, with `code` and a trailing space \n"
    human_end = "\nPhone of my accountant: +1 555 0100 <!-- not a marker -->"
    severity_end = text.index("<!-- incident-mcp:end severity -->") + len("<!-- incident-mcp:end severity -->")
    text = human_top + text[:severity_end] + human_middle + text[severity_end:] + human_end
    path.write_bytes(text.encode())
    expected_outside = outside_blocks(text)
    hosts = ["Heroku", "Railway", "Vercel"]
    for round_number, host in enumerate(hosts, start=1):
        set_config(ws, "tech_stack.hosting", host)
        set_config(ws, "company.name", f"Tallyho {round_number}")
        result = generate_runbook(ws)
        runbook = result.files[0]
        assert runbook.action == "updated"
        assert "rollback-deployment" in runbook.blocks_updated
        assert runbook.blocks_kept_edited == []
        new_text = path.read_bytes().decode()
        assert outside_blocks(new_text) == expected_outside
        assert new_text.startswith(human_top)
        assert new_text.endswith(human_end)
        assert f"Deployment Rollback: {host}" in new_text
        assert f"# Incident Runbook: Tallyho {round_number}" in new_text


def test_a_block_a_human_edited_is_kept_and_reported_and_force_replaces_it(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    original = path.read_text()
    mine = block(original, "triage").replace("Acknowledge within 30 minutes.",
                                             "Acknowledge within 10 minutes (my rule).")
    edited = original.replace(block(original, "triage"), mine)
    edited = edited.replace("## Your Notes", "## Your Notes\n\nKept by hand.")
    path.write_text(edited)
    set_config(ws, "incident_response.services", [{"name": "app", "url": "https://new.tallyho.example/healthz",
                                                  "critical": True}])

    result = generate_runbook(ws)
    change = result.files[0]
    assert change.blocks_kept_edited == ["triage"]
    assert "services" in change.blocks_updated
    text = path.read_text()
    assert block(text, "triage") == mine
    assert "https://new.tallyho.example/healthz" in block(text, "services")
    assert "Kept by hand." in text

    again = generate_runbook(ws)
    assert again.files[0].action == "unchanged"
    assert again.files[0].blocks_kept_edited == ["triage"]

    forced = generate_runbook(ws, force=True)
    assert forced.files[0].blocks_updated == ["triage"]
    text = path.read_text()
    assert "Acknowledge within 30 minutes." in block(text, "triage")
    assert "https://new.tallyho.example/healthz" in block(text, "triage")
    assert "Kept by hand." in text
    assert outside_blocks(text) == outside_blocks(edited)


def test_a_second_run_with_the_same_inputs_changes_nothing(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    first = generate_runbook(ws)
    assert [f.action for f in first.files] == ["created", "created"]
    snapshot = {rel: (ws.root / rel).read_bytes() for rel in (RUNBOOK_PATH, POSTMORTEM_PATH)}
    inodes = {rel: (ws.root / rel).stat().st_ino for rel in snapshot}
    second = generate_runbook(ws)
    assert [f.action for f in second.files] == ["unchanged", "unchanged"]
    assert all(not (f.blocks_updated or f.blocks_added or f.blocks_kept_edited) for f in second.files)
    for rel, data in snapshot.items():
        assert (ws.root / rel).read_bytes() == data
        assert (ws.root / rel).stat().st_ino == inodes[rel]  # not even rewritten with the same bytes


def test_a_dry_run_on_a_fresh_workspace_writes_nothing_and_returns_text_and_diff(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    result = generate_runbook(ws, dry_run=True)
    assert sorted(p.name for p in ws.root.iterdir()) == ["company.config.yaml"]
    assert result.dry_run
    assert [f.action for f in result.files] == ["created", "created"]
    for change in result.files:
        assert change.text and change.diff
        assert change.diff.startswith(f"--- /dev/null\n+++ b/{change.path}\n")
        assert all(line.startswith(("+", "@", "-", "\\")) for line in change.diff.splitlines())
    real = generate_runbook(ws)
    assert [f.text for f in real.files] == [None, None]
    assert (ws.root / RUNBOOK_PATH).read_text() == result.files[0].text


def test_a_dry_run_diff_applies_to_the_file_on_disk(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    before = path.read_bytes()
    set_config(ws, "tech_stack.orm", "Alembic")
    result = generate_runbook(ws, dry_run=True)
    assert path.read_bytes() == before
    change = result.files[0]
    assert change.action == "updated"
    assert change.blocks_updated == ["at-a-glance", "rollback-database"]
    assert change.diff is not None and change.diff.startswith(f"--- a/{RUNBOOK_PATH}\n+++ b/{RUNBOOK_PATH}\n")
    assert "+  alembic downgrade -1" in change.diff
    assert re.search(r"^-  python manage.py migrate", change.diff, flags=re.M)
    unchanged = result.files[1]
    assert unchanged.action == "unchanged" and unchanged.diff == ""
    if shutil.which("patch"):
        subprocess.run(["patch", "-s", "-p1", "-d", str(ws.root)], input=change.diff.encode(), check=True)
        assert path.read_text() == change.text


def test_a_block_a_human_deleted_whole_is_added_back_after_its_predecessor(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    text = path.read_text()
    dns = next(b for b in find_blocks(text) if b.name == "dns-failover")
    path.write_text(text[:dns.start] + text[dns.end:])
    result = generate_runbook(ws)
    assert result.files[0].blocks_added == ["dns-failover"]
    names = [b.name for b in find_blocks(path.read_text())]
    assert names.index("dns-failover") == names.index("feature-flags") + 1


def test_an_existing_runbook_without_blocks_is_kept_and_the_sections_appended(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    path = ws.root / RUNBOOK_PATH
    path.parent.mkdir(parents=True)
    mine = "# Our runbook\n\nCall the host first.\n"
    path.write_text(mine)
    result = generate_runbook(ws)
    text = path.read_text()
    assert text.startswith(mine)
    assert result.files[0].action == "updated"
    assert "title" in result.files[0].blocks_added
    assert any("had no incident-mcp blocks" in w for w in result.warnings)


def test_broken_markers_stop_the_run_and_nothing_is_written(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    runbook, postmortem = ws.root / RUNBOOK_PATH, ws.root / POSTMORTEM_PATH
    broken = runbook.read_text().replace("<!-- incident-mcp:end triage -->", "", 1)
    runbook.write_text(broken)
    postmortem.write_text(postmortem.read_text().replace("## Lessons Learned", "## Lessons"))
    pm_before = postmortem.read_bytes()
    set_config(ws, "tech_stack.hosting", "Heroku")
    with pytest.raises(BlockError, match=rf"{RUNBOOK_PATH}: .*triage"):
        generate_runbook(ws)
    assert runbook.read_text() == broken
    assert postmortem.read_bytes() == pm_before


def test_an_existing_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    path = ws.root / POSTMORTEM_PATH
    path.parent.mkdir(parents=True)
    path.write_bytes(b"# notes\n\xff\xfe\n")
    with pytest.raises(ArtifactError, match=rf"{POSTMORTEM_PATH} is not UTF-8"):
        generate_runbook(ws)
    assert not (ws.root / RUNBOOK_PATH).exists()
    assert path.read_bytes() == b"# notes\n\xff\xfe\n"


def test_a_folder_in_place_of_the_runbook_is_a_clear_error(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    (ws.root / RUNBOOK_PATH).mkdir(parents=True)
    with pytest.raises(ArtifactError, match="is not a file"):
        generate_runbook(ws)


def test_a_standards_folder_linking_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws.root / "standards").symlink_to(outside)
    with pytest.raises(PathEscapeError):
        generate_runbook(ws)
    assert list(outside.iterdir()) == []


def test_a_bad_config_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    ws.config_path.write_text("incident_response:\n  services:\n    - name: x\n      url: ftp://nope\n")
    with pytest.raises(ConfigError, match="url"):
        generate_runbook(ws)
    assert not (ws.root / "standards").exists()


def test_a_broken_override_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    before = (ws.root / RUNBOOK_PATH).read_bytes()
    override = ws.root / OVERRIDE_DIR / "runbook" / "triage.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("## Triage\n\n1. {{ stauts_check }}\n")
    set_config(ws, "tech_stack.hosting", "Heroku")
    with pytest.raises(TemplateError, match=r"'runbook/triage\.md\.j2' \(workspace override .*\), line 3"):
        generate_runbook(ws)
    assert (ws.root / RUNBOOK_PATH).read_bytes() == before


def test_a_working_override_changes_only_its_block(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    override = ws.root / OVERRIDE_DIR / "runbook" / "severity.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("## Severity Classification\n\nOur own table for {{ company.display_name }}.\n")
    result = generate_runbook(ws)
    assert result.files[0].blocks_updated == ["severity"]
    assert "Our own table for Tallyho." in (ws.root / RUNBOOK_PATH).read_text()


def test_hostile_config_text_cannot_break_the_blocks(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    set_config(ws, "company.name", "Evil <!-- incident-mcp:end title -->\n<!-- incident-mcp:begin x -->\n| pipe")
    set_config(ws, "incident_response.support_contact", "<!-- incident-mcp:end communication -->")
    generate_runbook(ws)
    text = (ws.root / RUNBOOK_PATH).read_text()
    names = [b.name for b in find_blocks(text)]
    assert "x" not in names and len(names) == len(set(names)) == 15
    assert [f.action for f in generate_runbook(ws).files] == ["unchanged", "unchanged"]


def test_concurrent_generations_leave_consistent_files(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            generate_runbook(ws)
        except BaseException as err:  # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [f.action for f in generate_runbook(ws).files] == ["unchanged", "unchanged"]
    assert len(find_blocks((ws.root / RUNBOOK_PATH).read_text())) == 15


def test_a_runbook_an_editor_converted_to_crlf_still_regenerates_and_stays_crlf(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    generate_runbook(ws)
    path = ws.root / RUNBOOK_PATH
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert [f.action for f in generate_runbook(ws).files] == ["unchanged", "unchanged"]
    set_config(ws, "tech_stack.hosting", "Heroku")
    change = generate_runbook(ws).files[0]
    assert change.blocks_kept_edited == [] and "rollback-deployment" in change.blocks_updated
    data = path.read_bytes()
    assert b"heroku releases:rollback" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_the_creation_date_is_written_once_and_later_days_change_nothing(tmp_path: Path) -> None:
    import datetime as dt

    ws = make_ws(tmp_path)
    generate_runbook(ws, now=dt.datetime(2030, 1, 2, 3, 4, tzinfo=dt.UTC))
    before = (ws.root / RUNBOOK_PATH).read_bytes()
    assert b"first generated 2030-01-02" in before
    later = generate_runbook(ws, now=dt.datetime(2031, 6, 7, tzinfo=dt.UTC))
    assert [f.action for f in later.files] == ["unchanged", "unchanged"]
    assert (ws.root / RUNBOOK_PATH).read_bytes() == before
