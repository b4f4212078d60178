"""Slow clients on HTTP: partial headers, dripped bytes and stalled bodies neither hold the server's shared request
slots nor keep authenticated requests from being answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from incident_mcp.server.connections import DeadlineH11Protocol
from incident_mcp.server.http import HttpGuard
from tests.support.http_server import INIT, MCP_HEADERS, TOKEN, Running, config_only_workspace, start, stop

PARTIAL = b"POST /mcp HTTP/1.1\r\nX-a: b\r\n"


def slow_sockets(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each sent a partial request and then nothing."""
    opened = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(PARTIAL)
        opened.append(sock)
    return opened


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes the connection within ``within`` seconds (without answering)."""
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:  # reset
        return True


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = config_only_workspace(tmp_path_factory.mktemp("ws"))
    running = start(root, "--host", "0.0.0.0", token=TOKEN)
    yield running
    stop(running)


def test_seventy_slow_sockets_do_not_keep_authenticated_requests_from_being_answered(token_server: Running) -> None:
    sockets = slow_sockets(token_server.port, 70)
    try:
        auth = {**MCP_HEADERS, "authorization": f"Bearer {TOKEN}"}
        url = f"http://127.0.0.1:{token_server.port}/mcp"
        statuses = [httpx.post(url, content=json.dumps(INIT), headers=auth, timeout=10).status_code
                    for _ in range(10)]
        assert statuses == [200] * 10
        anonymous = httpx.post(url, content=json.dumps(INIT), headers=MCP_HEADERS, timeout=10)
        assert anonymous.status_code == 401
    finally:
        for sock in sockets:
            sock.close()


# ---- the parts, in process, with short deadlines ------------------------------------------------------------


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(1.0)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.contextmanager
def serving(app: Any, *, header_timeout: float = 0.5, max_open: int = 1024) -> Iterator[int]:
    """uvicorn with our protocol (short deadline) in a thread on a free loopback port."""
    protocol = type("ShortDeadline", (DeadlineH11Protocol,), {"header_timeout": header_timeout, "max_open": max_open})
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, http=protocol, log_level="error", lifespan="off"))
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def guarded(**kwargs: Any) -> HttpGuard:
    return HttpGuard(_echo, host_rules=frozenset({("127.0.0.1", None)}), token=TOKEN, max_body=1024, **kwargs)


AUTH = {"authorization": f"Bearer {TOKEN}"}


def test_a_connection_that_never_finishes_its_headers_is_closed_at_the_deadline() -> None:
    with serving(guarded()) as port:
        sock = slow_sockets(port, 1)[0]
        try:
            assert closed_by_server(sock, within=5)
        finally:
            sock.close()


def test_dripping_one_byte_at_a_time_does_not_extend_the_header_deadline() -> None:
    with serving(guarded(), header_timeout=0.6) as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        started = time.monotonic()
        closed_after = None
        try:
            for byte in PARTIAL * 20:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                if closed_by_server(sock, within=0.05):
                    closed_after = time.monotonic() - started
                    break
        finally:
            sock.close()
        assert closed_after is not None  # dripped ~40 bytes over 2 s; the deadline was 0.6 s


def test_a_stalled_body_is_answered_408_and_frees_nothing_it_never_took() -> None:
    with serving(guarded(body_timeout=0.3)) as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
                         + b"\r\nContent-Length: 100\r\n\r\n0123456789")
            sock.settimeout(5)
            assert sock.recv(1024).startswith(b"HTTP/1.1 408")
        finally:
            sock.close()
        assert httpx.post(f"http://127.0.0.1:{port}/x", content=b"{}", headers=AUTH, timeout=5).status_code == 200


def test_when_the_connections_are_full_the_one_waiting_longest_for_headers_makes_room() -> None:
    with serving(guarded(), header_timeout=30, max_open=5) as port:
        sockets = slow_sockets(port, 8)
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/x", content=b"{}", headers=AUTH, timeout=5)
            assert response.status_code == 200
            assert closed_by_server(sockets[0], within=2)
        finally:
            for sock in sockets:
                sock.close()


def test_only_authenticated_requests_take_the_shared_slots_and_overflow_is_503_at_once() -> None:
    with serving(guarded(max_active=1)) as port:
        base = f"http://127.0.0.1:{port}"

        async def run() -> list[int]:
            async with httpx.AsyncClient(timeout=10) as client:
                slow = asyncio.create_task(client.post(f"{base}/slow", content=b"{}", headers=AUTH))
                await asyncio.sleep(0.3)
                anonymous = [await client.post(f"{base}/x", content=b"{}") for _ in range(5)]
                busy = await client.post(f"{base}/x", content=b"{}", headers=AUTH)
                done = await slow
                after = await client.post(f"{base}/x", content=b"{}", headers=AUTH)
                return [*(r.status_code for r in anonymous), busy.status_code, done.status_code, after.status_code]

        assert asyncio.run(run()) == [401] * 5 + [503, 200, 200]
