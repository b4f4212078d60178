"""The deploy log: one JSON line per deploy, appends from many processes at once lose nothing, and a line torn
by a killed writer is skipped on reading and never spoils the next append.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from incident_mcp.changes import DEPLOY_LOG, read_deploys, record_deploy
from incident_mcp.changes.deploylog import DEPLOY_ID_RE
from incident_mcp.errors import LearnError
from incident_mcp.workspace import Workspace
from tests.support.checkout import REPO

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
WRITER = """
import sys
from incident_mcp.changes import record_deploy
from incident_mcp.workspace import Workspace
ws = Workspace.at(sys.argv[1])
for n in range(int(sys.argv[3])):
    record_deploy(ws, service="api", version=f"{sys.argv[2]}-{n}", configured_services=["api"])
"""


@pytest.fixture
def ws(example_ws: Path) -> Workspace:
    return Workspace.at(example_ws)


def test_a_deploy_is_one_json_line_with_an_id_and_only_the_fields_given(ws: Workspace) -> None:
    deploy = record_deploy(ws, service="api", version="v42", sha="ABCDEF1234", at="2026-03-01T11:59:00+01:00",
                           note="  billing\nretries ", configured_services=["api", "web"], now=NOW, by="ci")
    assert DEPLOY_ID_RE.match(deploy.id) and deploy.id.startswith("dep-20260301-105900-")
    line = (ws.root / DEPLOY_LOG).read_text(encoding="utf-8")
    assert json.loads(line) == {"id": deploy.id, "at": "2026-03-01T10:59:00Z", "service": "api", "version": "v42",
                                "sha": "abcdef1234", "note": "billing retries", "by": "ci"}
    assert line.count("\n") == 1 and line.endswith("\n")
    assert read_deploys(ws).deploys == [deploy]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"service": "billing"}, "--service 'billing' is not a configured service (incident_response.services: api, web)"),
    ({"at": "yesterday"}, "--at: 'yesterday' is not an ISO 8601 time"),
    ({"at": "2026-03-01T13:00:00Z"}, "is in the future"),
    ({"version": "v1 && curl evil"}, "--version 'v1 && curl evil' may hold only"),
    ({"sha": "not-a-sha"}, "--sha 'not-a-sha' is not a git commit hash"),
    ({"note": "x" * 501}, "--note is 501 characters; at most 500"),
])
def test_bad_deploys_are_refused_and_nothing_is_written(ws: Workspace, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(LearnError) as caught:
        record_deploy(ws, configured_services=["api", "web"], now=NOW, **kwargs)
    assert message in str(caught.value)
    assert not (ws.root / DEPLOY_LOG).exists()


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_on_its_own_line(ws: Workspace) -> None:
    first = record_deploy(ws, service="api", version="v1", now=NOW)
    log = ws.root / DEPLOY_LOG
    with log.open("ab") as handle:
        handle.write(b'{"id":"dep-20260301-120000-aaaaaa","at":"2026-03-0')  # killed mid-write
    torn = read_deploys(ws)
    assert torn.deploys == [first] and torn.skipped == [f"{DEPLOY_LOG} line 2: not a deploy (JSONDecodeError); skipped"]
    second = record_deploy(ws, service="api", version="v2", now=NOW)
    after = read_deploys(ws)
    assert after.deploys == [first, second] and len(after.skipped) == 1
    assert log.read_text(encoding="utf-8").splitlines()[2] == json.dumps(
        second.model_dump(exclude_defaults=True), separators=(",", ":"))


def test_concurrent_appends_from_many_processes_lose_nothing(ws: Workspace) -> None:
    writers, each = 8, 25
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(ws.root), f"w{i}", str(each)], env=env)
             for i in range(writers)]
    assert [p.wait(timeout=120) for p in procs] == [0] * writers
    log = read_deploys(ws)
    assert log.skipped == []
    assert sorted(d.version for d in log.deploys) == sorted(f"w{i}-{n}" for i in range(writers) for n in range(each))
    assert len({d.id for d in log.deploys}) == writers * each
    assert len((ws.root / DEPLOY_LOG).read_text(encoding="utf-8").splitlines()) == writers * each


def test_previous_deploy_is_the_one_before_of_the_same_service(ws: Workspace) -> None:
    v1 = record_deploy(ws, service="api", version="v1", at="2026-03-01T09:00:00Z", now=NOW)
    record_deploy(ws, service="web", version="w1", at="2026-03-01T09:30:00Z", now=NOW)
    v2 = record_deploy(ws, service="api", version="v2", at="2026-03-01T10:00:00Z", now=NOW)
    log = read_deploys(ws)
    assert log.previous(v2) == v1 and log.previous(v1) is None
