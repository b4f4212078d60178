"""The real `incident-mcp serve --http` as a subprocess on a free port (HTTP, protocol and slow-client tests)."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.checkout import COMPANY_OS, cli_env

TOKEN = "t0ken-for-tests-only-0123456789abcdefghijkl"
INIT: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}

# The real CLI, with one extra area that registers a write tool and a tool without annotations, so that
# read-only mode has something to hide whatever tools the product itself has at the moment.
WITH_FAKE_TOOLS = """
import sys, types
from mcp_types import ToolAnnotations
import incident_mcp.server.app as app

def register(server, ctx):
    @server.tool(name="fake_write", annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False))
    def fake_write() -> str:
        return "wrote"

    @server.tool(name="fake_unannotated")
    def fake_unannotated() -> str:
        return "?"

    @server.tool(name="fake_read", annotations=ToolAnnotations(read_only_hint=True))
    def fake_read() -> str:
        return "read"

    from mcp.server.mcpserver import Context

    @server.tool(name="fake_slow_read", annotations=ToolAnnotations(read_only_hint=True))
    async def fake_slow_read(ctx: Context) -> str:
        for done in range(1, 4):
            await ctx.report_progress(done, 3, f"step {done}")
        return "done"

area = types.ModuleType("fake_area")
area.register = register
app.AREAS = (*app.AREAS, area)
from incident_mcp.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@dataclass
class Running:
    """A server subprocess, its port and everything it wrote to stderr so far."""

    proc: subprocess.Popen[str]
    port: int = 0
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def log(self) -> str:
        return "".join(self.stderr)


def start(ws: Path, *extra: str, token: str | None = None, fake_tools: bool = False,
          deadline: float = 30) -> Running:
    """Start the server on a free port and wait for its 'serving … at http://…:PORT/mcp' line on stderr."""
    env = cli_env()
    env.pop("INCIDENT_MCP_TOKEN", None)
    if token is not None:
        env["INCIDENT_MCP_TOKEN"] = token
    head = [sys.executable, "-c", WITH_FAKE_TOOLS] if fake_tools else [sys.executable, "-m", "incident_mcp"]
    proc = subprocess.Popen([*head, "serve", "--http", "--port", "0", "--workspace", str(ws), *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    running = Running(proc)
    ready = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            running.stderr.append(line)
            if "serving MCP over HTTP at" in line:
                running.port = int(line.split("/mcp")[0].rsplit(":", 1)[1])
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(deadline)
    if not running.port:
        stop(running)
        pytest.fail(f"server did not start: {running.log()}")
    return running


def stop(running: Running) -> None:
    """Terminate the server (kill it if it does not stop within 10 s)."""
    running.proc.terminate()
    try:
        running.proc.wait(10)
    except subprocess.TimeoutExpired:
        running.proc.kill()
        running.proc.wait(5)


def config_only_workspace(root: Path) -> Path:
    """A workspace at ``root`` holding only Company OS's config template."""
    (root / "company.config.yaml").write_bytes((COMPANY_OS / "company.config.yaml").read_bytes())
    return root
