"""Benchmark: building the status page from 1,000 incident records and 20 components, against lower bounds.

    python bench/statuspage_bench.py                       # 1,000 incidents × 20 components
    python bench/statuspage_bench.py --incidents 5000 --repeat 5

The workspace holds ``--incidents`` records over the last year (1–3 services each, a full timeline with two
public updates and a post-mortem, a few still open, some closed as duplicates) and ``--components``
services, two of them hidden. Rows (best of ``--repeat``, files in the page cache; wall and CPU time):
``read bytes`` reads every record file (the floor of any approach), ``read records`` parses and validates
them (what any build must do at least; ``cached``: from the record cache), then the build's own steps;
``publish`` is the whole ``publish_status_page`` (read, model, render every file, write and sync the new
folder, swap it in): a rebuild with nothing changed, a build an hour later (the usual case after a watch
round: the page, JSON and feeds change, incident pages do not), and a first build (no cache, new folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from incident_mcp.artifacts import dump_frontmatter  # noqa: E402
from incident_mcp.config import load_config  # noqa: E402
from incident_mcp.statuspage import build_site, publish_status_page, render_site  # noqa: E402
from incident_mcp.statuspage.source import load_records  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(root: Path, incidents: int, components: int, seed: int = 7) -> None:
    """Write the config and ``incidents`` records under ``root``."""
    rng = random.Random(seed)
    services = [{"name": f"svc{i:02d}", "url": f"https://svc{i:02d}.example/health",
                 "display_name": f"Service {i}", **({"public": False} if i >= components - 2 else {})}
                for i in range(components)]
    config = {"company": {"name": "Bench"}, "incident_response": {
        "status_page": {"url": "https://status.bench.example"}, "services": services,
        "maintenance": [{"services": ["svc00", "svc01"], "start": "2026-07-02T01:00:00Z",
                         "end": "2026-07-02T02:00:00Z", "reason": "Database upgrade"}]}}
    root.mkdir(parents=True, exist_ok=True)
    (root / "company.config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    folder = root / "artifacts" / "decision-memos"
    folder.mkdir(parents=True)
    for number in range(1, incidents + 1):
        detected = NOW - dt.timedelta(minutes=rng.randrange(10, 365 * 1440))
        minutes = rng.randrange(5, 600)
        still_open = number % 200 == 0
        severity = rng.choice(["P0", "P1", "P1", "P2", "P3"])
        affected = rng.sample([s["name"] for s in services], rng.randrange(1, 4))
        at = [detected + dt.timedelta(minutes=minutes * k / 6) for k in range(7)]
        timeline: list[dict[str, Any]] = [
            {"at": stamp(at[0]), "kind": "detected", "text": "", "severity": severity},
            {"at": stamp(at[1]), "kind": "acknowledged", "text": "On it"},
            {"at": stamp(at[2]), "kind": "communication", "text": "We are investigating elevated errors.",
             "channel": "status page"},
            {"at": stamp(at[3]), "kind": "root_cause", "text": "Connection pool exhausted after deploy"},
            {"at": stamp(at[4]), "kind": "mitigation", "text": "fly deploy --image previous", "mitigation": "rollback"},
            {"at": stamp(at[5]), "kind": "communication", "text": "A fix is in place; we are monitoring.",
             "channel": "status page"},
        ]
        if not still_open:
            timeline.append({"at": stamp(at[6]), "kind": "resolved", "text": "Back to normal"})
        meta: dict[str, Any] = {
            "id": f"INC-{number:04d}", "type": "decision-memo", "title": f"{affected[0]} errors after deploy",
            "status": "review", "created": at[0].date().isoformat(), "author": "Sam", "severity": severity,
            "incident_state": "investigating" if still_open else "resolved", "services": affected,
            "summary": "Requests failed with 500s.", "detected_at": stamp(at[0]),
            "resolved_at": None if still_open else stamp(at[6]), "timeline": timeline,
            "postmortem": {"whys": ["pool too small", "no load test"], "contributing_factors": ["late deploy"]},
        }
        if number % 50 == 0:
            meta["closed_as"] = "duplicate"
        (folder / f"INC-{number:04d}-errors.md").write_text(dump_frontmatter(meta) + "\n# Incident\n",
                                                             encoding="utf-8")


def best(repeat: int, func: Callable[[], object]) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="statuspage-bench-") as tmp:
        root = Path(tmp) / "ws"
        generate(root, args.incidents, args.components)
        ws = Workspace.at(root)
        config = load_config(ws.config_path).config
        records, _ = load_records(ws)
        site = build_site(config, records, NOW)
        files = render_site(site, ws)
        publish_status_page(ws, now=NOW)  # warm: templates compiled, the folder exists
        paths = sorted((root / "artifacts" / "decision-memos").iterdir())
        cache = root / ".incident-mcp" / "statuspage-records.json"
        fresh = iter(range(10**6))

        def cold() -> object:
            cache.unlink(missing_ok=True)
            return publish_status_page(ws, now=NOW, out=Path(tmp) / f"cold-{next(fresh)}")

        rows = [
            ("read bytes (floor)", best(args.repeat, lambda: [p.read_bytes() for p in paths])),
            ("read records (lower bound)", best(args.repeat, lambda: load_records(ws, cache=False))),
            ("read records, cached", best(args.repeat, lambda: load_records(ws))),
            ("model", best(args.repeat, lambda: build_site(config, records, NOW))),
            ("render all files", best(args.repeat, lambda: render_site(site, ws))),
            ("publish: rebuild", best(args.repeat, lambda: publish_status_page(ws, now=NOW))),
            ("publish: an hour later", best(args.repeat, lambda: publish_status_page(
                ws, now=NOW + dt.timedelta(hours=next(fresh) + 1)))),
            ("publish: first build (cold)", best(args.repeat, cold)),
        ]
        size = sum(len(text.encode()) for text in files.values())
        print(f"status page: {args.incidents:,} incidents × {args.components} components "
              f"({len(site.incidents):,} published, {len(files):,} files, {size / 1e6:.1f} MB), best of {args.repeat}")
        print(f"{'step':<28}{'wall':>10}{'cpu':>10}")
        for name, (wall, cpu) in rows:
            print(f"{name:<28}{wall * 1000:>8.0f} ms{cpu * 1000:>8.0f} ms")
        first, later = rows[-1][1], rows[-2][1]
        print(f"first build {first[0]:.2f} s wall / {first[1]:.2f} s CPU ({first[1] / rows[1][1][1]:.1f}× the CPU of "
              f"reading the records); an hour later {later[0]:.2f} s / {later[1]:.2f} s; target < 2 s")


if __name__ == "__main__":
    main()
