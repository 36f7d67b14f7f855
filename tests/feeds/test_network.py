"""The allow-list (feeds/network.py): which addresses a feed may reach."""

import socket

import pytest

from feeds.network import AddressRefused, entry_parse, resolve_allowed
from feeds.services.feeds import allowed_host_add

pytestmark = pytest.mark.django_db


def allow(org, address, port=None):
    allowed_host_add(org=org, address=address, port=port, by=None)


def test_nothing_is_reachable_without_an_entry_and_no_name_is_looked_up(org, monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("a DNS look-up for a name no entry allows")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    allow(org, "erp.example.com")
    for host in ("127.0.0.1", "internal.example.com", "169.254.169.254"):
        with pytest.raises(AddressRefused, match="not on this organization's list"):
            resolve_allowed(org=org, host=host, port=5432)


def test_a_host_name_entry_never_leads_into_a_private_network(org):
    allow(org, "localhost")  # resolves to a loopback address
    with pytest.raises(AddressRefused, match="private, loopback or link-local"):
        resolve_allowed(org=org, host="localhost", port=80)
    allow(org, "127.0.0.0/8", port=80)  # named explicitly: reachable, on that port only
    assert resolve_allowed(org=org, host="localhost", port=80) == "127.0.0.1"
    with pytest.raises(AddressRefused):
        resolve_allowed(org=org, host="localhost", port=81)


def test_a_host_name_resolving_to_a_public_address_is_reached_at_that_address(org, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.9", port))
        ],
    )
    allow(org, "ERP.Example.com.")
    # 203.0.113.0/24 is a documentation network (not global): refused like a private one.
    with pytest.raises(AddressRefused, match="private"):
        resolve_allowed(org=org, host="erp.example.com", port=443)
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.4.4", port))],
    )
    assert resolve_allowed(org=org, host="erp.example.com", port=443) == "8.8.4.4"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("erp.example.com", ("erp.example.com", None)),
        ("10.1.2.3", (None, "10.1.2.3/32")),
        ("10.1.2.0/24", (None, "10.1.2.0/24")),
        ("[::1]", (None, "::1/128")),
    ],
)
def test_entries(address, expected):
    name, network = entry_parse(address)
    assert (name, str(network) if network else None) == expected


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("0.0.0.0/0", "too broad"),
        ("10.0.0.0/7", "too broad"),
        ("0.0.0.0", "never be reached"),
        ("224.0.0.1", "never be reached"),
        ("2130706433", "neither a host name"),
        ("erp_example", "neither a host name"),
        ("", "Enter a host name"),
    ],
)
def test_refused_entries(address, message):
    with pytest.raises(ValueError, match=message):
        entry_parse(address)
