"""The demo: the bundled example company run through the same core API an agent uses, step by step.

Each step returns what an on-call founder would see; the CLI prints it. Later capabilities add
steps here, so the demo always shows the whole product as it stands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_mcp.changes import note_recent_changes, record_deploy
from incident_mcp.config import load_config
from incident_mcp.context import load_context
from incident_mcp.demo_services import demo_services, point_services_at
from incident_mcp.errors import WorkspaceError
from incident_mcp.incidents import (
    Impact,
    Lessons,
    RemediationAction,
    draft_communication,
    get_incident,
    open_incident,
    record_postmortem,
    update_incident,
)
from incident_mcp.incidents.record import format_timestamp
from incident_mcp.metrics import incident_metrics
from incident_mcp.promotion import promote
from incident_mcp.rollback import rollback_plan
from incident_mcp.runbook import generate_runbook
from incident_mcp.severity import ImpactSignals, classify
from incident_mcp.status import TargetPolicy, check_targets, service_targets
from incident_mcp.statuspage import publish_status_page
from incident_mcp.validation import problem_lines, validate_workspace
from incident_mcp.workspace import Workspace, atomic_write

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


def _runbook_step(ws: Workspace) -> DemoStep:
    result = generate_runbook(ws)
    step = DemoStep("Generate the runbook and post-mortem template (generate_runbook)")
    for change in result.files:
        size = (ws.root / change.path).stat().st_size
        step.lines.append(f"{change.action}: {change.path} ({size:,} bytes)")
    again = generate_runbook(ws)
    step.lines.append("regenerated: " + ", ".join(f"{c.path.rsplit('/', 1)[-1]} {c.action}" for c in again.files))
    step.ok = not again.changed
    step.lines.extend(f"gap: {gap}" for gap in result.gaps)
    return step


@dataclass
class _Story:
    """What the incident steps share: the clock of the story and the incident they work on."""

    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    incident_id: str = ""
    bad_deploy: str = ""
    severity: str = "P1"
    overall: str = "major_outage"

    def due_in(self, days: int) -> str:
        """A due date ``days`` from now (YYYY-MM-DD)."""
        return (self.start + dt.timedelta(days=days)).date().isoformat()

    status_summary: str = "status not checked"

    def at(self, minutes: int) -> dt.datetime:
        """A moment of the story, ``minutes`` after detection (the story ends about now)."""
        return self.start - dt.timedelta(minutes=26) + dt.timedelta(minutes=minutes)



def _status_step(story: _Story, ws: Workspace) -> DemoStep:
    config = load_config(ws.config_path).config
    names = [s.name for s in config.incident_response.services]
    report = asyncio.run(check_targets(service_targets(config, names), policy=TargetPolicy.for_agent(config)))
    story.overall, story.status_summary = report.overall, report.summary
    step = DemoStep("What is really down? (check_status)")
    for result in report.services:
        latency = f"{result.latency_ms} ms" if result.latency_ms is not None else "-"
        step.lines.append(f"{result.name:<12} {result.state:<9} {result.reason:<10} {latency:>8}  {result.message}")
    hint = f"; severity hint {report.severity_hint.severity}" if report.severity_hint else ""
    step.lines.append(f"overall: {report.overall} ({report.duration_ms} ms){hint}")
    step.ok = report.overall != "operational"
    return step


def _classify_step(story: _Story, ws: Workspace) -> DemoStep:
    signals = ImpactSignals(users_affected="some", core_flows_broken=["payments"],
                            status_rollup=story.overall)  # type: ignore[arg-type]
    result = classify(signals)
    story.severity = result.severity
    return DemoStep("Classify the severity (classify_severity)", [
        f"{result.label} — rule {result.rule}: {result.reason}",
        f"acknowledge within {result.acknowledge_within}; resolve within {result.resolution_target}; "
        f"update every {result.update_every}",
    ])


def _open_step(story: _Story, ws: Workspace) -> DemoStep:
    # what the deploy script logged (incident-mcp deploy record) before it broke
    record_deploy(ws, service="api", version="01JQ8V2K", at=format_timestamp(story.at(-600)), now=story.start)
    story.bad_deploy = record_deploy(ws, service="api", version="01JQ9X7M", at=format_timestamp(story.at(-12)),
                                     note="rename STRIPE_WEBHOOK_SECRET", now=story.start).id
    opened = note_recent_changes(ws, open_incident(
        ws, title="Checkout fails: Stripe webhooks rejected after deploy",
        severity=story.severity,
        summary="Upgrades fail at the last step; the api service returns 500 on /webhooks/stripe.",
        public_summary="Upgrading a plan fails at the last step of checkout; no card is charged twice.",
        services=["api"], depends_on=["RFC-001"], detected_at=story.at(0), now=story.at(1)), now=story.at(1))
    story.incident_id = opened.id
    step = DemoStep(f"Open the incident record (open_incident) → {opened.id}", [opened.path])
    step.lines.extend(f"[ ] {t.step}" + (f"  (by {t.due_at})" if t.due_at else "") for t in opened.triage)
    step.lines.append("What changed before it broke (recent_changes):")
    for change in opened.recent_changes:
        step.lines.append(f"  {change.kind} {change.id} {change.what} — {change.correlation}")
        if change.rollback:
            step.lines.append(f"    back to {change.rollback_to}: {change.rollback}")
    return step


def _updates_step(story: _Story, ws: Workspace) -> DemoStep:
    step = DemoStep("Record what happens (update_incident)")
    events: tuple[tuple[int, dict[str, Any]], ...] = (
            (3, {"event": "acknowledged", "text": "On it; checking status"}),
            (4, {"event": "status_check", "text": story.status_summary, "overall": story.overall}),
            (14, {"event": "root_cause", "text": "Deploy renamed STRIPE_WEBHOOK_SECRET; every webhook "
                                               "fails signature verification"}),
            (18, {"event": "mitigation", "mitigation": "rollback",
                  "text": "fly deploy --image of the previous release"}),
            (21, {"event": "monitoring", "text": "Webhooks accepted again; Stripe retries draining"}))
    for minutes, kwargs in events:
        updated = update_incident(ws, story.incident_id, at=story.at(minutes), now=story.start, **kwargs)
        step.lines.append(f"+{minutes:>2} min  {kwargs['event']}: {kwargs['text']}  → {updated.state}")
    return step


def _due_step(story: _Story, ws: Workspace) -> DemoStep:
    view = get_incident(ws, story.incident_id, now=story.start)
    step = DemoStep("What is due now? (get_incident)")
    for action in view.next_actions:
        when = action.done_at or action.due_at or ""
        step.lines.append(f"{action.status:<8} {action.title}  {when}")
    return step


def _comms_step(story: _Story, ws: Workspace) -> DemoStep:
    draft = draft_communication(ws, "status_page", story.incident_id, now=story.start)
    update_incident(ws, story.incident_id, event="communication", channel="status page",
                    text="Status page: Monitoring", at=story.at(22), now=story.start)
    step = DemoStep("Draft the status-page update (draft_communication)", draft.text.splitlines())
    if draft.placeholders:
        step.lines.append("still to fill: " + ", ".join(draft.placeholders))
    return step


def _resolve_step(story: _Story, ws: Workspace) -> DemoStep:
    updated = update_incident(ws, story.incident_id, event="resolved",
                              text="All webhooks processed; upgrades work", at=story.at(25), now=story.start)
    return DemoStep("Resolve (update_incident)", [f"{updated.id} {updated.state} at {updated.resolved_at}"])


def _postmortem_step(story: _Story, ws: Workspace) -> DemoStep:
    result = record_postmortem(
        ws, story.incident_id,
        whys=["Stripe webhooks failed signature verification",
              "The webhook secret was read from an env var the deploy had renamed",
              "The rename shipped without a matching secret change on Fly.io",
              "Nothing checks that every env var the code reads is set before release",
              "Our deploy pipeline has no config check step"],
        contributing_factors=["No alert on webhook 5xx rate", "Deploy at 23:00 right before sleep"],
        impact=Impact(users="~40 workspace owners could not upgrade for 25 minutes",
                      revenue="about 6 delayed upgrades, none lost (Stripe retried)", data="none",
                      reputation="two support emails"),
        remediation=[
            RemediationAction(horizon="immediate", action="Rolled back to the previous image", done=True),
            RemediationAction(horizon="short_term", action="Fail the release when a required env var is "
                              "missing", owner="Sam", due=story.due_in(7)),
            RemediationAction(horizon="long_term", action="Sentry alert on webhook error rate routed to "
                              "PagerDuty", owner="Sam", due=story.due_in(30)),
        ],
        lessons=Lessons(went_well="Rollback took four minutes with the runbook's command",
                        went_poorly="Found by a customer email, not by an alert",
                        got_lucky="Stripe retries webhooks for three days, so nothing was lost"),
        caused_by=story.bad_deploy)
    step = DemoStep("Post-mortem: 5 Whys, impact, remediation, lessons (record_postmortem)")
    step.lines.append("complete" if not result.missing else "missing: " + "; ".join(result.missing))
    return step


def _promote_step(story: _Story, ws: Workspace) -> DemoStep:
    result = promote(ws, story.incident_id, "review")
    return DemoStep("Promote the record draft → review (promote_artifact)",
                    [result.log_line or f"{result.from_status} → {result.to_status}"])


def _metrics_step(story: _Story, ws: Workspace) -> DemoStep:
    report = incident_metrics(ws, now=story.start)
    ttr, change = report.time_to_resolve.overall, report.change_failure
    step = DemoStep("Are we getting better? (incident_metrics, last 30 days)", [
        f"time to resolve: median {ttr.median_minutes} min, p90 {ttr.p90_minutes} min (n={ttr.n})",
        f"change fail rate: {len(change.failed_deploys)} of {change.deploys} deploys caused an incident",
    ])
    step.lines.extend(f"uptime {row.service}: {row.uptime}" for row in report.uptime.services)
    return step


# The live incident, from the status check to a validated record in review, in the order the steps run.
_INCIDENT_STEPS: tuple[Callable[[_Story, Workspace], DemoStep], ...] = (
    _status_step, _classify_step, _open_step, _updates_step, _due_step, _comms_step, _resolve_step, _postmortem_step,
    _promote_step, _metrics_step)


def _incident_steps(story: _Story) -> list[Callable[[Workspace], DemoStep]]:
    """The live incident's steps, each bound to the shared ``story``."""
    return [functools.partial(step, story) for step in _INCIDENT_STEPS]


