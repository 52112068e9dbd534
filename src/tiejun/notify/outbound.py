"""Where a robot or webhook may post: http(s) only, and never to this machine or the private
network behind it (loopback, link-local such as a cloud's metadata service at 169.254.169.254,
private, shared and reserved ranges), unless the operator lists the host in
``TIEJUN_OUTBOUND_ALLOW_HOSTS``.

The check looks at the *resolved* addresses, since a public name can point at 127.0.0.1, and the
caller connects to exactly the address that passed, so the name cannot be re-pointed between the
check and the connection. No Django here: the caller passes the allow list.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class OutboundRefused(ValueError):
    """The target can never be posted to: ``reason`` is ``scheme``, ``host`` or ``private``."""

    def __init__(self, reason: str, host: str = "", address: str = "") -> None:
        super().__init__(f"outbound target refused ({reason}): {host} {address}".strip())
        self.reason, self.host, self.address = reason, host, address


class OutboundUnresolved(OSError):
    """The host name does not resolve now; it may later."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower-case, without brackets
    port: int
    addresses: tuple[str, ...]  # the checked addresses to connect to; empty: an allowed host
    allowed: bool


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundUnresolved(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def _networks(allow: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in allow:
        if "/" not in entry:
            continue  # a host name or a single address: it allows that host in a URL, no more
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            continue
    return networks


def check_target(
    url: str, *, allow_hosts: Iterable[str] = (), resolver: Resolver = resolve
) -> Target:
    """Check that ``url`` may be posted to; raise ``OutboundRefused`` (never) or
    ``OutboundUnresolved`` (not now)."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    if scheme not in SCHEMES:
        raise OutboundRefused("scheme", host=scheme)
    try:
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:  # a port that is not a number or out of range
        raise OutboundRefused("host", host=parts.netloc) from exc
    if not host:
        raise OutboundRefused("host")
    allow = [a.strip().lower() for a in allow_hosts if a.strip()]
    if host in allow or f"[{host}]" in allow:
        return Target(scheme, host, port, (), True)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    found = [str(literal)] if literal is not None else resolver(host, port)
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise OutboundUnresolved(f"cannot resolve {host}")
    networks = _networks(allow)
    for address in addresses:
        if not is_public(address) and not any(address in n for n in networks):
            raise OutboundRefused("private", host=host, address=str(address))
    return Target(scheme, host, port, tuple(str(a) for a in addresses), False)
