"""Which network addresses bastion may fetch from: public ones, and those the operator allows.

A URL from a user must not make the service reach into its own network (server-side request
forgery): its loopback, private ranges, the cloud metadata service at 169.254.169.254, or any
other address that is not globally routable. The tables below follow the IANA special-purpose
address registries and are written out rather than taken from `ipaddress`'s `is_global`,
whose answers have changed between Python releases.

Everything here is pure: no name is resolved and nothing is connected to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from bastion.errors import ConfigurationError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_REFUSED_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(cidr), name)
    for cidr, name in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),  # includes the cloud metadata service
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_REFUSED_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(cidr), name)
    for cidr, name in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "private"),  # local-use NAT64 prefix
        ("100::/64", "reserved"),  # discard-only
        ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo included
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

# IPv6 forms that carry an IPv4 address in their low 32 bits (6to4 is handled by `sixtofour`).
_NAT64 = IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = IPv6Network("::/96")
# Outside global unicast, no IPv6 address is public (NAT64 apart, checked through its IPv4).
_GLOBAL_UNICAST = IPv6Network("2000::/3")


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The operator's allowed networks; a malformed entry is a configuration error."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ip_network(cidr))
        except ValueError as e:
            raise ConfigurationError(f"allowed network {cidr!r} is not a valid CIDR: {e}") from None
    return tuple(networks)


def parse_address(text: str) -> Address:
    """An address as a resolver spells it; IPv4-mapped IPv6 becomes the IPv4 it maps.

    The mapped form reaches the same host as the IPv4 address, so the allow-list and the
    connection treat it as that address. Raises ValueError when `text` is not an address.
    """
    address = ip_address(text)
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def host_address(host: str) -> Address | None:
    """The address a URL's (lowercased) host spells literally, or None for a DNS name.

    A host whose last label is a number is an IPv4 address to the OS resolver, which also
    reads decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1) and short (127.1) forms,
    and some of those differently on different systems. Only the canonical dotted quad is
    accepted: anything else numeric raises ValueError rather than being guessed at.
    """
    if ":" in host:
        return parse_address(host)  # IPv6 literals cannot be confused with names
    last_label = host.removesuffix(".").rpartition(".")[2]
    if not (last_label.isdigit() or last_label.startswith("0x")):
        return None
    address = IPv4Address(host)  # rejects every non-canonical spelling
    if str(address) != host:
        raise ValueError(f"{host!r} is not a canonical IPv4 address")
    return address


def refused_class(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why `address` may not be fetched from ("loopback", "private"...), or None if it may.

    Addresses inside an `allowed` network are always accepted: that is how an operator
    opts in to fetching from an internal media server.
    """
    if any(address in network for network in allowed):
        return None
    if isinstance(address, IPv4Address):
        return next((name for network, name in _REFUSED_V4 if address in network), None)
    if address.ipv4_mapped is not None:
        return refused_class(address.ipv4_mapped, allowed)
    name = next((name for network, name in _REFUSED_V6 if address in network), None)
    if name is not None:
        return name
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        ipv4, form = embedded
        inner = refused_class(ipv4)
        if inner is not None:
            return f"{inner} via {form}"
        if address in _NAT64:
            return None
    return None if address in _GLOBAL_UNICAST else "reserved"


def _embedded_ipv4(address: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address a 6to4, NAT64 or IPv4-compatible address routes to, if any."""
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    for network, form in ((_NAT64, "NAT64"), (_IPV4_COMPATIBLE, "IPv4-compatible")):
        if address in network:
            return IPv4Address(int(address) & 0xFFFF_FFFF), form
    return None
