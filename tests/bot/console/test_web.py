"""Query parameters typed by anyone: an answer (200, 400, 404), never a server error."""

from __future__ import annotations

import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAGES = ("/report", "/report.csv", "/review", "/audit", "/publish")
dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=30),
    st.integers().map(str),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.sampled_from(PAGES),
    since=dates,
    until=dates,
    extra=st.dictionaries(st.sampled_from(["result", "done", "x"]), st.text(max_size=30)),
)
async def test_fuzzed_query_parameters_never_make_a_server_error(staff, page, since, until, extra):
    query = urllib.parse.urlencode({"since": since, "until": until, **extra})
    response = await staff.get(f"{page}?{query}")
    assert response.status in (200, 400), (page, query)
    if response.status == 400:
        assert "超出范围" in await response.text() or "格式不对" in await response.text()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.integers(min_value=0, max_value=10**30))
async def test_fuzzed_row_ids_never_make_a_server_error(staff, number):
    response = await staff.get(f"/conversation/{number}")
    assert response.status in (200, 400, 404)
    assert "编号" in await response.text()
