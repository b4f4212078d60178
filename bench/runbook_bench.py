"""Benchmark: generating the runbook and post-mortem template for 50 services and 100 RFCs, against lower bounds.

    python bench/runbook_bench.py                  # 50 services, 100 RFCs, 30 runs each
    python bench/runbook_bench.py --services 200 --rfcs 500 --repeat 10

The workspace is the Brightdesk stack (Fly.io, Prisma, Postgres, Redis, Cloudflare DNS and CDN,
LaunchDarkly, Sentry → PagerDuty) with N services (every fifth critical) and M RFCs of ~3 KB each
(Dependencies, Failure Domains, Observability and Migration sections, like Company OS's template).

Rows (wall-clock median and p95, and median CPU time, of --repeat runs after one warm-up that compiles the
templates; on a shared machine the CPU column is the steadier one):

- ``generate (create)``: ``generate_runbook`` into an empty standards/ops/ (config, RFCs, render, write).
- ``generate (unchanged)``: the same again on the files it wrote (the usual regeneration: merge, no write).
- ``generate (dry run)``: the same with ``dry_run=True`` (text and unified diff, no lock, no write).
- ``render only``: ``render_documents`` with the full context already built (the templates' own cost).
- lower bound ``render, no data``: the same templates rendered for a blank config with no services or RFCs.
- lower bound ``string concat``: the same document sizes built with f-strings and ``str.join`` from the same
  data, no Jinja, no sandbox: the floor for any templating approach.
- ``first call in a fresh process``: one ``generate_runbook`` in a new interpreter, template compilation included
  (imports excluded).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from incident_mcp.config import load_config  # noqa: E402
from incident_mcp.runbook import RUNBOOK_PATH, generate_runbook, render_documents, runbook_context  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

EXAMPLE = REPO / "incident_mcp" / "example_company" / "company.config.yaml"

RFC_BODY = """
# RFC: {title}

## Summary

This RFC adds {title_lower} to the product. It is served by the `api` service on Fly.io and stores its state in
Postgres through Prisma; hot reads are cached in Redis for five minutes.

## Design

### System Boundaries

- `web` calls `api` over HTTPS; `api` owns the `{table}` table.
- A BullMQ worker processes `{table}` jobs from the Redis queue.
- Emails go out through Resend; webhooks from Stripe arrive on `/webhooks/{table}`.

### Failure Domains

- Postgres down: {title_lower} is unavailable; the rest of the app degrades to read-only pages.
- Redis down: reads fall back to Postgres with higher latency; queued jobs wait until Redis returns.
- Resend outage: notification emails are delayed; nothing is lost, the worker retries for 24 hours.

### Observability

| Signal | What to Capture |
|--------|-----------------|
| **Alerts** | Error rate > 2% over 5 minutes; queue depth > 5,000; p95 latency > 1.5 s |

## Migration Strategy

The new table ships behind the `{table}-v2` LaunchDarkly flag. Rollback: turn the flag off, then roll back the
deploy; the migration is additive and can stay.

## Dependencies

- Depends on: RFC-{dep:03d} (shared sessions), Postgres, Redis, Resend.
- Blocks: nothing yet.

## Alternatives Considered

| Alternative | Pros | Cons | Why Rejected |
|-------------|------|------|--------------|
| A hosted queue (SQS) | Managed | Another vendor | Redis is already there |

## Open Questions

1. Should old rows be archived after a year?
"""


def build_workspace(root: Path, services: int, rfcs: int) -> Workspace:
    """A Brightdesk-like workspace with ``services`` services and ``rfcs`` RFCs."""
    root.mkdir(parents=True)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["incident_response"]["services"] = [
        {"name": f"svc-{i:03d}", "url": f"https://svc-{i:03d}.brightdesk.example/health", "critical": i % 5 == 0,
         "description": f"Service number {i}"} for i in range(services)]
    (root / "company.config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    folder = root / "artifacts" / "rfcs"
    folder.mkdir(parents=True)
    for i in range(1, rfcs + 1):
        title = f"Feature {i} with its own storage"
        front = (f"---\nid: RFC-{i:03d}\ntype: rfc\ntitle: \"{title}\"\nstatus: approved\ncreated: 2026-03-01\n"
                 f"author: engineering-agent\nparent: null\nchildren: []\ndepends_on: [RFC-{max(1, i - 1):03d}]\n"
                 "blocks: []\ntags: [bench]\n---\n")
        body = RFC_BODY.format(title=title, title_lower=title.lower(), table=f"feature_{i}", dep=max(1, i - 1))
        (folder / f"RFC-{i:03d}-feature-{i}.md").write_text(front + body)
    return Workspace.at(root)


def timed(fn: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of ``repeat`` calls (``before`` runs untimed ahead of each)."""
    samples = []
    for _ in range(repeat):
        if before:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return samples


