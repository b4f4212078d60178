"""Benchmark: validating a whole workspace of N generated artifacts, against two per-file baselines.

    python bench/validate_bench.py                 # 1k and 10k artifacts
    python bench/validate_bench.py --sizes 1000,2000,5000,10000 --repeat 5

The generated workspace looks like a busy Company OS repository: PRDs with children, RFCs with a
parent and depends_on chains (every 7th written as a block-style YAML list, which Company OS's
shell tool does not read), decision memos, ~1.5 KB bodies, and one dangling reference per 500 files.

Columns: ``wall`` and ``cpu`` are ``validate_workspace`` on the whole workspace (best of
--repeat runs, files in the page cache; on a shared machine compare CPU time); ``naive`` is a
per-file checker that, like Company OS's validate.sh, resolves each reference by scanning every
artifact file for its ``id:`` line (timed on a sample, scaled to N); ``per-call`` is one
``python -m incident_mcp validate <file>`` process per file, as a skill looping over files would do
(timed on a sample, scaled to N).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from incident_mcp.validation import validate_workspace  # noqa: E402
from incident_mcp.workspace import Workspace  # noqa: E402

BODY = "\n".join(
    ["", "# Summary", "", "This document describes a change to the product and why it is needed. " * 3, "",
     "## Design", ""]
    + [f"- Step {i}: do the thing carefully, measure it, and write down what happened." for i in range(12)]
    + ["", "## Risks", "", "Rollback is a redeploy of the previous release; data changes are additive. " * 4, ""]
)


FOLDERS = {"prd": "prds", "rfc": "rfcs", "decision-memo": "decision-memos"}


def generate(root: Path, n: int) -> None:
    """Write a Company OS workspace with ``n`` artifacts under ``root``."""
    (root / "company.config.yaml").write_text("company:\n  name: Bench\n", encoding="utf-8")
    for folder in FOLDERS.values():
        (root / "artifacts" / folder).mkdir(parents=True, exist_ok=True)
    kinds = _kinds(n)
    parent_of, children = _hierarchy(kinds)
    previous_rfcs: list[str] = []
    for number, (kind, artifact_id) in enumerate(kinds):
        depends: list[str] = []
        if kind == "rfc":
            depends = list(previous_rfcs[-2:])
            previous_rfcs.append(artifact_id)
        if number % 500 == 250:
            depends.append(f"RFC-MISSING-{number}")
        text = _frontmatter(number, kind, artifact_id, parent_of.get(artifact_id), children.get(artifact_id, []),
                            depends)
        path = root / "artifacts" / FOLDERS[kind] / f"{artifact_id}-generated-{number}.md"
        path.write_text(text + BODY, encoding="utf-8")


def _kinds(n: int) -> list[tuple[str, str]]:
    """(type, id) of each artifact: a PRD every tenth, a decision memo five after it, RFCs between."""
    kinds: list[tuple[str, str]] = []
    for i in range(n):
        if i % 10 == 0:
            kinds.append(("prd", f"PRD-{i:05d}"))
        elif i % 10 == 5:
            kinds.append(("decision-memo", f"DM-{i:05d}"))
        else:
            kinds.append(("rfc", f"RFC-{i:05d}"))
    return kinds


def _hierarchy(kinds: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each RFC's parent (the PRD before it) and each PRD's children."""
    parent_of: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    current_prd = ""
    for kind, artifact_id in kinds:
        if kind == "prd":
            current_prd = artifact_id
        elif kind == "rfc":
            parent_of[artifact_id] = current_prd
            children.setdefault(current_prd, []).append(artifact_id)
    return parent_of, children


def _frontmatter(number: int, kind: str, artifact_id: str, parent: str | None, children: list[str],
                 depends: list[str]) -> str:
    """The frontmatter block; every seventh artifact lists its dependencies as a block list."""
    lines = [
        "---", f"id: {artifact_id}", f"type: {kind}", f'title: "Artifact {number}: generated for the benchmark"',
        f"status: {('draft', 'review', 'approved')[number % 3]}", "created: 2026-02-23",
        "author: bench-agent", f"parent: {parent or 'null'}", f"children: [{', '.join(children)}]",
    ]
    if number % 7 == 0 and depends:
        lines += ["depends_on:"] + [f"  - {d}" for d in depends]
    else:
        lines.append(f"depends_on: [{', '.join(depends)}]")
    lines += ["blocks: []", "tags: [bench, generated]", "---"]
    return "\n".join(lines) + "\n"


_FIELD = re.compile(r"^(parent|depends_on|children|blocks): *(.*)$", re.MULTILINE)


def naive_check(root: Path, path: Path) -> int:
    """A per-file checker in the style of Company OS's validate.sh: every reference is a full scan."""
    text = path.read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    missing = 0
    for match in _FIELD.finditer(front):
        for ref in (r.strip() for r in match.group(2).strip("[]").split(",")):
            if not ref or ref == "null":
                continue
            pattern = re.compile(rf"^id: *{re.escape(ref)} *$", re.MULTILINE)
            if not any(pattern.search(p.read_text(encoding="utf-8")) for p in (root / "artifacts").rglob("*.md")):
                missing += 1
    return missing


def best_of(repeat: int, fn: object) -> float:
    """Best wall-clock time of ``repeat`` runs."""
    return min(_timed(fn)[0] for _ in range(repeat))


def _timed(fn: object) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated workspace sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is reported)")
    parser.add_argument("--sample", type=int, default=10, help="files timed for each baseline")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.repeat}; "
          f"baselines timed on {args.sample} files and scaled to N")
    header = (f"{'artifacts':>10} {'wall (s)':>9} {'cpu (s)':>8} {'cpu µs/file':>12} {'problems':>9} "
              f"{'naive (s)':>10} {'per-call (s)':>13}")
    print(header)
    print("-" * len(header))
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="validate-bench-") as tmp:
            root = Path(tmp)
            generate(root, n)
            ws = Workspace.at(root)
            report = validate_workspace(ws)
            runs = [_timed(lambda ws=ws: validate_workspace(ws)) for _ in range(args.repeat)]
            ours, cpu = min(w for w, _ in runs), min(c for _, c in runs)
            files = sorted((root / "artifacts").rglob("*.md"))
            sample = files[:: max(1, len(files) // args.sample)][: args.sample]
            naive_total = best_of(1, lambda root=root, sample=sample: [naive_check(root, p) for p in sample])
            naive = naive_total / len(sample) * n
            env = dict(os.environ, PYTHONPATH=str(REPO))
            per_call_sample = sample[: max(1, args.sample // 2)]

            def per_call(root: Path = root, env: dict[str, str] = env, paths: list[Path] = per_call_sample) -> None:
                for p in paths:
                    subprocess.run([sys.executable, "-m", "incident_mcp", "validate", "--workspace", str(root),
                                    str(p)], env=env, capture_output=True, check=False)

            per_call_total = best_of(1, per_call) / len(per_call_sample) * n
            rows.append((n, cpu))
            print(f"{n:>10} {ours:>9.3f} {cpu:>8.3f} {cpu / n * 1e6:>12.0f} {len(report.problems):>9} "
                  f"{naive:>10.1f} {per_call_total:>13.1f}", flush=True)
    if len(rows) > 1:
        per_file = [t / n * 1e6 for n, t in rows]
        print(f"\nCPU per file from {rows[0][0]} to {rows[-1][0]} artifacts: "
              f"{' → '.join(f'{u:.0f} µs' for u in per_file)} (median {statistics.median(per_file):.0f} µs); "
              f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
