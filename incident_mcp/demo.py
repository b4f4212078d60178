"""The demo: the bundled example company run through the same core API an agent uses, step by step.

Each step returns what an on-call founder would see; the CLI prints it. Later capabilities add
steps here, so the demo always shows the whole product as it stands.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from incident_mcp.config import load_config
from incident_mcp.context import load_context
from incident_mcp.errors import WorkspaceError
from incident_mcp.rollback import rollback_plan
from incident_mcp.workspace import Workspace

EXAMPLE_COMPANY = Path(__file__).parent / "example_company"


@dataclass
class DemoStep:
    """One step of the walk-through: a title, the lines to show, and whether it went as expected."""

    title: str
    lines: list[str] = field(default_factory=list)
    ok: bool = True


def prepare_workspace(into: Path | None = None) -> Workspace:
    """Copy the example company into ``into`` (must be new or empty) or a fresh temp folder."""
    if into is None:
        target = Path(tempfile.mkdtemp(prefix="incident-mcp-demo-")) / "brightdesk"
    else:
        target = into.expanduser()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise WorkspaceError(f"{target} exists and is not an empty folder; choose a new --into folder")
    shutil.copytree(EXAMPLE_COMPANY, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return Workspace.at(target)


def _context_step(ws: Workspace) -> DemoStep:
    ctx = load_context(ws)
    step = DemoStep("Load the company's context (load_context)")
    step.lines.append(f"{ctx.company.get('name')} — {ctx.company.get('product')} ({ctx.company.get('domain')})")
    stack = ", ".join(f"{p.field.split('.')[-1] if p.field.endswith('provider') is False else p.field}: "
                      f"{p.value} → {p.recognised_as or 'unknown'}" for p in ctx.providers if p.value)
    step.lines.append(f"stack: {stack}")
    step.lines.append("services: " + ", ".join(f"{s.name}{' (critical)' if s.critical else ''}"
                                               for s in ctx.services))
    step.lines.append("RFCs: " + ", ".join(f"{r.id} {r.title}" for r in ctx.rfcs))
    if ctx.ops_standards_missing:
        step.lines.append("ops standards missing: " + ", ".join(ctx.ops_standards_missing))
    step.lines.extend(f"warning: {w}" for w in ctx.warnings)
    return step


def _rollback_step(ws: Workspace) -> DemoStep:
    plan = rollback_plan(load_config(ws.config_path).config)
    step = DemoStep("Rollback plan for this stack (rollback_plan)")
    for section in plan.sections:
        commands = [s.command for p in section.providers for s in p.steps if s.command]
        step.lines.append(section.title + (f":  $ {commands[0]}" if commands else ": generic steps"))
    return step


STEPS: list[Callable[[Workspace], DemoStep]] = [_context_step, _rollback_step]


def run_demo(ws: Workspace) -> Iterator[DemoStep]:
    """Run every step on the workspace, yielding each as it completes."""
    for step in STEPS:
        yield step(ws)
