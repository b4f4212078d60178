"""The rollback checklist for THIS company: its host, ORM, database, flags, DNS and cache, with exact commands.

Sections come in a fixed order (deployment, database, feature_flag, dns, cache). Each holds only the providers
the config names, with commands filled from ``incident_response`` ids (unknown ids stay as visible UPPERCASE
placeholders), their caveats and docs, then a verify block. A blank, "none" or unknown provider gets the
generic steps and a note naming the config field to set; a vague one ("AWS") gets a question, not a guess.
The plan never carries another provider's commands.

Placeholder values come from ``incident_response.deploy`` (any key, e.g. ``app``, ``service``, ``cluster``,
``django_app``), plus ``incident_response.dns`` (zone, record, ttl, failover_target, settings) for the DNS section
and ``incident_response.cdn.settings`` for the cache section. A value with characters that could change a shell
command's meaning is not used; the plan says so.

Modules: ``model`` (the plan), ``plans`` (building it), ``values`` (placeholder values), ``fields`` (which field
fills which placeholder), ``steps`` (filled catalog steps), ``notes`` (what a section says besides its steps),
``text`` (plain text), ``view`` (the plan sized for an agent).
"""

from __future__ import annotations

from incident_mcp.rollback.fields import CONFIG_FIELDS, DEPENDENCY_FIELDS
from incident_mcp.rollback.model import SECTION_KINDS, PlanSection, PlanStep, ProviderPlan, RollbackPlan, SectionKind
from incident_mcp.rollback.plans import DEPENDENCY_KINDS, SECTION_SOURCES, dependency_plans, rollback_plan
from incident_mcp.rollback.text import format_plan

__all__ = [
    "CONFIG_FIELDS",
    "DEPENDENCY_FIELDS",
    "DEPENDENCY_KINDS",
    "SECTION_KINDS",
    "SECTION_SOURCES",
    "PlanSection",
    "PlanStep",
    "ProviderPlan",
    "RollbackPlan",
    "SectionKind",
    "dependency_plans",
    "format_plan",
    "rollback_plan",
]
