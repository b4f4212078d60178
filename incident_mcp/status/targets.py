"""What may be probed: targets from the config or from URLs, and the policy for private addresses.

The agent's ad-hoc URLs may reach only public addresses. A service declared in the config may be anywhere,
because the person who wrote the config chose it, but what it allows is exactly its origin (scheme, host and
port), not its whole host: declaring ``http://127.0.0.1:18080/health`` must not let the agent probe
``http://127.0.0.1:80/admin`` or the MCP server's own port. A host or network listed in
``incident_response.allow_private_targets`` is allowed whole (every port), because that is what it says.
Redirects are checked hop by hop with the same rule. A human's own URLs on the command line use the
permissive policy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import httpx

from incident_mcp.config import CompanyConfig, Expectations
from incident_mcp.errors import ConfigError, TargetError
from incident_mcp.status.addresses import IPAddress, canonical_host, non_public_category, parse_ip
from incident_mcp.status.models import CheckTarget

MAX_URL_LENGTH = 2048
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_target_url(url: str) -> httpx.URL:
    """``url`` as an http(s) URL with a host, or a TargetError saying what is accepted."""
    if not isinstance(url, str) or not url.strip():
        raise TargetError("empty URL; expected http:// or https:// followed by a host")
    if len(url) > MAX_URL_LENGTH:
        raise TargetError(f"URL is {len(url)} characters; the limit is {MAX_URL_LENGTH}")
    if _UNSAFE.search(url.strip()):
        raise TargetError(f"URL {url[:80]!r} contains whitespace or control characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as err:
        raise TargetError(f"URL {url[:80]!r} does not parse: {err}") from None
    if parsed.scheme not in ("http", "https"):
        raise TargetError(f"URL {url[:80]!r}: only http:// and https:// can be checked")
    if not parsed.host:
        raise TargetError(f"URL {url[:80]!r} has no host")
    return parsed


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses a sweep may connect to; checked again at every connection, redirects included."""

    block_private: bool = True
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)
    allowed_origins: frozenset[Origin] = frozenset()

    @classmethod
    def permissive(cls) -> TargetPolicy:
        """Any address: for URLs a human typed on their own machine."""
        return cls(block_private=False)

    @classmethod
    def for_agent(cls, config: CompanyConfig | None) -> TargetPolicy:
        """Public addresses, plus declared service hosts and ``allow_private_targets``."""
        if config is None:
            return cls()
        section = config.incident_response
        origins = {origin_of(httpx.URL(s.url)) for s in section.services}
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for index, entry in enumerate(section.allow_private_targets):
            text = entry.strip()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            if not text or "/" in text or any(ch.isspace() for ch in text):
                raise ConfigError(f"{entry!r} is neither a host name, an IP address nor a CIDR network "
                                  "(e.g. 10.0.0.0/8)",
                                  field=f"incident_response.allow_private_targets[{index}]")
            hosts.add(canonical_host(text))
        return cls(block_private=True, allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks),
                   allowed_origins=frozenset(origins))

    def refusal(self, host: str, address: IPAddress, *, scheme: str | None = None,
                port: int | None = None) -> str | None:
        """Why connecting to ``address`` (resolved from ``host``, for ``scheme://host:port``) is refused, or None.

        A declared service's origin allows only that scheme, host and port; without both, it allows nothing.
        """
        if not self.block_private:
            return None
        category = non_public_category(address)
        if category is None:
            return None
        name = canonical_host(host)
        if self._allows(name, address, scheme=scheme, port=port):
            return None
        declared = sorted(f"{s}://{h}:{p}" for s, h, p in self.allowed_origins if h == name)
        if declared:
            return (f"{address} is a {category} address; on this host only the declared "
                    f"origin{'s' if len(declared) > 1 else ''} {', '.join(declared)} may be checked (a declared "
                    "service allows its scheme, host and port, not the whole host)")
        return (f"{address} is a {category} address; only services declared in incident_response.services "
                "(their exact scheme, host and port) or hosts in allow_private_targets may be private")

    def _allows(self, name: str, address: IPAddress, *, scheme: str | None, port: int | None) -> bool:
        """Whether a non-public ``address`` of host ``name`` is allowed: a listed host or network, or the
        exact declared origin (scheme, host and port)."""
        if name in self.allowed_hosts:
            return True
        if any(address.version == net.version and address in net for net in self.allowed_networks):
            return True
        return scheme is not None and port is not None and (scheme.lower(), name, port) in self.allowed_origins

    def literal_refusal(self, host: str, *, scheme: str | None = None, port: int | None = None) -> str | None:
        """The refusal for a host that spells an IP address (any spelling), without resolving names."""
        address = parse_ip(host)
        return self.refusal(host, address, scheme=scheme, port=port) if address is not None else None

    def url_refusal(self, url: httpx.URL) -> str | None:
        """The refusal for ``url`` when its host spells an IP address (names are checked once resolved)."""
        scheme, _host, port = origin_of(url)
        return self.literal_refusal(url.host, scheme=scheme, port=port)


