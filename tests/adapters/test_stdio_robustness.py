"""The stdio server outlives malformed and oversized input: it skips the bad line and keeps answering."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.checkout import cli_env

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


class StdioServer:
    """``incident-mcp serve`` as a subprocess with line-level access to its stdin and stdout."""

    def __init__(self, ws: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "incident_mcp", "serve", "--workspace", str(ws)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=cli_env())
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, raw: bytes | dict[str, object]) -> None:
        assert self.proc.stdin is not None
        data = json.dumps(raw).encode() if isinstance(raw, dict) else raw
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def answer(self, request_id: object, timeout: float = 20) -> dict[str, object]:
        """The next message carrying ``request_id`` (every line on stdout must be JSON-RPC)."""
        while True:
            line = self.lines.get(timeout=timeout)
            message = json.loads(line)
            assert message["jsonrpc"] == "2.0"
            if message.get("id") == request_id:
                parsed: dict[str, object] = message
                return parsed

    def close(self) -> tuple[int, bytes]:
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        code = self.proc.wait(15)
        return code, self.proc.stderr.read()


@pytest.fixture
def stdio(company_os_ws: Path) -> StdioServer:
    server = StdioServer(company_os_ws)
    server.send(INIT)
    assert "result" in server.answer(1)
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return server


def tools_list(server: StdioServer, request_id: int) -> list[str]:
    server.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"})
    result = server.answer(request_id)["result"]
    assert isinstance(result, dict)
    return [tool["name"] for tool in result["tools"]]


def test_malformed_lines_are_skipped_and_the_server_keeps_answering(stdio: StdioServer) -> None:
    for garbage in (b"this is not json", b'{"jsonrpc": "2.0", "id": 2', b"[1, 2, 3]", b"", b"null",
                    b"\xff\xfe\x00 invalid utf-8", b'{"jsonrpc": "1.0", "id": 3, "method": "tools/list"}',
                    b'{"id": 4}', b'{"jsonrpc": "2.0", "id": {"nested": true}, "method": "tools/list"}',
                    b"\x1b[31m terminal escapes \x1b[0m", b"{" * 10_000 + b"}" * 10_000):
        stdio.send(garbage)
    assert "load_context" in tools_list(stdio, 5)
    code, stderr = stdio.close()
    assert code == 0
    assert b"Traceback" not in stderr


def test_an_unknown_method_gets_an_error_answer_not_a_crash(stdio: StdioServer) -> None:
    stdio.send({"jsonrpc": "2.0", "id": 7, "method": "no/such/method"})
    assert "error" in stdio.answer(7)
    assert "load_context" in tools_list(stdio, 8)
    assert stdio.close()[0] == 0


def test_an_oversized_line_is_survived(stdio: StdioServer) -> None:
    huge = "x" * (8 * 1024 * 1024)
    stdio.send(b'{"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"cursor": "' + huge.encode() + b'"}}')
    stdio.send(huge.encode())
    assert "load_context" in tools_list(stdio, 10)
    assert stdio.proc.poll() is None
    assert stdio.close()[0] == 0
