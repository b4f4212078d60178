"""What changed before it broke: a fixture git repository with planted commits, deploys, a config change and a
promotion; the planted bad deploy ranks first with the rollback command for the configured host.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from incident_mcp import changes, incidents
from incident_mcp.changes.git import commits_between
from incident_mcp.errors import ArtifactNotFoundError, LearnError
from incident_mcp.server import build_server
from incident_mcp.workspace import Workspace
from tests.support.git_fixtures import commit, fast_import, init_repo
from tests.support.mcp_client import first_text

DETECTED = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
NOW = DETECTED + dt.timedelta(minutes=1)
FLY_BACK_TO_V41 = "fly deploy --app brightdesk-web --image registry.fly.io/brightdesk-web:deployment-v41"


def _at(hh: int, mm: int) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hh, mm, tzinfo=dt.UTC)


class Planted:
    """The shas and deploy ids planted in the fixture repository."""

    def __init__(self, ws: Workspace) -> None:
        root = ws.root
        init_repo(root, dt.datetime(2026, 2, 20, tzinfo=dt.UTC))
        self.feature = commit(root, "Add billing retries", _at(0, 30), {"src/billing.py": "retries = 3\n"},
                              author="Alex Kim")
        config = (root / "company.config.yaml").read_text(encoding="utf-8") + "# api timeout raised\n"
        self.config = commit(root, "Raise the api timeout", _at(1, 0), {"company.config.yaml": config})
        self.typo = commit(root, "Fix a typo", _at(1, 40), {"README.md": "Brightdesk\n"})
        self.v41 = changes.record_deploy(ws, service="api", version="v41", at="2026-02-27T12:00:00Z", now=NOW)
        self.web = changes.record_deploy(ws, service="web", version="w7", at="2026-03-01T01:30:00Z", now=NOW)
        self.bad = changes.record_deploy(ws, service="api", version="v42", sha=self.feature,
                                         at="2026-03-01T01:45:00Z", note="billing retries", now=NOW, by="ci")
        log = root / "artifacts" / ".audit-log" / "promotions.log"
        with log.open("a", encoding="utf-8") as handle:
            handle.write("[2026-03-01T01:10:00Z] artifacts/rfcs/RFC-002-auth-sessions.md: review → approved\n")
            handle.write("[2026-02-01T01:10:00Z] artifacts/rfcs/RFC-001-billing-stripe.md: draft → review\n")


@pytest.fixture
def ws(example_ws: Path) -> Workspace:
    return Workspace.at(example_ws)


@pytest.fixture
def planted(ws: Workspace) -> Planted:
    return Planted(ws)


def test_the_planted_bad_deploy_ranks_first_with_the_fly_command_back_to_the_version_before(
        ws: Workspace, planted: Planted) -> None:
    found = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", services=["api"], now=NOW)
    first = found.changes[0]
    assert (first.kind, first.id, first.before, first.who) == ("deploy", planted.bad.id, "15 min", "ci")
    assert first.rollback == FLY_BACK_TO_V41 and first.rollback_to == f"v41 ({planted.v41.id})"
    assert "affected service" in first.correlation
    order = [(c.kind, c.id) for c in found.changes]
    assert order == [("deploy", planted.bad.id), ("config", planted.config[:12]), ("deploy", planted.web.id),
                     ("commit", planted.typo[:12]), ("commit", planted.feature[:12]), ("promotion", "RFC-002")]
    feature = found.changes[4]
    assert feature.who == "Alex Kim" and feature.files == ["src/billing.py"]
    assert feature.correlation == f"commit 1 h 30 min before detection; shipped by {planted.bad.id}"
    assert found.total == 6 and found.notes == []


def test_the_rollback_command_follows_the_configured_host(ws: Workspace, planted: Planted) -> None:
    config = ws.config_path.read_text(encoding="utf-8").replace('hosting: "Fly.io"', 'hosting: "Heroku"')
    ws.config_path.write_text(config, encoding="utf-8")
    first = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", services=["api"], now=NOW).changes[0]
    assert first.rollback == "heroku releases:rollback v41 -a brightdesk-web"


def test_an_incident_supplies_detection_time_and_affected_services(ws: Workspace, planted: Planted) -> None:
    opened = incidents.open_incident(ws, title="Web is down", severity="P1", services=["web"],
                                     detected_at=DETECTED, now=NOW)
    found = changes.recent_changes(ws, incident_id=opened.id, limit=2, now=NOW)
    assert (found.incident_id, found.services) == (opened.id, ["web"])
    assert [c.id for c in found.changes] == [planted.web.id, planted.bad.id] or \
        [c.id for c in found.changes] == [planted.web.id, planted.config[:12]]
    assert found.changes[1].kind == "config" and found.total == 6


def test_open_incident_returns_the_top_three_and_get_incident_only_points_to_them(
        ws: Workspace, planted: Planted) -> None:
    async def flow() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], str]:
        async with Client(build_server(str(ws.root))) as client:
            opened = await client.call_tool("open_incident", {
                "title": "API 500s", "severity": "P1", "services": ["api"], "detected_at": "2026-03-01T02:00:00Z"})
            view = await client.call_tool("get_incident", {"incident_id": "INC-001"})
            listed = await client.call_tool("recent_changes", {"incident_id": "INC-001", "limit": 1})
            blamed = await client.call_tool("update_incident", {"incident_id": "INC-001",
                                                                "caused_by": planted.bad.id})
            unknown = await client.call_tool("update_incident", {"incident_id": "INC-001",
                                                                 "caused_by": "dep-20260301-000000-abcdef"})
            for result in (opened, view, listed, blamed):
                assert not result.is_error, result.content
            assert unknown.is_error
            return (opened.structured_content or {}, view.structured_content or {},
                    listed.structured_content or {}, blamed.structured_content or {},
                    first_text(unknown))

    opened, view, listed, _blamed, unknown = anyio.run(flow)
    assert [c["id"] for c in opened["recent_changes"]] == [planted.bad.id, planted.config[:12], planted.web.id]
    assert opened["recent_changes"][0]["rollback"] == FLY_BACK_TO_V41
    assert "6 changes" in opened["recent_changes_hint"]
    assert "recent_changes(incident_id=\"INC-001\")" in view["recent_changes"] and "6 change" in view["recent_changes"]
    assert listed["changes"][0]["id"] == planted.bad.id and listed["total"] == 6
    assert "no deploy 'dep-20260301-000000-abcdef'" in unknown
    text = next((ws.root / "artifacts" / "decision-memos").glob("INC-001-*.md")).read_text(encoding="utf-8")
    block = re.search(r"begin recent-changes.*?end recent-changes", text, re.DOTALL)
    assert block is not None and planted.bad.id in block.group(0) and FLY_BACK_TO_V41 in block.group(0)
    assert f"caused_by: {planted.bad.id}" in text
    # a later update regenerates the record's blocks and keeps ours
    incidents.update_incident(ws, "INC-001", event="acknowledged", now=NOW + dt.timedelta(minutes=1))
    again = next((ws.root / "artifacts" / "decision-memos").glob("INC-001-*.md")).read_text(encoding="utf-8")
    assert block.group(0) in again


def test_caused_by_takes_a_deploy_id_or_a_commit_and_refuses_the_rest(ws: Workspace, planted: Planted) -> None:
    opened = incidents.open_incident(ws, title="API 500s", severity="P1", services=["api"],
                                     detected_at=DETECTED, now=NOW)
    incidents.update_incident(ws, opened.id, caused_by=planted.feature[:8], now=NOW)
    assert incidents.read_incident(ws, opened.id).record.caused_by == planted.feature
    incidents.record_postmortem(ws, opened.id, caused_by=planted.bad.id)
    assert incidents.read_incident(ws, opened.id).record.caused_by == planted.bad.id
    with pytest.raises(LearnError, match="no commit 'deadbeef'"):
        incidents.update_incident(ws, opened.id, caused_by="deadbeef", now=NOW)
    with pytest.raises(LearnError, match=r"neither a deploy id .* nor a commit sha"):
        incidents.record_postmortem(ws, opened.id, caused_by="the intern")


def test_without_git_history_deploys_still_rank_and_a_note_says_why(ws: Workspace) -> None:
    changes.record_deploy(ws, service="api", version="v1", at="2026-03-01T01:00:00Z", now=NOW)
    found = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", now=NOW)
    assert [c.kind for c in found.changes] == ["deploy"]
    assert found.notes == ["not a git repository: commits are not included"]
    with pytest.raises(LearnError, match="not a git repository"):
        changes.resolve_cause(ws, "abcdef12")


def test_git_missing_from_path_is_a_note_not_a_failure(ws: Workspace, planted: Planted, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    found = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", services=["api"], now=NOW)
    assert found.changes[0].id == planted.bad.id
    assert any("git is not installed" in note for note in found.notes)


def test_a_huge_history_is_read_within_the_commit_cap_and_the_timeout(ws: Workspace) -> None:
    init_repo(ws.root, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    fast_import(ws.root, (_at(0, 0) + dt.timedelta(seconds=10 * i) for i in range(400)))
    found = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", limit=5, now=NOW)
    assert len(found.changes) == 5 and found.changes[0].what == "change 400" and found.total == 400
    assert found.notes == []
    capped = changes.recent_changes(ws, at="2026-03-01T02:00:00Z", limit=5, max_commits=50, now=NOW)
    assert capped.total == 50 and capped.changes[0].what == "change 400"
    assert capped.notes == ["more than 50 commits in the window: only the newest 50 are counted"]
    slow = commits_between(ws.root, _at(0, 0), _at(2, 0), limit=5, timeout=0.000001)
    assert slow.commits == [] and slow.note is not None and "gave up" in slow.note


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"at": "last tuesday"}, "at: 'last tuesday' is not an ISO 8601 time"),
    ({"window_hours": -1}, "window_hours must be more than 0"),
    ({"window_hours": 0}, "window_hours must be more than 0"),
    ({"limit": 0}, "limit must be between 1 and 100"),
    ({"incident_id": "INC-001", "at": "2026-03-01T02:00:00Z"}, "either an incident id or a time"),
])
def test_bad_arguments_are_refused_with_what_is_accepted(ws: Workspace, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(LearnError, match=re.escape(message)):
        changes.recent_changes(ws, now=NOW, **kwargs)


def test_an_unknown_incident_is_refused(ws: Workspace) -> None:
    with pytest.raises(ArtifactNotFoundError, match="no incident INC-042"):
        changes.recent_changes(ws, incident_id="INC-042", now=NOW)


def test_the_changes_and_deploy_commands_as_subprocesses(ws: Workspace, planted: Planted,
                                                         run_cli: Callable[..., Any]) -> None:
    where = ("--workspace", str(ws.root))
    text = run_cli("changes", "--at", "2026-03-01T02:00:00Z", "--window-hours", "3", *where)
    assert text.returncode == 0, text.stderr
    assert f"[deploy] {planted.bad.id}" in text.stdout and f"$ {FLY_BACK_TO_V41}" in text.stdout
    logged = run_cli("deploy", "record", "--service", "api", "--version", "v43", "--json", *where)
    assert logged.returncode == 0, logged.stderr
    assert json.loads(logged.stdout)["version"] == "v43"
    for args, message in ((("changes", "INC-042"), "no incident INC-042"),
                          (("changes", "--at", "soon"), "is not an ISO 8601 time"),
                          (("changes", "--at", "2026-03-01T02:00:00Z", "--window-hours", "-5"), "window_hours"),
                          (("deploy", "record", "--service", "billing"), "not a configured service"),
                          (("deploy", "record", "--version", "v1; rm -rf /"), "--version"),
                          (("deploy", "record", "--at", "2099-01-01T00:00:00Z"), "in the future")):
        bad = run_cli(*args, *where)
        assert bad.returncode == 2 and message in bad.stderr and bad.stderr.count("\n") == 1, (args, bad.stderr)


def test_a_record_opened_without_the_hook_gets_no_pointer(ws: Workspace) -> None:
    opened = incidents.open_incident(ws, title="Quiet", severity="P3", detected_at=DETECTED, now=NOW)
    view = changes.changes_hint(ws, incidents.get_incident(ws, opened.id, now=NOW))
    assert view.recent_changes is None and "recent_changes" not in view.model_dump(mode="json")


def test_the_cli_opening_lists_the_likely_causes(ws: Workspace, planted: Planted,
                                                 run_cli: Callable[..., Any]) -> None:
    done = run_cli("incident", "open", "--title", "API 500s", "--severity", "P1", "--service", "api",
                   "--detected", "2026-03-01T02:00:00Z", "--workspace", str(ws.root))
    assert done.returncode == 0, done.stderr
    assert "Recent changes, most likely cause first:" in done.stdout
    assert f"1. [deploy] {planted.bad.id} api v42: billing retries (15 min before)" in done.stdout


def test_the_learn_tools_have_short_descriptions_whose_example_uses_real_arguments() -> None:
    async def listing() -> list[Any]:
        async with Client(build_server(None, read_only=True)) as client:
            return [t for t in (await client.list_tools()).tools if t.name in ("recent_changes", "incident_metrics")]

    tools = anyio.run(listing)
    assert len(tools) == 2  # both read-only, so both offered by a read-only server
    for tool in tools:
        assert tool.description is not None and len(tool.description) <= 1200
        call = re.search(rf"Example: {tool.name}\(([^)]*)\)", tool.description)
        assert call is not None, tool.name
        used = set(re.findall(r"(\w+)=", call.group(1)))
        assert used and used <= set(tool.input_schema["properties"]), (tool.name, used)
        assert tool.annotations is not None and tool.annotations.read_only_hint and tool.annotations.idempotent_hint
