"""Catalog steps filled with the config's values: each command, what it still misses, and how sure we are of it."""

from __future__ import annotations

from collections.abc import Mapping

from incident_mcp.catalog import Catalog, Provider, Step, fill, placeholders
from incident_mcp.config import ProviderKind
from incident_mcp.rollback.model import PlanStep, ProviderPlan


def plan_step(step: Step, values: Mapping[str, str]) -> PlanStep:
    """``step`` with its placeholders filled from ``values``; the ones left are listed in ``missing``."""
    templates = [t for t in (step.command, step.body) if t]
    missing = [name.upper() for t in templates for name in placeholders(t) if not values.get(name)]
    return PlanStep(
        action=fill(step.action, values),
        command=fill(step.command, values) if step.command else None,
        headers=list(step.headers),
        body=fill(step.body, values) if step.body else None,
        body_file=step.body_file,
        verify=fill(step.verify, values) if step.verify else None,
        verified=step.verified or "verified",
        verify_with_help=step.verify_with_help,
        check_first=step.check_first,
        missing=list(dict.fromkeys(missing)),
    )


def provider_plan(kind: ProviderKind, field: str, raw: str, entry: Provider, variant: str | None,
                  values: Mapping[str, str], catalog: Catalog) -> ProviderPlan:
    """The filled steps, caveats and docs of one catalog entry, as the config field ``field`` named it."""
    entry = entry.model_copy(update={"steps": tuple(s for s in entry.steps if _applies(s, values))})
    return ProviderPlan(
        kind=kind, field=field, configured_as=raw, key=entry.key, name=entry.name, variant=variant,
        verified=entry.verified, summary=entry.summary,
        family_options=[catalog.provider(kind, option).name for option in entry.options],
        steps=[plan_step(s, values) for s in entry.steps if s.phase == "rollback"],
        prepare=[plan_step(s, values) for s in entry.steps if s.phase == "prepare"],
        caveats=[fill(c, values) for c in entry.caveats], docs=list(entry.docs),
    )


def _applies(step: Step, values: Mapping[str, str]) -> bool:
    """Whether a DNS step fits the record types the config gives (both kinds of step when it gives none)."""
    if step.when is None or not values.get("primary_type") or not values.get("record_type"):
        return True
    changes = values["primary_type"] != values["record_type"]
    return changes == (step.when == "type_change")


def check_status_step(services: list[str]) -> PlanStep:
    """The first check after any rollback: the critical services are up again."""
    if services:
        return PlanStep(action=f"Run check_status on the critical services ({', '.join(services)}) and confirm "
                               "each one is up")
    return PlanStep(action="Run check_status on the affected URLs and confirm they are up (no services are "
                           "listed under incident_response.services yet)")


def status_steps(providers: list[ProviderPlan], catalog: Catalog) -> list[Step]:
    """The catalog's own status check of each provider that has one."""
    statuses = []
    for plan in providers:
        status = catalog.provider(plan.kind, plan.key).status
        if status is not None:
            statuses.append(status)
    return statuses
