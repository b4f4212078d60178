"""``incident-mcp demo``: the whole product on the bundled example company."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from incident_mcp.cli.common import paint
from incident_mcp.demo import prepare_workspace, run_demo


def add_commands(sub: Any) -> None:
    """Register ``demo``."""
    parser = sub.add_parser("demo", help="run the whole story on a bundled example company")
    parser.add_argument("--into", type=Path, help="copy the example company here (new or empty folder) "
                        "instead of a temp folder")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    ws = prepare_workspace(args.into)
    print(paint("incident-mcp demo", "bold") + f" — example company copied to {ws.root}")
    failed = 0
    for number, step in enumerate(run_demo(ws), start=1):
        mark = paint("✓", "green") if step.ok else paint("✗", "red")
        print(f"\n{mark} {paint(f'{number}. {step.title}', 'bold')}")
        for line in step.lines:
            print(f"   {line}")
        failed += not step.ok
    print(f"\nFiles are in {ws.root}")
    return 1 if failed else 0
