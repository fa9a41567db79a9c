"""The AppSecret and the access token never reach the log, however the WeChat API fails.

The API is driven to fail for real: a port nobody listens on, and the local fake API
answering HTTP 500. Everything logged (every logger, DEBUG up, with tracebacks) is read.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from channels.wechat.api import AsyncWeChatApi, WeChatApiError, make_client, redact
from tests.support.wechat_fakes import (
    APPID,
    FakeBot,
    WeChatServer,
    free_socket,
    make_channel,
    payload,
    serve_channel,
)

pytestmark = pytest.mark.usefixtures("channel_settings")

SECRET = "AppSecret0123456789abcdefSECRET"
SEEDED_TOKEN = "SEEDED_ACCESS_TOKEN_4f9a1c"
FAKE_TOKEN = "ACCESS_TOKEN_1"  # what the fake API hands out


@pytest.fixture
def closed_port():
    sock = free_socket()  # bound but not listening: every connection is refused
    yield sock.getsockname()[1]
    sock.close()


def assert_nothing_secret(caplog, *secrets: str) -> None:
    handler_text = caplog.text  # formatted lines, tracebacks included
    records = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    for secret in secrets:
        assert secret not in handler_text
        assert not any(secret in text for text in records)


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "Max retries exceeded with url: /cgi-bin/token?grant_type=client_credential"
            "&appid=wx1&secret=S3CR3T (Caused by X)",
            "Max retries exceeded with url: /cgi-bin/token?[redacted] (Caused by X)",
        ),
        (
            "500 Server Error: x for url: http://h/cgi-bin/message/custom/send?access_token=T0K",
            "500 Server Error: x for url: http://h/cgi-bin/message/custom/send?[redacted]",
        ),
        (
            '"POST /cgi-bin/menu/create?access_token=abc HTTP/1.1" 200 27',
            '"POST /cgi-bin/menu/create?[redacted] HTTP/1.1" 200 27',
        ),
        ("params {'secret=': 1} secret=abcdef", "params {'secret=': 1} secret=[redacted]"),
        ("AppSecret=zzz&x=1", "AppSecret=[redacted]&x=1"),
        ("no url here: what? yes.", "no url here: what? yes."),
        ("", ""),
    ],
)
def test_redact_removes_query_strings_and_secret_pairs(text, expected):
    assert redact(text) == expected


def test_redact_removes_known_secret_values_anywhere():
    assert (
        redact(f"token {SEEDED_TOKEN} and {SECRET}!", [SEEDED_TOKEN, SECRET, None, ""])
        == "token [redacted] and [redacted]!"
    )


async def test_unreachable_api_logs_no_secret(closed_port, caplog):
    """Token fetch fails: the AppSecret is in its URL. 客服消息 path, as in production."""
    caplog.set_level(logging.DEBUG)
    channel = make_channel(
        appid=APPID,
        secret=SECRET,
        reply_budget_seconds=0.05,
        api_base_url=f"http://127.0.0.1:{closed_port}/cgi-bin/",
    )
    async with serve_channel(channel, FakeBot(delay=0.2)) as url:
        status, body = await WeChatServer(url).post(payload("text.xml", content="截止时间"))
        await asyncio.sleep(0.6)
    assert (status, body) == (200, "success")
    failures = [r for r in caplog.records if "客服消息 failed" in r.getMessage()]
    assert failures and "ConnectionError" in failures[0].getMessage()
    assert_nothing_secret(caplog, SECRET)


async def test_unreachable_api_with_a_token_logs_no_token(closed_port, caplog):
    """The token is known (e.g. shared through Redis) but the send fails: it is in the URL."""
    caplog.set_level(logging.DEBUG)
    api = AsyncWeChatApi(make_client(APPID, SECRET, f"http://127.0.0.1:{closed_port}/cgi-bin/"))
    api.client.session.set(api.client.access_token_key, SEEDED_TOKEN, 7200)
    try:
        with pytest.raises(WeChatApiError) as caught:
            await api.send_text("o_x", "你好")
        logging.getLogger("channels.wechat.channel").exception(
            "wechat: 客服消息 failed: %s", caught.value
        )
    finally:
        api.close()
    assert "ConnectionError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_nothing_secret(caplog, SEEDED_TOKEN, SECRET)


@pytest.mark.parametrize("failing", ["token", "send"])
async def test_http_errors_from_the_api_log_no_secret(failing, fake_wechat_api, caplog):
    caplog.set_level(logging.DEBUG)
    setattr(fake_wechat_api, f"{failing}_status", 500)
    channel = make_channel(
        appid=APPID, secret=SECRET, reply_budget_seconds=0.05, api_base_url=fake_wechat_api.base_url
    )
    async with serve_channel(channel, FakeBot(delay=0.2)) as url:
        await WeChatServer(url).post(payload("text.xml", content="截止时间"))
        await fake_wechat_api.wait_for(failing)
        await asyncio.sleep(0.2)
    failures = [r.getMessage() for r in caplog.records if "客服消息 failed" in r.getMessage()]
    assert failures and "HTTP 500" in failures[0]
    # urllib3's DEBUG line for the request was logged, without its query string
    assert any(
        "cgi-bin/" in r.getMessage() and "[redacted]" in r.getMessage()
        for r in caplog.records
        if r.name.startswith("urllib3")
    )
    assert_nothing_secret(caplog, SECRET, FAKE_TOKEN)


async def test_an_api_error_code_keeps_its_code_and_message(fake_wechat_api):
    fake_wechat_api.send_errcode = 45015
    api = AsyncWeChatApi(make_client(APPID, SECRET, fake_wechat_api.base_url))
    try:
        with pytest.raises(WeChatApiError) as caught:
            await api.send_text("o_x", "你好")
    finally:
        api.close()
    assert caught.value.errcode == 45015 and "fake failure" in str(caught.value)
