"""Benchmark: MCP server cold start to a completed ``initialize`` over stdio, and ``load_context`` at 1,000 artifacts.

    python bench/startup_bench.py            # 5 cold starts, 20 load_context calls

Side by side with lower bounds: a bare ``python -c pass`` start, ``python -c "import mcp"``, and
reading the 1,000 artifact files with no parsing. Targets (issue 6): start under 1 s, call under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.validate_bench import generate  # noqa: E402
from incident_mcp.context import load_context  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "0"}}}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return env


def time_initialize(workspace: Path) -> float:
    """Seconds from spawning ``incident-mcp serve`` to reading its initialize response."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "incident_mcp", "serve", "--workspace", str(workspace)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env())
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(INIT) + "\n").encode())
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.wait(timeout=10)
    assert b'"result"' in line, line[:200]
    return elapsed


def time_command(args: list[str]) -> float:
    """Seconds to run a Python command to completion."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, env=_env(), capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--artifacts", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        generate(root, args.artifacts)
        (root / "company.config.yaml").write_text((REPO / "incident_mcp" / "example_company" /
                                                   "company.config.yaml").read_text())
        starts = [time_initialize(root) for _ in range(args.starts)]
        bare = [time_command(["-c", "pass"]) for _ in range(args.starts)]
        sdk = [time_command(["-c", "import mcp.server"]) for _ in range(args.starts)]
        ws = Workspace.at(root)
        load_context(ws)  # warm: catalog loaded once per process, as in a running server
        calls = []
        for _ in range(args.calls):
            t0 = time.perf_counter()
            ctx = load_context(ws)
            calls.append(time.perf_counter() - t0)
        reads = []
        files = sorted((root / "artifacts").rglob("*.md"))
        for _ in range(args.calls):
            t0 = time.perf_counter()
            for f in files:
                f.read_bytes()
            reads.append(time.perf_counter() - t0)
    med = statistics.median
    print(f"{'measure':<52} {'median':>9} {'min':>9}")
    for name, values in (("serve: spawn → initialize answered (stdio)", starts),
                         ("lower bound: python -c pass", bare),
                         ("lower bound: python -c 'import mcp.server'", sdk),
                         (f"load_context, {args.artifacts} artifacts ({len(ctx.rfcs)} RFCs listed)", calls),
                         (f"lower bound: read {len(files)} files, no parsing", reads)):
        print(f"{name:<52} {med(values) * 1000:>7.0f}ms {min(values) * 1000:>7.0f}ms")


if __name__ == "__main__":
    main()
