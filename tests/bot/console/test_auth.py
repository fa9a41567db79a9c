"""Signed sessions, CSRF comparison and the sliding-window log-in limit."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.console.auth import (
    ALLOWED,
    BLOCKED,
    LOCKED_NOW,
    LoginLimits,
    RateLimit,
    Sessions,
    client_address,
    csrf_ok,
    parse_networks,
)


def test_a_session_round_trips_and_a_forged_one_is_none():
    sessions = Sessions("key")
    session = sessions.new("li.ming")
    cookie = sessions.dump(session)
    loaded = sessions.load(cookie)
    assert loaded is not None and loaded.user == "li.ming" and loaded.csrf == session.csrf
    assert Sessions("another key").load(cookie) is None
    assert sessions.load(cookie[:-3] + "abc") is None
    assert sessions.load("") is None and sessions.load(None) is None
    assert sessions.load(sessions.serializer.dumps(["not", "a", "dict"])) is None


def test_an_old_session_expires():
    sessions = Sessions("key", max_age=-1)
    assert sessions.load(sessions.dump(sessions.new("li.ming"))) is None


@pytest.mark.parametrize(
    ("token", "ok"), [("abc", True), ("abd", False), ("", False), (None, False), (3, False)]
)
def test_csrf_ok(token, ok):
    session = Sessions("key").new()
    session.csrf = "abc"
    assert csrf_ok(session, token) is ok
    assert csrf_ok(None, "abc") is False


def test_rate_limit_slides():
    now = [0.0]
    limit = RateLimit(3, 60, clock=lambda: now[0])
    for _ in range(3):
        assert not limit.blocked("k")
        limit.fail("k")
    assert limit.blocked("k") and not limit.blocked("other")
    now[0] = 59.0
    assert limit.blocked("k")
    now[0] = 60.5
    assert not limit.blocked("k")
    limit.fail("k")
    limit.reset("k")
    assert not limit.blocked("k")


def test_login_limits_count_names_case_insensitively():
    limits = LoginLimits(per_ip=RateLimit(100, 60), per_user=RateLimit(2, 60))
    limits.fail("1.2.3.4", "Li.Ming")
    limits.fail("5.6.7.8", "li.ming")
    assert limits.blocked("9.9.9.9", "LI.MING")
    limits.succeed("9.9.9.9", "li.ming")
    assert not limits.blocked("9.9.9.9", "li.ming")


def test_an_attempt_is_counted_before_its_password_is_checked():
    now = [0.0]
    limits = LoginLimits(
        per_ip=RateLimit(20, 900, clock=lambda: now[0]),
        per_user=RateLimit(5, 900, clock=lambda: now[0]),
    )
    verdicts = [limits.attempt("1.2.3.4", "li.ming") for _ in range(40)]  # before any check
    assert verdicts[:4] == [ALLOWED] * 4 and verdicts[4] == LOCKED_NOW
    assert verdicts[5:] == [BLOCKED] * 35
    now[0] = 901.0  # the lockout expires by itself
    assert limits.attempt("1.2.3.4", "li.ming") == ALLOWED
    limits.succeed("1.2.3.4", "li.ming")  # a right password takes its attempt back
    assert limits.attempt("1.2.3.4", "li.ming") == ALLOWED


TRUSTED = parse_networks("127.0.0.1, 10.0.0.0/8 ,::1")


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.9", ["1.1.1.1"], "203.0.113.9"),  # not a proxy: the header is ignored
        ("127.0.0.1", ["198.51.100.7"], "198.51.100.7"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.7, 10.1.2.3"], "198.51.100.7"),  # left is forgeable
        ("127.0.0.1", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),  # two headers, in order
        ("127.0.0.1", ["10.0.0.5, 10.0.0.6"], "10.0.0.5"),  # all trusted: the first
        ("127.0.0.1", ["not-an-address"], "127.0.0.1"),
        ("127.0.0.1", [], "127.0.0.1"),
        ("::1", ["2001:db8::1"], "2001:db8::1"),
        (None, ["1.1.1.1"], "unknown"),
    ],
)
def test_the_client_address_behind_trusted_proxies_only(remote, forwarded, client):
    assert client_address(remote, forwarded, TRUSTED) == client
    assert client_address(remote, forwarded, []) == (remote or "unknown")


@given(st.lists(st.text(max_size=60), max_size=4))
def test_any_forwarded_header_gives_an_address_or_the_proxy(headers):
    found = client_address("127.0.0.1", headers, TRUSTED)
    assert found == "127.0.0.1" or ipaddress.ip_address(found)
