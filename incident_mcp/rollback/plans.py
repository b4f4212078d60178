"""Building the plan: each section from the providers the config names, else the generic steps, then its checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from incident_mcp.catalog import NONE_WORDS, Catalog, canonical, load_catalog
from incident_mcp.config import PROVIDER_FIELDS, CompanyConfig, ProviderKind, config_value
from incident_mcp.rfcs import RfcSummary, load_rfcs
from incident_mcp.rollback.fields import fields_to_set
from incident_mcp.rollback.model import SECTION_KINDS, PlanSection, ProviderPlan, RollbackPlan, SectionKind
from incident_mcp.rollback.notes import SECTION_EXTRAS, unconfigured_note, unknown_parts
from incident_mcp.rollback.steps import check_status_step, plan_step, provider_plan, status_steps
from incident_mcp.rollback.values import SAFE_VALUE, section_values
from incident_mcp.workspace import Workspace

# Which config provider fields feed each section, in the order their steps are shown (backup before migration).
SECTION_SOURCES: dict[SectionKind, tuple[ProviderKind, ...]] = {
    "deployment": ("hosting",),
    "database": ("database", "orm"),
    "feature_flag": ("feature_flags",),
    "dns": ("dns",),
    "cache": ("cache", "cdn"),
}
# The sources whose steps replace the generic ones (a database's backup hint does not replace migration steps).
_PRIMARY: dict[SectionKind, tuple[ProviderKind, ...]] = {
    "deployment": ("hosting",), "database": ("orm",), "feature_flag": ("feature_flags",), "dns": ("dns",),
    "cache": ("cache", "cdn"),
}
# Dependencies that cannot be rolled back (hosted auth, payments): the runbook lists what to check and replay.
DEPENDENCY_KINDS: tuple[ProviderKind, ...] = ("auth", "payments")


def rollback_plan(config: CompanyConfig, kinds: Iterable[str] | None = None, *,
                  catalog: Catalog | None = None, rfcs: Sequence[RfcSummary] | None = None,
                  workspace: Workspace | None = None) -> RollbackPlan:
    """The rollback plan for ``config``, limited to the section ``kinds`` given (default: all five).

    ``rfcs`` (or, when not given, the RFCs of ``workspace``) add the flags they name to the kill-switch section
    and the job queues they mention to the cache warnings.
    """
    catalog = catalog or load_catalog()
    if rfcs is None:
        rfcs = load_rfcs(workspace).rfcs if workspace is not None else ()
    wanted = _kinds(kinds)
    services = [s.name for s in config.critical_services()]
    sections = [_section(kind, config, catalog, services, rfcs) for kind in SECTION_KINDS if kind in wanted]
    return RollbackPlan(company=config.company.name, notes=list(catalog.notes), sections=sections)


def dependency_plans(config: CompanyConfig, catalog: Catalog | None = None) -> list[ProviderPlan]:
    """The configured hosted-auth and payments providers: what to check, how to fail safe, what to replay."""
    catalog = catalog or load_catalog()
    values, _ = section_values("deployment", config, catalog)
    values.update({k: v.strip() for k, v in config.incident_response.payments.settings.items()
                   if SAFE_VALUE.match(v.strip())})
    plans: list[ProviderPlan] = []
    for kind in DEPENDENCY_KINDS:
        field = PROVIDER_FIELDS[kind]
        raw = config_value(config, field).strip()
        for match in catalog.normalize_all(kind, raw):
            plans.append(provider_plan(kind, field, raw, catalog.provider(kind, match.key), match.variant, values,
                                       catalog))
    return plans


def _kinds(kinds: Iterable[str] | None) -> set[str]:
    """The sections asked for (all when none are named); ValueError naming any unknown one."""
    if kinds is None:
        return set(SECTION_KINDS)
    chosen = set(kinds)
    unknown = sorted(chosen.difference(SECTION_KINDS))
    if unknown:
        raise ValueError(f"unknown rollback section {', '.join(map(repr, unknown))}; "
                         f"expected any of: {', '.join(SECTION_KINDS)}")
    return chosen


def _section(kind: SectionKind, config: CompanyConfig, catalog: Catalog, services: list[str],
             rfcs: Sequence[RfcSummary] = ()) -> PlanSection:
    """One section: its providers' steps, the generic steps when they do not cover it, notes and checks."""
    generic = catalog.generic(kind)
    values, notes = section_values(kind, config, catalog, rfcs)
    found = _found_providers(kind, config, catalog, values)
    providers = found.providers
    notes += found.notes
    if found.unknown and providers:
        notes.append(f"{', '.join(found.unknown)} is not in the catalog, so the generic steps below apply to it.")
    extra = SECTION_EXTRAS.get(kind)
    if extra is not None:
        notes += extra(config, catalog, values, providers, rfcs)
    generic_steps = generic.steps if _needs_generic(kind, providers, found.unknown) else ()
    steps = [plan_step(s, values) for s in generic_steps if s.phase == "rollback"]
    prepare = [plan_step(s, values) for s in generic_steps if s.phase == "prepare"]
    verify = [check_status_step(services)]
    verify += [plan_step(status, values) for status in status_steps(providers, catalog)]
    verify += [plan_step(s, values) for s in generic.verify]
    fields = fields_to_set(kind, providers, steps, verify)
    if fields:
        notes.append(f"Set {', '.join(fields)} in company.config.yaml to fill the matching placeholders.")
    title = generic.title + (f" — {', '.join(p.name for p in providers)}" if providers else "")
    return PlanSection(kind=kind, title=title, providers=providers, steps=steps, prepare=prepare, notes=notes,
                       config_fields_to_set=fields, verify=verify)


@dataclass
class _Found:
    """The providers a section's config fields name, notes about those fields, and the names nothing matched."""

    providers: list[ProviderPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _found_providers(kind: SectionKind, config: CompanyConfig, catalog: Catalog, values: dict[str, str]) -> _Found:
    """Each provider the section's config fields name, once, in field order; a vague name gets a question."""
    found = _Found()
    seen: set[str] = set()
    for source in SECTION_SOURCES[kind]:
        field_name = PROVIDER_FIELDS[source]
        raw = config_value(config, field_name).strip()
        matches = catalog.normalize_all(source, raw)
        if not matches:
            found.notes.append(unconfigured_note(source, field_name, raw, catalog))
            if raw and canonical(raw) not in NONE_WORDS and raw.lower() not in ("n/a", "-"):
                found.unknown.append(f"{raw!r} ({field_name})")
        else:
            found.unknown += [f"{part!r} ({field_name})" for part in unknown_parts(catalog, source, raw)]
        for match in matches:
            if match.key in seen:
                continue
            seen.add(match.key)
            entry = catalog.provider(source, match.key)
            found.providers.append(provider_plan(source, field_name, raw, entry, match.variant, values, catalog))
            if match.family:
                found.notes.append(f"{field_name} is {raw!r}, which could mean several providers "
                                   f"({', '.join(catalog.provider(source, o).name for o in match.options)}); "
                                   "the generic steps apply until you name one.")
    return found


def _needs_generic(kind: SectionKind, providers: list[ProviderPlan], unknown: list[str]) -> bool:
    """Whether the generic steps still apply: no concrete provider covers the section, or a name was unknown.

    A database section without a known database keeps the generic "take a backup first" step.
    """
    concrete = [p for p in providers if not p.family_options and p.kind in _PRIMARY[kind]]
    if not concrete or unknown:
        return True
    return kind == "database" and not any(p.kind == "database" and not p.family_options for p in providers)
