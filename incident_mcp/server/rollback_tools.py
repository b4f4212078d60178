"""MCP tool ``rollback_plan``."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from incident_mcp.rollback import PlanStep, ProviderPlan, RollbackPlan, SectionKind, rollback_plan
from incident_mcp.server.annotations import hints
from incident_mcp.server.common import ServerContext, tool_errors


def for_agent(plan: RollbackPlan, *, docs: bool) -> RollbackPlan:
    """``plan`` sized for a context window: verify steps shared by every section said once in the notes;
    section titles (kind and provider names say it), docs links, catalog keys, the company name, a
    ``configured_as`` the name already contains, ``verified: verified``, each provider's one-line summary (its steps
    and caveats say it) and the steps to prepare before an incident only with ``docs``."""
    sections = plan.sections
    shared = [step for step in sections[0].verify if all(step in s.verify for s in sections[1:])] \
        if len(sections) > 1 else []
    lean = []
    for section in sections:
        providers = section.providers if docs else [_lean_provider(p, section.kind) for p in section.providers]
        lean.append(section.model_copy(update={"providers": providers, "title": section.title if docs else "",
                                               "verify": [v for v in section.verify if v not in shared]}))
    after_each = [f"After each rollback: {step.action[:1].lower()}{step.action[1:]}"
                  + (f" (`{step.command}`)" if step.command else "") for step in shared]
    return RollbackPlan(company=plan.company if docs else "", notes=[*plan.notes, *after_each], sections=lean)


def _lean_provider(provider: ProviderPlan, section_kind: str) -> ProviderPlan:
    """A provider without what the agent does not need mid-incident; blank fields are left out of the answer."""
    return provider.model_copy(update={
        "docs": [], "key": "", "field": "", "summary": "",
        "kind": "" if provider.kind == section_kind else provider.kind,
        "configured_as": "" if provider.configured_as.lower() in provider.name.lower() else provider.configured_as,
        "verified": "" if provider.verified == "verified" else provider.verified,  # shown only when not
        "steps": [_lean_step(step) for step in provider.steps],
        "prepare": [],  # done before an incident, not during one: shown with docs=true
    })


def _lean_step(step: PlanStep) -> PlanStep:
    """``check_first`` already says a step is not fully verified: no need to say it three times."""
    if step.check_first:
        return step.model_copy(update={"verified": "verified", "verify_with_help": False})
    return step


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add ``rollback_plan`` to the server."""

    @server.tool(name="rollback_plan", annotations=hints("Rollback plan", read_only=True))
    def rollback_plan_tool(
        kinds: Annotated[list[SectionKind] | None, Field(
            description="sections to include, in any order: deployment, database, feature_flag, dns, cache "
                        "(default: all)")] = None,
        docs: Annotated[bool, Field(description="also section titles, docs links, catalog keys and the steps to "
                                                "prepare before an incident")] = False,
    ) -> RollbackPlan:
        """The rollback checklist for this company's own host, ORM, database, feature flags, DNS and cache.

        Each section lists only the configured providers, with exact commands filled from the config's
        incident_response ids (values still to choose appear as UPPERCASE placeholders, listed in `missing`),
        caveats that bite during an incident, and verify steps (those every section ends with are said once
        in the notes). `verified` appears only where something is not fully verified; steps with
        `check_first` need that check before running.
        Unknown or blank providers get generic steps and a note naming the config field to set.
        Read the caveats to the user before any command; this tool runs nothing.
        Example: rollback_plan(kinds=["deployment", "database"])
        """
        with tool_errors():
            ws = ctx.workspace()
            return for_agent(rollback_plan(ctx.config(ws).config, kinds, workspace=ws), docs=docs)
