"""Server memory over many MCP ``initialize`` calls on Streamable HTTP (issue 7: memory must stay flat).

Starts the real ``incident-mcp serve --http`` on a free loopback port, sends N initialize POSTs from a client
that never ends its sessions (no DELETE), and prints the server's RSS before and after. ``--compare`` runs the
same loop against the SDK's default app (stateful sessions, 30-minute idle timeout) side by side.

    python bench/http_memory.py [--calls 10000] [--compare]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "1"}}}
HEADERS = {"accept": "application/json, text/event-stream"}

SDK_DEFAULT = """
import socket, sys, uvicorn
from incident_mcp.server import build_server
server = build_server(sys.argv[1])
app = server.streamable_http_app()  # SDK defaults: stateful, max 10 000 sessions, 30 min idle timeout
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(128)
print(f"serving MCP over HTTP at http://127.0.0.1:{sock.getsockname()[1]}/mcp", file=sys.stderr, flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False)).run(sockets=[sock])
"""


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start(command: list[str], workspace: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("INCIDENT_MCP_TOKEN", None)
    proc = subprocess.Popen([*command, str(workspace)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "serving MCP over HTTP at" in line:
            # Keep draining stderr, or a chatty server blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True).start()
            return proc, int(line.split("/mcp")[0].rsplit(":", 1)[1])
    raise RuntimeError(f"server exited with {proc.wait()}")


def run(label: str, command: list[str], workspace: Path, calls: int) -> None:
    proc, port = start(command, workspace)
    url = f"http://127.0.0.1:{port}/mcp"
    codes: dict[int, int] = {}
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(100):  # warm-up: imports, first allocations
                client.post(url, json=INIT, headers=HEADERS)
            before = rss_kib(proc.pid)
            started = time.perf_counter()
            for _ in range(calls):
                status = client.post(url, json=INIT, headers=HEADERS).status_code
                codes[status] = codes.get(status, 0) + 1
            elapsed = time.perf_counter() - started
            after = rss_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    answered = ", ".join(f"{count} × {status}" for status, count in sorted(codes.items()))
    print(f"{label:<34} RSS before {before / 1024:6.1f} MiB   after {after / 1024:6.1f} MiB   "
          f"growth {(after - before) / 1024:+6.1f} MiB   {calls / elapsed:6.0f} calls/s   ({answered})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--compare", action="store_true",
                        help="also run the SDK's default (stateful) app; slow: ~8 min for 10 000 calls")
    args = parser.parse_args()
    workspace = ROOT / "tests" / "fixtures" / "company-os"
    print(f"{args.calls} initialize calls, no session ever closed by the client")
    ours = [sys.executable, "-m", "incident_mcp", "serve", "--http", "--port", "0", "--workspace"]
    run("incident-mcp serve --http", ours, workspace, args.calls)
    if args.compare:
        run("SDK default streamable_http_app()", [sys.executable, "-c", SDK_DEFAULT], workspace, args.calls)


if __name__ == "__main__":
    main()