def _validate_step(ws: Workspace) -> DemoStep:
    report = validate_workspace(ws)
    step = DemoStep("Validate every artifact (validate_artifacts)",
                    [f"{report.files_checked} files: {report.errors} errors, {report.warnings} warnings"])
    step.lines.extend(problem_lines(report.problems))
    step.ok = report.errors == 0
    return step


def _status_page_step(ws: Workspace) -> DemoStep:
    result = publish_status_page(ws)
    index = ws.root / result.index
    step = DemoStep("Publish the status page, feeds and JSON (publish_status_page)", [
        f"{result.description}: {result.components} components, {result.open_incidents} open incidents, "
        f"{result.past_incidents} in the last 90 days ({result.files} files in {result.out}/)",
        f"open {index.as_uri()}",
    ])
    step.ok = index.is_file()
    return step


def run_demo(ws: Workspace) -> Iterator[DemoStep]:
    """Run every step on the workspace, yielding each as it completes.

    The live-incident part runs against local demo services; the config is pointed at them only for
    that part and restored afterwards, so the workspace left behind is the example company as written.
    """
    story = _Story()
    setup: list[Callable[[Workspace], DemoStep]] = [_context_step, _runbook_step, _rollback_step]
    for step in setup:
        yield step(ws)
    original = ws.config_path.read_text(encoding="utf-8")
    try:
        with demo_services() as base_url:
            point_services_at(ws, base_url)
            for step in _incident_steps(story):
                yield step(ws)
    finally:
        atomic_write(ws.config_path, original)
    yield _validate_step(ws)
    yield _status_page_step(ws)
