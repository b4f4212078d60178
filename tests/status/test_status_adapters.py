"""check_status through the real MCP client (in memory and over stdio), ``incident-mcp status`` and
``tools/ops/status-check.sh`` as subprocesses, all against real loopback servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from incident_mcp.cli.main import main
from incident_mcp.server import build_server
from incident_mcp.status import StatusReport
from incident_mcp.workspace import Workspace
from tests.support.checkout import REPO, cli_env
from tests.support.http_fixtures import ServerFarm
from tests.support.mcp_client import first_text

SCRIPT = REPO / "tools" / "ops" / "status-check.sh"
RunCli = Callable[..., subprocess.CompletedProcess[str]]




@pytest.fixture
def ws(company_os_ws: Path, base: str, farm: ServerFarm) -> Path:
    """Company OS's own config template plus our section: a critical API that is up, a critical worker
    whose port refuses, and a non-critical docs site."""
    config = company_os_ws / "company.config.yaml"
    config.write_text(config.read_text() + f"""
incident_response:
  services:
    - name: api
      url: {base}/health?status=pass
      critical: true
    - name: worker
      url: {farm.refused_url()}
      critical: true
      expect:
        timeout_ms: 2000
    - name: docs
      url: {base}/ok
""")
    return company_os_ws


def call(ws: Path | None, tool_args: dict[str, Any], *, read_only: bool = False,
         progress: list[tuple[float, float | None, str | None]] | None = None) -> Any:
    reported = progress

    async def run() -> Any:
        server = build_server(str(ws) if ws else None, read_only=read_only)
        async with Client(server) as client:

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                if reported is not None:
                    reported.append((progress, total, message))

            return await client.call_tool("check_status", tool_args, progress_callback=on_progress)

    return anyio.run(run)


def test_the_tool_says_it_reaches_out_and_writes_only_with_an_incident() -> None:
    async def run() -> Any:
        async with Client(build_server(None)) as client:
            return await client.list_tools()

    tool = next(t for t in anyio.run(run).tools if t.name == "check_status")
    assert tool.annotations is not None
    assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint, tool.annotations.idempotent_hint,
            tool.annotations.open_world_hint) == (False, False, False, True)
    assert "Read-only unless incident_id is given" in " ".join((tool.description or "").split())


def test_a_read_only_server_offers_it_as_read_only_and_never_writes_to_an_incident(ws: Path) -> None:
    async def run() -> Any:
        async with Client(build_server(None, read_only=True)) as client:
            return await client.list_tools()

    tool = next(t for t in anyio.run(run).tools if t.name == "check_status")
    assert tool.annotations is not None and tool.annotations.read_only_hint is True
    result = call(ws, {"services": ["api"], "incident_id": "INC-001"}, read_only=True)
    assert "timeline_updated" not in result.structured_content, "false is the default, left out"
    assert any("read-only" in note for note in result.structured_content["notes"])


def test_by_default_the_critical_services_are_checked(ws: Path) -> None:
    progress: list[tuple[float, float | None, str | None]] = []
    result = call(ws, {}, progress=progress)
    assert not result.is_error, result.content
    report = StatusReport.model_validate(result.structured_content)
    by = {s.name: s for s in report.services}
    assert set(by) == {"api", "worker"}
    assert (by["api"].state, by["worker"].state, by["worker"].reason) == ("up", "down", "refused")
    assert report.overall == "major_outage"
    assert report.severity_hint is not None and report.severity_hint.severity == "P0"
    assert report.severity_hint.services == ["worker"]
    assert progress and progress[-1][:2] == (2, 2)


def test_named_services_and_public_urls_only(ws: Path, farm: ServerFarm) -> None:
    result = call(ws, {"services": ["docs"]})
    assert [s["name"] for s in result.structured_content["services"]] == ["docs"]
    port = farm.serve().rsplit(":", 1)[1]
    before = farm.hits["/ok"]
    result = call(ws, {"urls": [f"http://localhost:{port}/ok", "http://169.254.169.254/latest/meta-data/"]})
    assert not result.is_error
    states = [(s["state"], s["reason"]) for s in result.structured_content["services"]]
    assert states == [("unknown", "blocked"), ("unknown", "blocked")]
    assert farm.hits["/ok"] == before, "a blocked URL must not get a connection"


@pytest.mark.parametrize(("args", "message"), [
    ({"services": ["nope"]}, "unknown service 'nope' (configured in incident_response.services: api, worker, docs)"),
    ({"urls": ["ftp://example.com/file"]}, "only http:// and https:// can be checked"),
    ({"incident_id": "INC-1"}, "incident_id"),
])
def test_bad_arguments_are_clear_tool_errors(ws: Path, args: dict[str, Any], message: str) -> None:
    result = call(ws, args)
    assert result.is_error
    assert message in first_text(result)


def test_without_services_in_the_config_the_error_says_what_to_add(company_os_ws: Path) -> None:
    result = call(company_os_ws, {})
    assert result.is_error
    assert "add incident_response.services" in first_text(result)


def test_an_incident_id_appends_the_check_to_a_real_incident_timeline(ws: Path) -> None:
    from incident_mcp.incidents import open_incident, read_incident

    workspace = Workspace.at(ws)
    opened = open_incident(workspace, title="Worker queue stalled", severity="P1")
    result = call(ws, {"incident_id": opened.id})
    assert result.structured_content["timeline_updated"] is True, result.structured_content["notes"]
    events = [e for e in read_incident(workspace, opened.id).record.timeline if e.kind == "status_check"]
    [event] = events
    assert event.overall == "major_outage" and event.text.startswith(result.structured_content["summary"] + "; ")
    assert "worker down: connection refused" in event.text, "the timeline keeps which service and why"
    missing = call(ws, {"services": ["api"], "incident_id": "INC-999"})
    assert "timeline_updated" not in missing.structured_content
    assert any(note.startswith("could not append to INC-999") for note in missing.structured_content["notes"])
    assert missing.structured_content["services"][0]["state"] == "up", "nothing is lost when the write fails"


def test_an_all_clear_says_what_was_checked_and_what_was_not(ws: Path) -> None:
    result = call(ws, {"services": ["api"]})
    assert result.structured_content["summary"] == "All checked services operational: api (1 up)"
    assert any(note.startswith("not checked: worker, docs") for note in result.structured_content["notes"])


def test_the_tool_works_over_stdio(ws: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "incident_mcp", "serve", "--workspace",
                                                                 str(ws)], env=cli_env())

    async def run() -> Any:
        async with Client(params) as client:
            return await client.call_tool("check_status", {"services": ["worker"]})

    result = anyio.run(run)
    assert result.structured_content["services"][0]["reason"] == "refused"


# ---- incident-mcp status --------------------------------------------------------------------------


def test_status_json_reports_the_sweep_and_exits_2_when_something_is_down(ws: Path, run_cli: RunCli) -> None:
    done = run_cli("status", "--json", "--workspace", str(ws))
    assert done.returncode == 2, done.stderr
    report = StatusReport.model_validate_json(done.stdout)
    assert [s.name for s in report.services] == ["api", "worker"]


def test_status_table_for_named_services_exits_0_when_all_are_up(ws: Path, run_cli: RunCli) -> None:
    done = run_cli("status", "--workspace", str(ws), "--service", "docs", "--service", "api")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["SERVICE", "STATE", "REASON", "HTTP"]
    assert lines[1].split()[:3] == ["docs", "up", "ok"]
    assert lines[2].split()[:4] == ["api", "*", "up", "ok"]
    assert "All checked services operational: docs, api (2 up)" in done.stdout
    assert "\033[" not in done.stdout


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI's own entry point in this process: for variations the subprocess tests already cover."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_all_includes_non_critical_services_and_a_degraded_one_exits_1(
        ws: Path, base: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = cli(capsys, "status", "--workspace", str(ws), "--all", "--json", f"{base}/status?code=404")
    report = json.loads(out)
    assert [s["name"] for s in report["services"]][:3] == ["api", "worker", "docs"]
    assert report["services"][3]["state"] == "degraded"
    assert code == 2  # worker is down; degraded alone would be 1
    monkeypatch.chdir(ws.parent)
    assert cli(capsys, "status", f"{base}/status?code=404")[0] == 1


def test_status_of_a_loopback_url_typed_by_a_human_is_allowed(base: str, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "status", f"{base}/ok", "--timeout", "2000")
    assert code == 0
    assert " up " in out


def test_status_without_services_or_urls_is_a_one_line_error(company_os_ws: Path, run_cli: RunCli) -> None:
    done = run_cli("status", "--workspace", str(company_os_ws))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "add incident_response.services" in done.stderr
    assert "Traceback" not in done.stderr


# ---- tools/ops/status-check.sh ------------------------------------------------------------------------


def script(*args: str, env: dict[str, str] | None = None, path: Path = SCRIPT,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(path), *args], capture_output=True, text=True, timeout=timeout,
                          env=env or cli_env(PYTHON=sys.executable), check=False, cwd="/")


def test_the_script_prints_company_os_usage_and_exits_0_on_help() -> None:
    done = script("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: status-check.sh [--timeout <ms>] [--expected-status <code>] "
                                  "[--verbose] <url> [<url> ...]")
    assert "Exit Codes:" in done.stdout


def test_the_script_exits_2_without_urls() -> None:
    done = script()
    assert done.returncode == 2
    assert "No URLs provided" in done.stderr


@pytest.mark.parametrize("args", [("--timeout", "soon", "http://x.example/"), ("--timeout", "0", "http://x/"),
                                  ("--bogus", "http://x/"), ("--expected-status", "abc", "http://x/"),
                                  ("not a url",), ("ftp://example.com/",)])
def test_usage_errors_exit_2_without_a_traceback(args: tuple[str, ...],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["status-check", *args])
    except SystemExit as exit_:  # argparse exits by itself
        code = int(exit_.code or 0)
    assert code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_script_reports_each_url_in_company_os_layout_and_exits_2_when_one_is_down(
        base: str, farm: ServerFarm) -> None:
    done = script(f"{base}/ok", f"{base}/status?code=404", farm.refused_url())
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout
    assert "Service Health Check" in out and "Timeout: 5000ms | Expected status: 200" in out
    assert out.count("Checking: ") == 3
    assert "  Result:        HEALTHY" in out
    assert "  SSL:           N/A (not HTTPS)" in out
    assert "  Result:        DEGRADED (HTTP 404 (expected 200))" in out
    assert "CONNECTION FAILED" in out
    assert "Summary: 3 endpoint(s) checked" in out
    assert "  Healthy:  1\n  Degraded: 1\n  Down:     1" in out


def test_compat_exit_codes_expected_status_timeout_and_verbose(base: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "status-check", f"{base}/ok", f"{base}/health?status=pass")[0] == 0
    assert cli(capsys, "status-check", f"{base}/ok", f"{base}/status?code=404")[0] == 1
    assert cli(capsys, "status-check", "--expected-status", "404", f"{base}/status?code=404")[0] == 0
    started = time.monotonic()
    code, out, _ = cli(capsys, "status-check", "--timeout", "700", "--verbose", f"{base}/hang",
                       f"{base}/hang?again=1")
    elapsed = time.monotonic() - started
    assert code == 2
    assert out.count("Result:        DOWN (no response within 700 ms)") == 2
    assert "--- Verbose details ---" in out and "attempts: 2" in out
    assert elapsed < 0.7 + 1.5, "both hanging URLs waited for one timeout together"


def test_the_script_runs_from_a_copy_in_a_company_os_repo_when_the_package_is_installed(
        tmp_path: Path, base: str) -> None:
    copy = tmp_path / "tools" / "ops" / "status-check.sh"
    copy.parent.mkdir(parents=True)
    shutil.copy(SCRIPT, copy)
    bare_path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                if not (Path(p) / "incident-mcp").exists())
    installed = script(f"{base}/ok", path=copy, env=cli_env(PATH=bare_path, PYTHON=sys.executable))
    assert installed.returncode == 0, installed.stderr
    missing = script(f"{base}/ok", path=copy, env=cli_env(PATH=bare_path, PYTHON="false"))
    assert missing.returncode == 2
    assert "incident-mcp is not installed" in missing.stderr


PLANTED = "import sys\nprint('PLANTED CODE RAN')\nsys.exit(0)\n"


def test_the_script_never_runs_an_incident_mcp_folder_planted_beside_it_or_in_the_current_folder(
        tmp_path: Path, base: str, farm: ServerFarm) -> None:
    repo = tmp_path / "repo"
    copy = repo / "tools" / "ops" / "status-check.sh"
    copy.parent.mkdir(parents=True)
    shutil.copy(SCRIPT, copy)
    for folder in (repo / "incident_mcp", repo / "tools" / "ops" / "incident_mcp"):
        folder.mkdir()
        (folder / "__init__.py").write_text(PLANTED)
        (folder / "__main__.py").write_text(PLANTED)
    env = {k: v for k, v in cli_env(PYTHON=sys.executable).items() if k != "PYTHONPATH"}
    with_command = dict(env, PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    without_command = dict(env, PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                                     if not (Path(p) / "incident-mcp").exists()))
    for run_env in (with_command, without_command):
        done = subprocess.run(["bash", str(copy), farm.refused_url()], capture_output=True, text=True, timeout=60,
                              env=run_env, check=False, cwd=repo)
        assert "PLANTED" not in done.stdout + done.stderr
        assert done.returncode == 2 and "CONNECTION FAILED" in done.stdout, done.stdout + done.stderr
