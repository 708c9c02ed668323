"""IP allow-lists: parsing user input into networks and matching a peer address against them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from minance.keys.model import IpNetwork


class IpRuleError(ValueError):
    pass


def parse_networks(entries: Iterable[str]) -> tuple[str, ...]:
    """Normalise addresses and CIDR blocks (IPv4 and IPv6); raises IpRuleError on bad input."""
    out: list[str] = []
    for raw in entries:
        for part in raw.split(","):
            item = part.strip()
            if not item:
                continue
            try:
                net = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise IpRuleError(f"not an IP address or CIDR block: {item!r}") from None
            text = str(net)
            if text not in out:
                out.append(text)
    return tuple(out)


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped  # ::ffff:1.2.3.4 is the IPv4 peer 1.2.3.4
    return addr


def allowed(peer: str, networks: tuple[IpNetwork, ...]) -> bool:
    """True when there is no allow-list or the peer address is inside one of its networks."""
    if not networks:
        return True
    addr = parse_address(peer)
    if addr is None:
        return False
    return any(addr.version == net.version and addr in net for net in networks)