Origin = tuple[str, str, int]  # (scheme, canonical host, port)


def origin_of(url: httpx.URL) -> Origin:
    """``url``'s origin as compared in the policy; the port defaults by scheme."""
    scheme = url.scheme.lower()
    return scheme, canonical_host(url.host), url.port or (443 if scheme == "https" else 80)


def service_targets(config: CompanyConfig, names: Sequence[str] | None = None) -> list[CheckTarget]:
    """Targets for the named services (default: the critical ones); unknown names are a ConfigError."""
    services = config.critical_services() if names is None else [config.service(n) for n in _unique(names)]
    return [CheckTarget(name=s.name, url=s.url, expect=s.expect, critical=s.critical, declared=True)
            for s in services]


def unchecked_services(config: CompanyConfig | None, targets: Sequence[CheckTarget]) -> list[str]:
    """Configured services a check left out (so "all operational" is not read as covering them)."""
    if config is None:
        return []
    checked = {t.name for t in targets}
    return [s.name for s in config.incident_response.services if s.name not in checked]


def url_targets(urls: Iterable[str], *, config: CompanyConfig | None = None,
                expect: Expectations | None = None) -> list[CheckTarget]:
    """Targets for ad-hoc URLs; a URL that is a configured service's URL checks as that service."""
    by_url = {s.url: s for s in config.incident_response.services} if config is not None else {}
    targets: list[CheckTarget] = []
    for url in _unique(urls):
        parse_target_url(url)
        service = by_url.get(url.strip())
        if service is not None:
            targets.append(CheckTarget(name=service.name, url=service.url, expect=service.expect,
                                       critical=service.critical, declared=True))
        else:
            targets.append(CheckTarget(name=url.strip(), url=url.strip(), expect=expect or Expectations()))
    return targets


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


MAX_AD_HOC_URLS = 50


def select_targets(config: CompanyConfig | None, services: Sequence[str] | None = None,
                   urls: Sequence[str] | None = None, *, max_urls: int | None = MAX_AD_HOC_URLS,
                   expect: Expectations | None = None) -> list[CheckTarget]:
    """What a status check probes: named services and URLs, or (neither given) the critical services."""
    if urls and max_urls is not None and len(urls) > max_urls:
        raise TargetError(f"{len(urls)} URLs given; at most {max_urls} ad-hoc URLs per check "
                          "(declare the rest in incident_response.services)")
    if services and config is None:
        raise TargetError("services can only be named with a company.config.yaml; pass urls instead")
    if not services and not urls:
        if config is None or not config.incident_response.services:
            raise TargetError("no services configured: add incident_response.services to company.config.yaml "
                              "(name, url, critical) or pass urls")
        return service_targets(config)
    targets = service_targets(config, services) if services and config is not None else []
    known = {t.url for t in targets}
    targets += [t for t in url_targets(urls or [], config=config, expect=expect) if t.url not in known]
    return targets
