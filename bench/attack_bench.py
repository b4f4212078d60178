"""The attacks of issue 11, measured: each next to its baseline in one run.

1. YAML alias bomb: time and peak memory to refuse a ~500-byte RFC whose ``depends_on`` is a 9-level alias tree
   (in process, and ``incident-mcp validate`` as a subprocess: wall time and max RSS), next to the same workspace
   without the bomb.
2. Slowloris: latency of authenticated MCP ``initialize`` POSTs to the real ``incident-mcp serve --http`` (token
   set, ``--host 0.0.0.0``) with no other client, and with 70 sockets that sent a partial request and stalled.
3. Template power: time to refuse ``(9 ** 9999) ** 9999`` in a workspace override, next to rendering ``9 ** 9999``.

    python bench/attack_bench.py [--requests 50] [--sockets 70]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incident_mcp.artifacts import parse_artifact  # noqa: E402

EXAMPLE = ROOT / "incident_mcp" / "example_company"
TOKEN = "bench-token-0123456789abcdefghijklmnopqrstuvwxyz"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "1"}}}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json",
           "authorization": f"Bearer {TOKEN}"}


def alias_tree(levels: int = 9, width: int = 9) -> str:
    lines = [f"a1: &a1 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(2, levels + 1)]
    return "\n".join(lines) + "\n"


BOMB = ("---\nid: RFC-009\ntype: rfc\ntitle: Bomb\nstatus: draft\ncreated: 2026-03-01\nauthor: x\n"
        + alias_tree() + "depends_on: *a9\n---\n\n# RFC\n")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("INCIDENT_MCP_WORKSPACE", None)
    return env


def _validate(ws: Path) -> tuple[float, int, int]:
    """(seconds, max RSS KiB, exit code) of ``incident-mcp validate`` as a fresh subprocess."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            f"p = subprocess.run([sys.executable, '-m', 'incident_mcp', 'validate', '--workspace', {str(ws)!r}], "
            "capture_output=True); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True,
                         timeout=600).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def bomb() -> None:
    print(f"1. YAML alias bomb ({len(BOMB)} bytes, 9^9 = {9**9:,} leaves)")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parse_artifact(BOMB, "artifacts/rfcs/RFC-009-bomb.md")
        refusal = "NOT REFUSED"
    except Exception as err:
        refusal = str(err)[:110]
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"   in process: refused in {elapsed * 1000:.2f} ms, peak Python allocation {peak / 1024:.0f} KiB")
    print(f"   message: {refusal}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("__pycache__"))
        clean = _validate(ws)
        (ws / "artifacts" / "rfcs" / "RFC-009-bomb.md").write_text(BOMB, encoding="utf-8")
        bombed = _validate(ws)
    print(f"   incident-mcp validate, example workspace:        {clean[0]:.2f} s, max RSS {clean[1] / 1024:.0f} MiB, "
          f"exit {clean[2]}")
    print(f"   incident-mcp validate, same + the bomb:          {bombed[0]:.2f} s, max RSS {bombed[1] / 1024:.0f} MiB, "
          f"exit {bombed[2]}")


def _start(ws: Path) -> tuple[subprocess.Popen[str], int]:
    env = _env()
    env["INCIDENT_MCP_TOKEN"] = TOKEN
    proc = subprocess.Popen([sys.executable, "-m", "incident_mcp", "serve", "--http", "--host", "0.0.0.0",
                             "--port", "0", "--workspace", str(ws)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    port = 0
    ready = threading.Event()

    def drain() -> None:
        nonlocal port
        assert proc.stderr is not None
        for line in proc.stderr:
            if "serving MCP over HTTP at" in line:
                port = int(line.split("/mcp")[0].rsplit(":", 1)[1])
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(30)
    if not port:
        proc.kill()
        raise SystemExit("server did not start")
    return proc, port


def _latencies(port: int, count: int) -> tuple[list[float], list[int]]:
    times, statuses = [], []
    with httpx.Client(timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.post(f"http://127.0.0.1:{port}/mcp", content=json.dumps(INIT), headers=HEADERS)
            times.append(time.perf_counter() - started)
            statuses.append(response.status_code)
    return times, statuses


def _line(label: str, times: list[float], statuses: list[int]) -> str:
    ok = sum(s == 200 for s in statuses)
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (f"   {label:<34} {ok}/{len(statuses)} answered 200, median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


def slowloris(requests: int, sockets: int) -> None:
    print(f"2. Slowloris: {requests} authenticated initialize POSTs, token set, --host 0.0.0.0")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copy(EXAMPLE / "company.config.yaml", ws / "company.config.yaml")
        proc, port = _start(ws)
        try:
            _latencies(port, 5)  # warm up
            print(_line("no other client:", *_latencies(port, requests)))
            slow = []
            for _ in range(sockets):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"POST /mcp HTTP/1.1\r\nX-a: b\r\n")
                slow.append(sock)
            print(_line(f"{sockets} slow sockets open:", *_latencies(port, requests)))
            for sock in slow:
                sock.close()
        finally:
            proc.terminate()
            proc.wait(10)


def template_power() -> None:
    from incident_mcp.render import render
    from incident_mcp.workspace import Workspace

    print("3. Template power in a workspace override")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "templates" / "incident-mcp"
        folder.mkdir(parents=True)
        (folder / "tower.md.j2").write_text("{% set boom = (9 ** 9999) ** 9999 %}", encoding="utf-8")
        (folder / "legal.md.j2").write_text("{% set big = 9 ** 9999 %}ok", encoding="utf-8")
        ws = Workspace.at(tmp)
        render(ws, "legal.md.j2", {})  # compile the environment once
        started = time.perf_counter()
        render(ws, "legal.md.j2", {})
        legal = time.perf_counter() - started
        started = time.perf_counter()
        try:
            render(ws, "tower.md.j2", {})
            outcome = "NOT REFUSED"
        except Exception as err:
            outcome = str(err).split(": ", 1)[-1][:80]
        tower = time.perf_counter() - started
    print(f"   9 ** 9999 (legal):              {legal * 1000:.2f} ms")
    print(f"   (9 ** 9999) ** 9999 refused in: {tower * 1000:.2f} ms ({outcome})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--sockets", type=int, default=70)
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    bomb()
    slowloris(args.requests, args.sockets)
    template_power()


if __name__ == "__main__":
    main()
