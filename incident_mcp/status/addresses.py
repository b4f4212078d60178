"""Which IP addresses a status check may reach: every spelling of an address, and why one is not public.

Attackers hide loopback and metadata addresses behind spellings that ``ipaddress`` does not parse
(``2130706433``, ``0x7f.1``, ``0177.0.0.1``) and behind IPv6 forms that embed an IPv4 address
(``::ffff:127.0.0.1``, 6to4 ``2002:7f00:1::``, NAT64 ``64:ff9b::7f00:1``, Teredo). We resolve all of
them to the address a socket would really reach before deciding.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Most specific first: the first match names the category in messages.
_V4_CATEGORIES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("169.254.169.254/32"), "cloud-metadata"),
    (_V4("169.254.170.2/32"), "cloud-metadata"),  # AWS ECS task metadata
    (_V4("100.100.100.200/32"), "cloud-metadata"),  # Alibaba Cloud
    (_V4("192.0.0.192/32"), "cloud-metadata"),  # Oracle Cloud
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("100.64.0.0/10"), "cgnat"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_V6_CATEGORIES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("fd00:ec2::254/128"), "cloud-metadata"),  # AWS IMDS over IPv6
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "private"),  # deprecated site-local
    (_V6("fc00::/7"), "private"),  # unique local
    (_V6("ff00::/8"), "multicast"),
)

_NAT64 = (_V6("64:ff9b::/96"), _V6("64:ff9b:1::/48"))
_SIXTOFOUR = _V6("2002::/16")
_TEREDO = _V6("2001::/32")
_V4_COMPATIBLE = _V6("::/96")

_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


def _part_value(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:], 16)
    return int(part, 8) if part.startswith("0") else int(part)


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a C resolver (``inet_aton``) reads from ``host``, or None if it is a name.

    Accepts 1–4 dot-separated parts in decimal, octal (leading 0) or hex (0x), the last part filling
    the remaining bytes: ``127.1``, ``0x7f.0.0.1``, ``017700000001``, ``2130706433`` are all 127.0.0.1.
    """
    text = host.strip().rstrip(".")
    parts = text.split(".")
    if not text or len(parts) > 4 or not all(_PART.fullmatch(p) for p in parts):
        return None
    values = [_part_value(p) for p in parts]
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number << 8 | value
    number = number << (8 * (4 - len(head))) | last
    return ipaddress.IPv4Address(number)


def parse_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells (IPv6 with or without brackets and zone, any IPv4 spelling), or None."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4_loose(text)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a packet to this IPv6 address may really reach (mapped, 6to4, NAT64, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIXTOFOUR:
        return address.sixtofour
    if address in _TEREDO and address.teredo is not None:
        return address.teredo[1]  # the client's address; the server part is a public relay
    if address in _V4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_category(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address ('loopback', 'cloud-metadata', …), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            category = non_public_category(inner)
            return f"{category} (embedded in {address})" if category else None
        for network6, name in _V6_CATEGORIES:
            if address in network6:
                return name
    else:
        for network4, name in _V4_CATEGORIES:
            if address in network4:
                return name
    if not address.is_global:
        return "non-global"  # documentation, benchmarking, shared and other special-purpose ranges
    return None


def canonical_host(host: str) -> str:
    """A host as compared in allow lists: lower-case name without trailing dot, or the address it spells."""
    address = parse_ip(host)
    if address is not None:
        return str(address)
    return host.strip().strip("[]").rstrip(".").lower()
