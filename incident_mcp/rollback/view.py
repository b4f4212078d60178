"""The rollback plan sized for an agent's context window (what ``rollback_plan`` returns unless docs are asked).

Mid-incident the agent needs the commands, caveats and checks; the reference material (docs links, catalog
keys, the steps to prepare beforehand) comes only with ``docs``.
"""

from __future__ import annotations

from incident_mcp.rollback.model import PlanStep, ProviderPlan, RollbackPlan


def lean_plan(plan: RollbackPlan, *, docs: bool) -> RollbackPlan:
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
