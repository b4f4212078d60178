"""Shared by the watch tests: the injected clock, workspaces on the flap server, one round, the records."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from incident_mcp import incidents
from incident_mcp.validation import validate_workspace
from incident_mcp.watch.runner import RoundResult, run_round
from incident_mcp.workspace import Workspace
from tests.support.watch_support import FlapServer

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
SECRET_HOOK_TOKEN = "xoxb-SECRET-hook-4f9a1c"


def minute(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


_COUNTER = iter(range(10_000))


def make_ws(tmp_path: Path, flap: FlapServer, *, watch: dict[str, Any] | None = None,
            notify: list[dict[str, Any]] | None = None, maintenance: list[dict[str, Any]] | None = None,
            ) -> tuple[Workspace, dict[str, str]]:
    """A workspace with three services (api and web critical, docs not) on the flap server; their names."""
    prefix = f"s{next(_COUNTER)}"
    names = {n: f"{prefix}-{n}" for n in ("api", "web", "docs")}
    for name in names.values():
        flap.set(name, 200)
    services = [{"name": n, "url": flap.url(names[n]), "critical": n != "docs", "expect": {"timeout_ms": 3000}}
                for n in ("api", "web", "docs")]
    section: dict[str, Any] = {"services": services,
                               "watch": {"interval": 60, "open_after": 3, "recover_after": 2,
                                         "resolve_after_minutes": 10, **(watch or {})}}
    if notify:
        section["notify"] = notify
    if maintenance:
        section["maintenance"] = maintenance
    root = tmp_path / "company"
    root.mkdir()
    (root / "company.config.yaml").write_text(yaml.safe_dump({"company": {"name": "Acme"},
                                                              "incident_response": section}))
    return Workspace.at(root), names


def round_at(ws: Workspace, n: float, env: dict[str, str] | None = None) -> RoundResult:
    return asyncio.run(run_round(ws, now=minute(n), env=env, deliver_deadline=10))


def records(ws: Workspace) -> list[incidents.IncidentRecord]:
    listed = incidents.list_incidents(ws, limit=100).incidents
    return [incidents.read_incident(ws, s.id).record for s in sorted(listed, key=lambda s: s.id)]


def assert_clean(ws: Workspace) -> None:
    problems = list(validate_workspace(ws).problems)
    assert not problems, problems
