"""Where a webhook may point: a public http(s) address, unless the deployment allows more.

A webhook URL is checked when it is registered and again at every delivery, once its host
name is resolved: each address it resolves to must be public — not loopback, private,
link-local (cloud metadata at 169.254.169.254 included), shared, multicast, reserved or
unspecified — or inside one of the networks of ``WEBHOOK_ALLOWED_NETWORKS``. A delivery
connects to the very address it checked, with the name in the ``Host`` header and in TLS
SNI (the certificate is verified against the name), so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot send the call elsewhere.
"""

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
SCHEMES = ("http", "https")


class RefusedTarget(ValueError):
    """A webhook URL this service will not call; the message says why."""


class UnresolvedTarget(RefusedTarget):
    """The host name does not resolve (now: it may later)."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvedTarget(f"its host name {host!r} does not resolve") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def why_not_public(address: IPAddress) -> str | None:
    """Why ``address`` is not a public one (``None`` if it is)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return why_not_public(address.ipv4_mapped)
    kinds = (
        ("an unspecified address", address.is_unspecified),
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
        ("a non-public address", not address.is_global),
    )
    return next((kind for kind, matches in kinds if matches), None)


def _refusal(address: IPAddress, allowed: Sequence[Network]) -> str | None:
    plain = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    if any(
        candidate.version == network.version and candidate in network
        for candidate in (address, plain)
        if candidate is not None
        for network in allowed
    ):
        return None
    reason = why_not_public(address)
    return None if reason is None else f"it points to {address}, {reason}"


@dataclass(frozen=True)
class Target:
    """A checked webhook: the URL with its host replaced by the checked address."""

    url: httpx.URL
    host_header: str
    sni_hostname: str | None


def check(url: str, *, allowed: Sequence[Network]) -> Target:
    """The address to call for ``url``; :class:`RefusedTarget` if it may not be called."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise RefusedTarget(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in SCHEMES:
        raise RefusedTarget("only http:// and https:// webhooks are called")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise RefusedTarget("the URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = resolve(host.strip("[]"), port)
    if not addresses:
        raise UnresolvedTarget(f"its host name {host!r} does not resolve")
    for address in addresses:
        reason = _refusal(address, allowed)
        if reason is not None:
            raise RefusedTarget(reason)
    return Target(
        url=parsed.copy_with(host=str(addresses[0])),
        host_header=parsed.netloc.decode("ascii"),
        sni_hostname=host if parsed.scheme == "https" else None,
    )
