"""What the agent may probe: every spelling of a private address is recognised, declared services and
allow-listed networks are let through, and nothing blocked ever gets a connection."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client

from incident_mcp.config import CompanyConfig, Expectations
from incident_mcp.errors import ConfigError, TargetError
from incident_mcp.server.app import build_server
from incident_mcp.status import CheckTarget, TargetPolicy, check_targets, select_targets
from incident_mcp.status.addresses import canonical_host, non_public_category, parse_ip, parse_ipv4_loose
from tests.support.http_fixtures import ServerFarm


@st.composite
def ipv4_spellings(draw: st.DrawFn) -> tuple[int, str]:
    """An IPv4 address and one of the ways a C resolver lets you write it (1–4 parts, dec/oct/hex)."""
    number = draw(st.integers(0, 2**32 - 1))
    parts = draw(st.integers(1, 4))
    octets = list(number.to_bytes(4, "big"))
    values = [*octets[: parts - 1], int.from_bytes(bytes(octets[parts - 1:]), "big")]
    spelled = []
    for value in values:
        style = draw(st.sampled_from(["dec", "oct", "hex", "HEX"]))
        spelled.append(str(value) if style == "dec" else f"0{value:o}" if style == "oct"
                       else f"0x{value:x}" if style == "hex" else f"0X{value:X}")
    return number, ".".join(spelled)


@given(ipv4_spellings())
def test_every_inet_aton_spelling_of_an_address_is_read_as_that_address(case: tuple[int, str]) -> None:
    number, spelled = case
    assert parse_ipv4_loose(spelled) == ipaddress.IPv4Address(number)
    assert socket.inet_aton(spelled) == number.to_bytes(4, "big")  # the resolver agrees


@given(st.text(alphabet="0123456789abcdefxX.", max_size=20))
def test_the_loose_parser_reads_what_the_resolver_reads(text: str) -> None:
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    parsed = parse_ipv4_loose(text)
    if expected is not None or not text.endswith("."):  # a trailing dot we read as the address (safer)
        assert parsed == expected


@pytest.mark.parametrize(("host", "category"), [
    ("127.0.0.1", "loopback"),
    ("127.1", "loopback"),
    ("2130706433", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("0177.0.0.1", "loopback"),
    ("localhost.", None),  # a name: decided after resolution, not here
    ("0.0.0.0", "unspecified"),
    ("10.0.0.5", "private"),
    ("172.16.9.9", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "cloud-metadata"),
    ("169.254.10.10", "link-local"),
    ("100.64.0.1", "cgnat"),
    ("100.100.100.200", "cloud-metadata"),
    ("224.0.0.1", "multicast"),
    ("192.0.2.10", "non-global"),
    ("::1", "loopback"),
    ("[::1]", "loopback"),
    ("fe80::1%eth0", "link-local"),
    ("fd00::1", "private"),
    ("fd00:ec2::254", "cloud-metadata"),
    ("::ffff:127.0.0.1", "loopback (embedded in ::ffff:7f00:1)"),
    ("::ffff:169.254.169.254", "cloud-metadata (embedded in ::ffff:a9fe:a9fe)"),
    ("2002:a9fe:a9fe::", "cloud-metadata (embedded in 2002:a9fe:a9fe::)"),
    ("64:ff9b::10.0.0.1", "private (embedded in 64:ff9b::a00:1)"),
    ("64:ff9b:1::7f00:1", "loopback (embedded in 64:ff9b:1::7f00:1)"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (embedded in 2001:0:4136:e378:8000:63bf:80ff:fffe)"),
    ("::127.0.0.1", "loopback (embedded in ::7f00:1)"),
    ("8.8.8.8", None),
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),
])
def test_addresses_are_classified_in_every_spelling(host: str, category: str | None) -> None:
    address = parse_ip(host)
    assert (non_public_category(address) if address is not None else None) == category


def test_hosts_compare_by_the_address_they_spell() -> None:
    assert canonical_host("2130706433") == canonical_host("127.0.0.1") == "127.0.0.1"
    assert canonical_host("[::FFFF:7F00:1]") == "::ffff:7f00:1"
    assert canonical_host("API.Example.com.") == "api.example.com"


def _config(services: list[dict[str, object]], allow: list[str] | None = None) -> CompanyConfig:
    return CompanyConfig.model_validate({"incident_response": {"services": services,
                                                               "allow_private_targets": allow or []}})


def test_the_agent_policy_allows_declared_origins_and_allow_listed_hosts_and_networks_only() -> None:
    policy = TargetPolicy.for_agent(_config([{"name": "api", "url": "http://10.0.0.7:8080/health"}],
                                            allow=["192.168.50.0/24", "db.internal", "fd12::1"]))
    loopback = ipaddress.ip_address("127.0.0.1")
    assert policy.refusal("10.0.0.7", ipaddress.ip_address("10.0.0.7"), scheme="http", port=8080) is None
    for scheme, port in (("http", 80), ("https", 8080), (None, 8080), ("http", None)):
        assert policy.refusal("10.0.0.7", ipaddress.ip_address("10.0.0.7"), scheme=scheme, port=port) is not None
    assert policy.refusal("db.internal", loopback) is None  # an allow-listed name, whatever it resolves to
    assert policy.refusal("printer", ipaddress.ip_address("192.168.50.20")) is None
    assert policy.refusal("x", ipaddress.ip_address("fd12::1")) is None
    assert policy.refusal("93.184.216.34", ipaddress.ip_address("93.184.216.34")) is None
    refusal = policy.refusal("evil.example", loopback)
    assert refusal is not None and "loopback" in refusal
    assert policy.refusal("10.0.0.8", ipaddress.ip_address("10.0.0.8")) is not None
    assert TargetPolicy.permissive().refusal("x", loopback) is None


def test_a_malformed_allow_list_entry_names_its_field() -> None:
    with pytest.raises(ConfigError, match=r"allow_private_targets\[1\].*neither a host name"):
        TargetPolicy.for_agent(_config([], allow=["10.0.0.0/8", "10.0.0.0/33"]))


def test_target_selection_defaults_to_critical_services_and_rejects_bad_input() -> None:
    config = _config([{"name": "web", "url": "https://app.example.com/", "critical": True},
                      {"name": "docs", "url": "https://docs.example.com/"}])
    assert [t.name for t in select_targets(config)] == ["web"]
    assert [t.name for t in select_targets(config, ["docs", "docs"])] == ["docs"]
    mixed = select_targets(config, ["web"], ["https://app.example.com/", "https://other.example.com/x"])
    assert [(t.name, t.declared) for t in mixed] == [("web", True), ("https://other.example.com/x", False)]
    with pytest.raises(ConfigError, match=r"unknown service 'nope'.*web, docs"):
        select_targets(config, ["nope"])
    for bad in ("ftp://example.com/", "http://", "javascript:alert(1)", "http://exa mple.com/", "x" * 3000,
                "http://127.000.000.001/", "file:///etc/passwd", "http://a\x00b/"):
        with pytest.raises(TargetError):
            select_targets(config, None, [bad])
    with pytest.raises(TargetError, match="at most 50"):
        select_targets(config, None, [f"https://e.example/{i}" for i in range(51)])
    with pytest.raises(TargetError, match="no services configured"):
        select_targets(_config([]))
    with pytest.raises(TargetError, match="services can only be named"):
        select_targets(None, ["web"])



@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "0x7f000001", "[::ffff:127.0.0.1]",
                                  "localhost", "127.0.0.1."])
def test_an_undeclared_loopback_url_is_blocked_before_any_connection(farm: ServerFarm, host: str) -> None:
    base = farm.serve()
    port = base.rsplit(":", 1)[1]
    before = farm.hits["/ok"]
    target = CheckTarget(name="x", url=f"http://{host}:{port}/ok", expect=Expectations(timeout_ms=2000))
    report = asyncio.run(check_targets([target], policy=TargetPolicy.for_agent(None)))
    result = report.services[0]
    assert (result.state, result.reason) == ("unknown", "blocked"), result.message
    assert "loopback" in result.message
    assert farm.hits["/ok"] == before


def test_a_declared_loopback_service_and_an_allow_listed_network_are_probed(farm: ServerFarm) -> None:
    base = farm.serve()
    port = base.rsplit(":", 1)[1]
    declared = TargetPolicy.for_agent(_config([{"name": "local", "url": f"http://127.0.0.1:{port}/ok"}]))
    allowed = TargetPolicy.for_agent(_config([], allow=["127.0.0.0/8"]))
    for policy in (declared, allowed):
        target = CheckTarget(name="x", url=f"http://127.0.0.1:{port}/ok", expect=Expectations(timeout_ms=2000))
        report = asyncio.run(check_targets([target], policy=policy))
        assert report.services[0].state == "up"


# ---- a declared service allows its origin (scheme, host, port), not its whole host ---------------------------


def _check(urls: list[str], policy: TargetPolicy) -> list[tuple[str, str, str]]:
    targets = [CheckTarget(name=u, url=u, expect=Expectations(timeout_ms=2000)) for u in urls]
    report = asyncio.run(check_targets(targets, policy=policy))
    return [(r.name, r.state, r.reason) for r in report.services]


def test_a_declared_service_allows_its_own_origin_and_no_other_port_scheme_or_spelling(farm: ServerFarm) -> None:
    declared_base, other_base = farm.serve(), farm.serve()
    port, other = declared_base.rsplit(":", 1)[1], other_base.rsplit(":", 1)[1]
    policy = TargetPolicy.for_agent(_config([{"name": "local", "url": f"http://127.0.0.1:{port}/health"}]))
    before = farm.hits["/ok"]
    same_origin = [f"http://127.0.0.1:{port}/ok", f"http://0x7f.1:{port}/ok", f"http://2130706433:{port}/ok"]
    assert [state for _, state, _ in _check(same_origin, policy)] == ["up"] * 3
    assert farm.hits["/ok"] == before + 3
    probes = [f"http://127.0.0.1:{other}/ok", f"http://0x7f.1:{other}/admin/delete?all=1",
              f"http://2130706433:{other}/ok", f"https://127.0.0.1:{port}/ok", "http://127.0.0.1:80/admin",
              f"http://localhost:{port}/ok"]
    results = _check(probes, policy)
    assert [(state, reason) for _, state, reason in results] == [("unknown", "blocked")] * len(probes), results
    assert farm.hits["/ok"] == before + 3


def test_a_redirect_from_a_declared_origin_to_another_port_of_the_host_is_not_followed(farm: ServerFarm) -> None:
    declared_base, other_base = farm.serve(), farm.serve()
    port, other = declared_base.rsplit(":", 1)[1], other_base.rsplit(":", 1)[1]
    policy = TargetPolicy.for_agent(_config([{"name": "local", "url": f"http://127.0.0.1:{port}/health"}]))
    before = farm.hits["/ok"]
    for spelled in ("127.0.0.1", "2130706433", "0x7f.1"):
        url = f"http://127.0.0.1:{port}/redirect?to=http://{spelled}:{other}/ok"
        [(_, state, reason)] = _check([url], policy)
        assert (state, reason) == ("unknown", "blocked")
    [(_, state, _)] = _check([f"http://127.0.0.1:{port}/redirect?to=/ok"], policy)
    assert state == "up"
    assert farm.hits["/ok"] == before + 1


def test_check_status_over_mcp_keeps_the_agent_to_the_declared_origin(farm: ServerFarm, tmp_path: Path) -> None:
    declared_base, other_base = farm.serve(), farm.serve()
    (tmp_path / "company.config.yaml").write_text(
        f"incident_response:\n  services:\n    - name: local\n      url: {declared_base}/ok\n", encoding="utf-8")

    async def run() -> Any:
        async with Client(build_server(str(tmp_path), read_only=True)) as client:
            return await client.call_tool("check_status", {"urls": [f"{declared_base}/ok", f"{other_base}/ok"]})

    result = asyncio.run(run())
    states = {s["name"]: (s["state"], s.get("reason")) for s in result.structured_content["services"]}
    assert states["local"][0] == "up"
    assert states[f"{other_base}/ok"] == ("unknown", "blocked")
