"""Which addresses a feed may reach (no server-side request forgery).

A feed connects only to an address its organization's admin allow-listed
(feeds.models.AllowedHost). The host of a feed's address is resolved here, each address it
resolves to is checked, and the caller connects to the address that was checked (never
resolving the name again, so a DNS answer cannot change between the check and the
connection):

- an IP address or network entry (`10.0.0.0/8`, `127.0.0.1`) allows the addresses it
  covers, private, loopback and link-local ones included: reaching the company network is
  a deliberate entry naming it;
- a host name entry (`erp.example.com`) allows that name only while it resolves to public
  (global) addresses: a name cannot lead into the app's own network;
- a port on the entry limits it to that port; none allows any;
- unspecified (0.0.0.0, ::), multicast and reserved addresses are never reachable.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import AllowedHost

_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):
    """The address may not be reached; `message` says why (shown on the feed and its run)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AddressUnresolved(AddressRefused):
    """The host name does not resolve (now): possibly temporary."""


@dataclass(frozen=True)
class Entry:
    name: str | None  # a host name entry
    network: Network | None  # an IP or network entry
    port: int | None


def entry_parse(address: str) -> tuple[str | None, Network | None]:
    """A host name (lower case) or a network from an allow-list entry; ValueError with a
    message when it is neither, or too broad, or never reachable."""
    text = address.strip().lower().rstrip(".")
    if not text:
        raise ValueError(_("Enter a host name, an IP address or a network such as 10.0.0.0/24."))
    try:
        network = ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        if not _HOST_NAME.match(text) or text.replace(".", "").isdigit():
            raise ValueError(
                _("“%(value)s” is neither a host name, an IP address nor a network.")
                % {"value": address}
            ) from None
        return text, None
    minimum = 8 if network.version == 4 else 32
    if network.prefixlen < minimum:
        raise ValueError(
            _("The network %(value)s is too broad: name a network of /%(min)s or narrower.")
            % {"value": address, "min": minimum}
        )
    first = network.network_address
    if first.is_unspecified or first.is_multicast:
        raise ValueError(_("%(value)s can never be reached.") % {"value": address})
    return None, network


def _entries(org) -> list[Entry]:
    entries = []
    for row in AllowedHost.objects.for_org(org).only("address", "port"):
        try:
            name, network = entry_parse(row.address)
        except ValueError:
            continue  # refused when saved; an entry stored otherwise allows nothing
        entries.append(Entry(name=name, network=network, port=row.port))
    return entries


def _never(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_unspecified or ip.is_multicast or (ip.is_reserved and not ip.is_private)


def _allowed(entries: list[Entry], host: str, ip, port: int) -> bool:
    for entry in entries:
        if entry.port is not None and entry.port != port:
            continue
        if entry.network is not None and ip.version == entry.network.version:
            if ip in entry.network:
                return True
        elif entry.name is not None and entry.name == host and ip.is_global:
            return True
    return False


def resolve_allowed(*, org, host: str, port: int) -> str:
    """The IP address to connect to for `host:port`, one that the organization's allow-list
    allows; AddressRefused otherwise (AddressUnresolved when the name does not resolve)."""
    host = (host or "").strip().lower().rstrip(".").strip("[]")
    if not host:
        raise AddressRefused(_("The address has no host."))
    entries = _entries(org)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    # A name no entry could allow is refused without a DNS look-up (none goes out for it).
    if literal is None and not any(e.name == host or e.network for e in entries):
        raise _not_listed(host, port)
    ips = [literal] if literal is not None else _resolve(host, port)
    for ip in ips:
        if not _never(ip) and _allowed(entries, host, ip, port):
            return str(ip)
    if any(not ip.is_global for ip in ips) and any(e.name == host for e in entries):
        raise AddressRefused(
            _(
                "%(host)s resolves to %(ips)s, an address of a private, loopback or "
                "link-local network: add that address or its network to the allow-list to "
                "reach it."
            )
            % {"host": host, "ips": ", ".join(str(ip) for ip in ips)}
        )
    raise _not_listed(host, port)


def _resolve(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise AddressUnresolved(
            _("The host %(host)s cannot be found (%(error)s).") % {"host": host, "error": exc}
        ) from None
    ips: list = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in ips:
            ips.append(ip)
    return ips


def _not_listed(host: str, port: int) -> AddressRefused:
    return AddressRefused(
        _("%(host)s, port %(port)s, is not on this organization's list of allowed addresses.")
        % {"host": host, "port": port}
    )


def address_validate(*, org, host: str, port: int, field: str) -> None:
    """ValidationError on `field` unless the address is allowed now (forms and API)."""
    try:
        resolve_allowed(org=org, host=host, port=port)
    except AddressRefused as exc:
        raise ValidationError({field: [exc.message]}) from None
