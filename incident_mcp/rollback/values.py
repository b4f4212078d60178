"""The placeholder values the config supplies for a section, and only those safe to put in a shell command.

Values come from ``incident_response.deploy`` (any key) for every section, plus the flag ids for the kill-switch
section, ``incident_response.dns`` for the DNS section and the CDN and cache settings for the cache section.
A value with characters that could change a command's meaning is not used; a note says so.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

from incident_mcp.catalog import Catalog
from incident_mcp.config import PROVIDER_FIELDS, CompanyConfig, ProviderKind, config_value
from incident_mcp.rfcs import RfcSummary
from incident_mcp.rollback.model import SectionKind

# A config value goes into a shell command only if it cannot change the command's meaning.
SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$")
# A key pattern is printed inside single quotes, so glob characters are safe in it.
_SAFE_PATTERN = re.compile(r"^[A-Za-z0-9*?][A-Za-z0-9._:/@+=*?\[\]-]{0,199}$")

Raw = dict[str, tuple[str, str]]  # placeholder → (the value as written, the config field it came from)
_RawSource = Callable[[CompanyConfig, Catalog, Sequence[RfcSummary]], Raw]


def section_values(kind: SectionKind, config: CompanyConfig, catalog: Catalog,
                   rfcs: Sequence[RfcSummary] = ()) -> tuple[dict[str, str], list[str]]:
    """The placeholder values the config supplies for a section, and notes about values it refused."""
    deploy = {k: (v, f"incident_response.deploy.{k}") for k, v in config.incident_response.deploy.items()}
    own = _SECTION_SOURCES.get(kind)
    raw = {**deploy, **own(config, catalog, rfcs)} if own else deploy
    values: dict[str, str] = {}
    notes: list[str] = []
    for name, (value, field) in raw.items():
        value = value.strip()
        if not value:
            continue
        if _safe(name, value):
            values[name] = value
        else:
            notes.append(f"{field} is not used in commands: it contains characters that are unsafe in a shell "
                         "command (allowed: letters, digits and . _ : / @ + = -)")
    return values, notes


def _safe(name: str, value: str) -> bool:
    """Whether ``value`` cannot change the meaning of the command it is put in (a key pattern may glob)."""
    return bool(SAFE_VALUE.match(value)) or (name == "cache_pattern" and bool(_SAFE_PATTERN.match(value)))


def _flag_values(config: CompanyConfig, catalog: Catalog, rfcs: Sequence[RfcSummary]) -> Raw:
    """The flag system's ids, and the flag itself when the config and RFCs name exactly one."""
    flags = config.incident_response.flags
    raw: Raw = {k: (v, f"incident_response.flags.settings.{k}") for k, v in flags.settings.items()}
    raw["flag_project"] = (flags.project, "incident_response.flags.project")
    raw["flag_environment"] = (flags.environment, "incident_response.flags.environment")
    named = list(dict.fromkeys([*flags.kill_switches, *(f for rfc in rfcs for f in rfc.flags)]))
    if len(named) == 1:
        raw["flag"] = (named[0], "incident_response.flags.kill_switches")
    return raw


def _dns_values(config: CompanyConfig, catalog: Catalog, rfcs: Sequence[RfcSummary]) -> Raw:
    """The DNS record and failover ids, the record types they imply, and the record's name inside its zone."""
    dns = config.incident_response.dns
    raw: Raw = {k: (v, f"incident_response.dns.settings.{k}") for k, v in dns.settings.items()}
    for name in ("zone", "record", "failover_target"):
        raw[name] = (getattr(dns, name), f"incident_response.dns.{name}")
    if dns.ttl is not None:
        raw["ttl"] = (str(dns.ttl), "incident_response.dns.ttl")
    if dns.failover_target:
        raw["record_type"] = (_record_type(dns.failover_target), "incident_response.dns.failover_target")
    primary = dns.settings.get("primary_target", "").strip()
    if primary:
        raw["primary_type"] = (_record_type(primary), "incident_response.dns.settings.primary_target")
    if dns.record and dns.zone and dns.record.rstrip(".").endswith("." + dns.zone.rstrip(".")):
        name = dns.record.rstrip(".")[: -len(dns.zone.rstrip(".")) - 1]
        raw["record_name"] = (name, "incident_response.dns.record")
    return raw


def _cache_values(config: CompanyConfig, catalog: Catalog, rfcs: Sequence[RfcSummary]) -> Raw:
    """The CDN and cache ids, and the DNS zone when the same provider runs DNS and the CDN or cache."""
    ir = config.incident_response
    raw: Raw = {}
    dns_key = _key(catalog, config, "dns")
    if dns_key and dns_key in (_key(catalog, config, "cdn"), _key(catalog, config, "cache")) and ir.dns.zone:
        raw["zone"] = (ir.dns.zone, "incident_response.dns.zone")
    raw.update({k: (v, f"incident_response.cdn.settings.{k}") for k, v in ir.cdn.settings.items()})
    raw.update({k: (v, f"incident_response.cache.settings.{k}") for k, v in ir.cache.settings.items()})
    return raw


_SECTION_SOURCES: dict[SectionKind, _RawSource] = {
    "feature_flag": _flag_values, "dns": _dns_values, "cache": _cache_values,
}


def _key(catalog: Catalog, config: CompanyConfig, kind: ProviderKind) -> str | None:
    """The catalog key of the provider the config names for ``kind`` (None: none or unknown)."""
    match = catalog.normalize(kind, config_value(config, PROVIDER_FIELDS[kind]))
    return match.key if match else None


def _record_type(target: str) -> str:
    """The DNS record type a target needs: AAAA or A for an address, CNAME for a name."""
    try:
        return "AAAA" if ipaddress.ip_address(target).version == 6 else "A"
    except ValueError:
        return "CNAME"
