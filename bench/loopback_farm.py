"""Run the test suite's misbehaving loopback servers in their own process for the benchmark.

Prints one JSON line ``{"bases": [...]}`` when listening, then serves until stdin closes (or the
lifetime passes), so the benchmark's own process measures only the checker.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.http_fixtures import ServerFarm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=4, help="listening ports (default 4)")
    parser.add_argument("--lifetime", type=float, default=600.0, help="stop after this many seconds")
    args = parser.parse_args()
    with ServerFarm(lifetime=args.lifetime, max_hold=60.0) as farm:
        bases = [farm.serve(backlog=4096) for _ in range(args.servers)]
        print(json.dumps({"bases": bases}), flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
