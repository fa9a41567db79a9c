"""Query parameters typed by anyone: an answer (200, 400, 404), never a server error; the
client's address behind TRUSTED_PROXIES (``bot.settings.client_address``, as REST's)."""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import List, Optional

import pytest
from aiohttp import ClientTimeout, web
from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from bot.console.web import TRUSTED, client_ip
from bot.settings import parse_networks
from tests.support.tiers import examples

PAGES = ("/report", "/report.csv", "/review", "/audit", "/publish")
dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=30),
    st.integers().map(str),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    page=st.sampled_from(PAGES),
    since=dates,
    until=dates,
    extra=st.dictionaries(st.sampled_from(["result", "done", "x"]), st.text(max_size=30)),
)
async def test_fuzzed_query_parameters_never_make_a_server_error(staff, page, since, until, extra):
    query = urllib.parse.urlencode({"since": since, "until": until, **extra})
    response = await staff.get(f"{page}?{query}", timeout=ClientTimeout(total=30))
    assert response.status in (200, 400), (page, query)
    if response.status == 400:  # said in Chinese: which value, and what it should be
        html = await response.text()
        assert 'id="bad-request"' in html
        assert any(word in html for word in ("超出范围", "格式不对", "不存在"))


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(number=st.integers(min_value=0, max_value=10**30))
async def test_fuzzed_row_ids_never_make_a_server_error(staff, number):
    response = await staff.get(f"/conversation/{number}")
    assert response.status in (200, 400, 404)
    assert "编号" in await response.text()


# -- the client's address (log-in limits, audit) ----------------------------------------------

PROXIES = "127.0.0.1, 10.0.0.0/8 ,::1"


def _request(remote: Optional[str], forwarded: List[str], proxies: str) -> web.Request:
    app = web.Application()
    app[TRUSTED] = parse_networks(proxies)
    headers = CIMultiDict(("X-Forwarded-For", value) for value in forwarded)
    request = make_mocked_request("POST", "/login", headers=headers, app=app)
    return request.clone(remote=remote) if remote is not None else request


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
    assert client_ip(_request(remote, forwarded, PROXIES)) == client
    assert client_ip(_request(remote, forwarded, "")) == (remote or "unknown")


@given(st.lists(st.text(max_size=60), max_size=4))
def test_any_forwarded_header_gives_an_address_or_the_proxy(headers):
    found = client_ip(_request("127.0.0.1", headers, PROXIES))
    assert found == "127.0.0.1" or ipaddress.ip_address(found)
