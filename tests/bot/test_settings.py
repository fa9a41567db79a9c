"""bot/settings.py: TRUSTED_PROXIES and the client address behind them (shared by REST's
per-address limit and the console)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import Settings, client_address, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8, ::1")


@pytest.mark.parametrize(
    "peer, forwarded, client",
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy of ours: header ignored
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "1.1.1.1, 198.51.100.7", "198.51.100.7"),  # the client chose 1.1.1.1
        ("127.0.0.1", "198.51.100.7, 10.2.3.4", "198.51.100.7"),  # through two of ours
        ("127.0.0.1", "10.0.0.5, 10.2.3.4", "10.0.0.5"),  # all ours: the farthest
        ("127.0.0.1", "garbage, 10.2.3.4", "10.2.3.4"),  # a bad entry: the proxy that sent it
        ("127.0.0.1", "", "127.0.0.1"),
        ("::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("not an address", "198.51.100.7", "not an address"),
    ],
)
def test_the_client_address(peer, forwarded, client):
    assert client_address(peer, forwarded, PROXIES) == client


ADDRESSES = st.ip_addresses().map(str)


@given(peer=ADDRESSES, forwarded=st.lists(ADDRESSES | st.text(max_size=8), max_size=5))
def test_a_client_that_is_no_trusted_proxy_cannot_choose_its_address(peer, forwarded):
    address = ipaddress.ip_address(peer)
    if any(address in network for network in PROXIES) or getattr(address, "ipv4_mapped", None):
        return
    assert client_address(peer, ",".join(forwarded), PROXIES) == str(address)


@given(forwarded=st.lists(ADDRESSES, min_size=1, max_size=5))
def test_without_trusted_proxies_the_header_means_nothing(forwarded):
    assert client_address("127.0.0.1", ",".join(forwarded), []) == "127.0.0.1"


def test_trusted_proxies_is_one_comma_separated_setting(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ,fd00::/8")
    networks = Settings().trusted_proxy_networks()
    assert [str(n) for n in networks] == ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
    with pytest.raises(ValueError, match="proxy.example"):
        Settings()
