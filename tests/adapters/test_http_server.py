"""The Streamable HTTP server, run for real as ``incident-mcp serve --http`` and probed with real HTTP clients."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from incident_mcp.errors import ConfigError
from incident_mcp.server.http import HttpSettings
from tests.support.checkout import cli_env
from tests.support.http_server import (
    INIT,
    MCP_HEADERS,
    TOKEN,
    Running,
    config_only_workspace,
    start,
    stop,
)

MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return config_only_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[Running]:
    running = start(workspace, "--max-body", str(MAX_BODY), fake_tools=True)
    yield running
    stop(running)


@pytest.fixture(scope="module")
def token_server(workspace: Path) -> Iterator[Running]:
    """Listening on every interface (so a token is required), reachable under one extra allowed name."""
    running = start(workspace, "--host", "0.0.0.0", "--allow-host", "mcp.internal.example", token=TOKEN)
    yield running
    stop(running)


def post(running: Running, body: bytes | str | None = None, **headers: str) -> httpx.Response:
    sent = {**MCP_HEADERS, **headers}
    data = json.dumps(INIT) if body is None else body
    return httpx.post(running.url, content=data, headers=sent, timeout=10)


def sse_result(response: httpx.Response) -> dict[str, object]:
    """The JSON-RPC message carried by a Streamable HTTP response (SSE or plain JSON)."""
    if response.headers["content-type"].startswith("application/json"):
        message: dict[str, object] = response.json()
        return message
    data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
    parsed: dict[str, object] = json.loads(data[-1])
    return parsed


def list_tools(url: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    """Tool name → annotations, through the real MCP client (with extra HTTP headers if given)."""

    async def run() -> dict[str, object]:
        async with httpx2.AsyncClient(headers=headers or {}) as http, \
                Client(streamable_http_client(url, http_client=http)) as client:
            result = await client.list_tools()
            return {tool.name: tool.annotations for tool in result.tools}

    return asyncio.run(run())


def test_an_mcp_initialize_post_is_answered(server: Running) -> None:
    response = post(server)
    assert response.status_code == 200, response.text
    result = sse_result(response)["result"]
    assert isinstance(result, dict)
    assert result["serverInfo"]["name"] == "incident-mcp"


def test_the_real_mcp_client_lists_and_calls_tools_over_http(server: Running) -> None:
    tools = list_tools(server.url)
    assert {"load_context", "fake_read", "fake_write", "fake_unannotated"} <= set(tools)

    async def call() -> str:
        async with Client(server.url) as client:
            result = await client.call_tool("fake_read", {})
            assert not result.is_error
            return str(result.structured_content)

    assert "read" in asyncio.run(call())


def test_progress_notifications_reach_the_client_over_stateless_http(server: Running) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async def call() -> str:
        async with Client(server.url) as client:
            result = await client.call_tool("fake_slow_read", {}, progress_callback=on_progress)
            assert not result.is_error
            return str(result.content)

    assert "done" in asyncio.run(call())
    assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost",
                                  "127.0.0.1:{port}@evil.example", "", "127.0.0.1:{port}/x"])
def test_a_request_for_a_foreign_host_is_rejected(server: Running, host: str) -> None:
    response = post(server, host=host.format(port=server.port))
    assert response.status_code == 421
    assert "Host not allowed" in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_host_names_on_our_port_are_accepted(server: Running, host: str) -> None:
    assert post(server, host=host.format(port=server.port)).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example:{port}", "null",
                                    "http://127.0.0.1:1", "file://", "http://127.0.0.1:{port}.evil.example"])
def test_a_foreign_origin_gets_403(server: Running, origin: str) -> None:
    response = post(server, origin=origin.format(port=server.port))
    assert response.status_code == 403
    assert "Origin not allowed" in response.text


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "http://localhost:{port}"])
def test_a_loopback_origin_on_our_port_is_accepted(server: Running, origin: str) -> None:
    assert post(server, origin=origin.format(port=server.port)).status_code == 200


def test_a_body_over_the_limit_gets_413_with_or_without_content_length(server: Running) -> None:
    padded = json.dumps({**INIT, "params": {**INIT["params"], "pad": "x" * MAX_BODY}})
    assert post(server, padded).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 1000 + 1):
            yield b"x" * 1000

    streamed = httpx.post(server.url, content=chunks(), headers=MCP_HEADERS, timeout=10)
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert post(server, json.dumps({**INIT, "params": {**INIT["params"], "pad": "x" * (MAX_BODY - 1000)}})
                ).status_code == 200


def test_with_a_token_set_a_missing_or_wrong_token_gets_401_and_the_right_one_200(token_server: Running) -> None:
    missing = post(token_server)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert post(token_server, authorization=f"Bearer {TOKEN}x").status_code == 401
    assert post(token_server, authorization=f"Bearer {TOKEN[:-1]}").status_code == 401
    assert post(token_server, authorization=f"Basic {TOKEN}").status_code == 401
    assert post(token_server, authorization=TOKEN).status_code == 401
    assert post(token_server, authorization=f"Bearer {TOKEN}").status_code == 200
    assert post(token_server, authorization=f"bearer {TOKEN}").status_code == 200


def test_the_real_client_gets_in_with_the_token_and_is_refused_without_it(token_server: Running) -> None:
    assert "load_context" in list_tools(token_server.url, {"authorization": f"Bearer {TOKEN}"})
    with pytest.raises(ExceptionGroup) as refused:
        list_tools(token_server.url)
    assert "Server returned an error response" in repr(refused.value)


def test_the_token_never_appears_in_the_server_output(token_server: Running) -> None:
    post(token_server, authorization=f"Bearer {TOKEN}")
    post(token_server, authorization=f"Bearer {TOKEN}-wrong")
    post(token_server, authorization=f"Bearer {TOKEN}", host="evil.example")
    time.sleep(0.2)  # let the stderr reader catch up with the last warning lines
    log = token_server.log()
    assert "refused a request without a valid bearer token" in log
    assert TOKEN not in log
    assert TOKEN[:12] not in log


def test_listening_beyond_loopback_without_a_token_refuses_to_start(workspace: Path) -> None:
    env = cli_env()
    env.pop("INCIDENT_MCP_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "incident_mcp", "serve", "--http", "--host", "0.0.0.0", "--port",
                           "0", "--workspace", str(workspace)], capture_output=True, text=True, env=env, timeout=30,
                          check=False)
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr
    assert "INCIDENT_MCP_TOKEN" in done.stderr
    assert "serving" not in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "my-laptop.lan", "[::]"])
def test_every_non_loopback_address_needs_a_token(host: str) -> None:
    with pytest.raises(ConfigError, match=f"refusing to listen on {re.escape(host)}"):
        HttpSettings(host=host, port=0).check()
    HttpSettings(host=host, port=0, token=TOKEN).check()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_addresses_need_no_token(host: str) -> None:
    HttpSettings(host=host, port=0).check()


def test_a_short_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        HttpSettings(token="hunter2-short").check()
    assert "INCIDENT_MCP_TOKEN is 13 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_wildcard_bind_with_a_token_serves_loopback_and_allowed_names_only(token_server: Running) -> None:
    auth = f"Bearer {TOKEN}"
    assert post(token_server, authorization=auth).status_code == 200
    assert post(token_server, authorization=auth, host="mcp.internal.example").status_code == 200
    assert post(token_server, authorization=auth, host="mcp.internal.example:443",
                origin="https://mcp.internal.example").status_code == 200
    assert post(token_server, authorization=auth, host="other.internal.example").status_code == 421
    assert post(token_server, authorization=auth, origin="https://other.internal.example").status_code == 403
    assert post(token_server, host="mcp.internal.example").status_code == 401


def test_http_options_without_http_are_refused(run_cli: object, workspace: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "incident_mcp", "serve", "--port", "9", "--workspace",
                           str(workspace)], capture_output=True, text=True, env=cli_env(), timeout=30, check=False)
    assert done.returncode == 2
    assert "--port only apply with --http" in done.stderr


def test_read_only_mode_hides_every_tool_that_is_not_marked_read_only(workspace: Path, server: Running) -> None:
    full = list_tools(server.url)
    assert {"fake_write", "fake_unannotated"} <= set(full)
    running = start(workspace, "--read-only", fake_tools=True)
    try:
        tools = list_tools(running.url)
        expected = {name for name, notes in full.items()
                    if notes is not None and getattr(notes, "read_only_hint", None) is True}
        # check_status writes only with incident_id, which a read-only server never does: there it is read-only.
        assert set(tools) == expected | {"check_status"}
        assert all(getattr(notes, "read_only_hint", None) is True for notes in tools.values())
        assert {"fake_read", "load_context"} <= set(tools)
        assert "fake_write" not in tools
        assert "fake_unannotated" not in tools
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "fake_write", "arguments": {}}}
        answer = sse_result(post(running, json.dumps(call)))
        result = answer.get("result") or answer.get("error")
        assert "wrote" not in json.dumps(result)
        assert "fake_write" in json.dumps(result)
    finally:
        stop(running)


def test_build_server_read_only_keeps_only_tools_that_promise_to_write_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter is generic: it reads annotations, so a tool that forgets them is hidden, not exposed."""
    import types

    from mcp_types import ToolAnnotations

    import incident_mcp.server.app as app

    def register(server: object, ctx: object) -> None:
        add = server.add_tool  # type: ignore[attr-defined]
        add(lambda: "r", name="reads", annotations=ToolAnnotations(read_only_hint=True))
        add(lambda: "w", name="writes", annotations=ToolAnnotations(read_only_hint=False))
        add(lambda: "?", name="says_nothing")
        add(lambda: "d", name="destructive_only", annotations=ToolAnnotations(destructive_hint=True))

    area = types.ModuleType("fake_area")
    area.register = register  # type: ignore[attr-defined]
    monkeypatch.setattr(app, "AREAS", (*app.AREAS, area))

    async def names(read_only: bool) -> set[str]:
        async with Client(app.build_server(None, read_only=read_only)) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    everything = asyncio.run(names(False))
    assert {"reads", "writes", "says_nothing", "destructive_only"} <= everything
    read_only = asyncio.run(names(True))
    assert "reads" in read_only
    assert not {"writes", "says_nothing", "destructive_only"} & read_only
