"""The provider fields of the config (host, ORM, DNS, …) and what each names, normalised through the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from incident_mcp.config.model import CompanyConfig

ProviderKind = Literal["hosting", "orm", "database", "cache", "error_tracking", "feature_flags", "dns", "cdn", "auth",
                       "payments"]

PROVIDER_FIELDS: dict[ProviderKind, str] = {
    "hosting": "tech_stack.hosting",
    "orm": "tech_stack.orm",
    "database": "tech_stack.database",
    "cache": "tech_stack.cache",
    "error_tracking": "observability.error_tracking",
    "feature_flags": "feature_flags.provider",
    "dns": "incident_response.dns.provider",
    "cdn": "incident_response.cdn.provider",
    "auth": "api.auth",
    "payments": "incident_response.payments.provider",
}
# Values (lower case) that say "no provider" in a provider field.
NO_PROVIDER: frozenset[str] = frozenset({"none", "n/a", "-", "no", "null", "nil"})
# Kinds whose field also takes words that are no provider ("JWT", "session"): an unknown value is not warned about.
_QUIET_KINDS: frozenset[str] = frozenset({"auth"})


@dataclass(frozen=True)
class ProviderRef:
    """A provider as written in the config and what it normalised to (``key`` None: unknown)."""

    kind: ProviderKind
    field: str
    raw: str
    key: str | None
    variant: str | None = None
    options: tuple[str, ...] = ()

    @property
    def configured(self) -> bool:
        """Whether the field has a real value (not blank and not 'none')."""
        return bool(self.raw.strip()) and self.raw.strip().lower() not in NO_PROVIDER


def config_value(config: CompanyConfig, dotted: str) -> str:
    """The text at a dotted field path such as ``tech_stack.orm`` ('' when blank)."""
    node: Any = config
    for part in dotted.split("."):
        node = getattr(node, part)
    return str(node or "")


def provider_refs(config: CompanyConfig) -> dict[ProviderKind, ProviderRef]:
    """Every provider field of the config, normalised through the catalog."""
    from incident_mcp.catalog import load_catalog  # catalog loads YAML; import late to keep startup light

    catalog = load_catalog()
    refs: dict[ProviderKind, ProviderRef] = {}
    for kind, dotted in PROVIDER_FIELDS.items():
        raw = config_value(config, dotted)
        match = catalog.normalize(kind, raw) if raw.strip() else None
        refs[kind] = ProviderRef(kind=kind, field=dotted, raw=raw, key=match.key if match else None,
                                 variant=match.variant if match else None,
                                 options=match.options if match and match.family else ())
    return refs


def provider_warnings(config: CompanyConfig) -> list[str]:
    """A warning for each provider the catalog does not know, or that could mean several (then: name one)."""
    warnings: list[str] = []
    for ref in provider_refs(config).values():
        if ref.configured and ref.key is None and ref.kind not in _QUIET_KINDS:
            warnings.append(f"{ref.field}: unknown provider {ref.raw!r}; the runbook uses generic steps "
                            "for it")
        elif ref.options:
            warnings.append(f"{ref.field}: {ref.raw!r} could mean {', '.join(ref.options)}; name one "
                            "(e.g. \"AWS (ECS)\") to get its exact rollback steps")
    return warnings