def string_concat(context: dict[str, Any]) -> str:
    """The runbook's data-dependent parts built with plain f-strings: the floor for any templating."""
    out = [f"# Incident Runbook: {context['company']['display_name']}\n\n## At a Glance\n\n| | |\n|---|---|\n"]
    out += [f"| {row['label']} | {row['value']} |\n" for row in context["stack_rows"]]
    out.append("\n## Critical Services\n\n| Service | URL | Critical | What it is |\n|---|---|---|---|\n")
    out += [f"| {s['name']} | {s['url']} | {'yes' if s['critical'] else 'no'} | {s['description']} |\n"
            for s in context["services"]]
    out.append(f"\n```sh\n{context['status_check']}\n```\n\n## Dependencies and Failure Domains\n\n")
    out += [f"| {d['name']} | {', '.join(d['rfc_ids'])} |\n" for d in context["failure_domains"]]
    for rfc in context["rfcs"]:
        out.append(f"\n### {rfc.id}: {rfc.title}\n\n- File: `{rfc.path}` (status: {rfc.status})\n"
                   f"- Depends on: {'; '.join(rfc.dependencies)}\n- Fails with: {', '.join(rfc.failure_domains)}\n")
        out += [f"  - {mode}\n" for mode in rfc.failure_modes]
    for level in context["severities"]:
        out.append(f"| **{level['level']} ({level['name']})** | {level['description']} | {', '.join(level['examples'])}"
                   f" | {level['response_time']} | {level['resolution_target']} |\n")
    for sections in context["rollback"].values():
        for section in sections:
            out.append(f"\n### {section.title}: {section.provider}\n\n")
            for step in (*section.prepare, *section.steps):
                out.append(f"- [ ] {step.action}\n")
                if step.command:
                    out.append(f"\n  ```{step.lang}\n  {step.command}\n  ```\n\n")
            out += [f"- {caveat}\n" for caveat in section.caveats]
    return "".join(out)


def summarise(name: str, samples: list[tuple[float, float]]) -> str:
    walls = sorted(wall for wall, _ in samples)
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    cpu = statistics.median(c for _, c in samples)
    return f"{name:<34} {statistics.median(walls):>9.2f} {p95:>9.2f} {cpu:>9.2f}"


def fresh_process(root: Path) -> float:
    """Wall milliseconds of the first generate_runbook in a new interpreter (imports excluded)."""
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from incident_mcp.runbook import generate_runbook; from incident_mcp.workspace import Workspace;"
            "ws = Workspace.at(sys.argv[2]); t = time.perf_counter(); generate_runbook(ws, dry_run=True);"
            "print((time.perf_counter() - t) * 1000)")
    out = subprocess.run([sys.executable, "-c", code, str(REPO), str(root)], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rfcs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as tmp:
        ws = build_workspace(Path(tmp) / "full", args.services, args.rfcs)
        blank_root = Path(tmp) / "blank"
        blank_root.mkdir()
        (blank_root / "company.config.yaml").write_text("company:\n  name: \"\"\n")
        blank = Workspace.at(blank_root)
        standards = ws.root / "standards"

        cold = fresh_process(ws.root)
        generate_runbook(ws, dry_run=True)  # warm-up: compiles the templates once for this process

        def wipe() -> None:
            shutil.rmtree(standards, ignore_errors=True)

        create = timed(lambda: generate_runbook(ws), args.repeat, before=wipe)
        unchanged = timed(lambda: generate_runbook(ws), args.repeat)
        dry = timed(lambda: generate_runbook(ws, dry_run=True), args.repeat)
        context = runbook_context(ws, load_config(ws.config_path))
        render_only = timed(lambda: render_documents(ws, context), args.repeat)
        blank_context = runbook_context(blank, load_config(blank.config_path))
        render_documents(blank, blank_context)
        no_data = timed(lambda: render_documents(blank, blank_context), args.repeat)
        concat = timed(lambda: string_concat(context), args.repeat)

        size = len((ws.root / RUNBOOK_PATH).read_text())
        print(f"runbook for {args.services} services and {args.rfcs} RFCs: {size:,} characters; "
              f"{args.repeat} runs each; Python {sys.version.split()[0]}")
        print(f"{'':<34} {'median ms':>9} {'p95 ms':>9} {'CPU ms':>9}")
        for name, samples in (("generate (create)", create), ("generate (unchanged)", unchanged),
                              ("generate (dry run)", dry), ("render only", render_only),
                              ("lower bound: render, no data", no_data), ("lower bound: string concat", concat)):
            print(summarise(name, samples))
        print(f"{'first call in a fresh process':<34} {cold:>9.2f}")


if __name__ == "__main__":
    main()
