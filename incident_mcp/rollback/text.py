"""The plan as plain text (Markdown-friendly) for the CLI and the runbook, in the order to work through it."""

from __future__ import annotations

from incident_mcp.catalog.models import curl_command, is_http
from incident_mcp.rollback.model import PlanStep, ProviderPlan, RollbackPlan


def format_plan(plan: RollbackPlan) -> str:
    """The plan as readable plain text (Markdown-friendly), in the order to work through it."""
    lines = [f"# Rollback plan{' for ' + plan.company if plan.company else ''}", ""]
    lines += [f"- {note}" for note in plan.notes]
    for number, section in enumerate(plan.sections, 1):
        lines += ["", f"## {number}. {section.title}"]
        for provider in section.providers:
            lines += _format_provider(provider)
        if section.steps:
            lines += ["", "Generic steps:", *_format_steps(section.steps)]
        if section.prepare:
            lines += ["", "Before the next deploy:", *_format_steps(section.prepare)]
        if section.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in section.notes]
        lines += ["", "Verify:", *_format_steps(section.verify)]
    return "\n".join(lines) + "\n"


def _format_provider(provider: ProviderPlan) -> list[str]:
    """One provider's heading, summary, steps, caveats, steps to prepare and docs."""
    variant = f" — {provider.variant}" if provider.variant else ""
    lines = ["", f"### {provider.name}{variant} ({provider.field}: {provider.configured_as!r})"]
    if provider.summary:
        lines.append(provider.summary)
    lines += _format_steps(provider.steps)
    if provider.caveats:
        lines += ["", "Caveats:"] + [f"  ! {c}" for c in provider.caveats]
    if provider.prepare:
        lines += ["", "Before the next deploy:", *_format_steps(provider.prepare)]
    if provider.docs:
        lines += ["", "Docs: " + "  ".join(provider.docs)]
    return lines


def _format_steps(steps: list[PlanStep]) -> list[str]:
    """Numbered steps, each with its command (HTTP calls as curl), body, what to check first and how to verify."""
    lines: list[str] = []
    for number, step in enumerate(steps, 1):
        lines.append(f"{number:>3}. {step.action}")
        if step.command and is_http(step.command):
            lines.append(f"       $ {curl_command(step.command, step.headers, step.body)}")
        elif step.command:
            lines.append(f"       $ {step.command}")
        if step.body and not (step.command and is_http(step.command)):
            label = f"save as {step.body_file}" if step.body_file else "body"
            lines.append(f"       {label}: {step.body}")
        if step.check_first:
            lines.append(f"       ⚠ {step.check_first}")
        if step.verify:
            lines.append(f"       ✓ {step.verify}")
    return lines
