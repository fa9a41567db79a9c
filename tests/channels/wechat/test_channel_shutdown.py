"""At shutdown, 客服消息 (customer-service replies) still going out are sent, within a bound.

The server is stopped the way Sanic stops it (before_server_stop listeners, then close),
with answers still on their way to the local fake WeChat API.
"""

from __future__ import annotations

import logging
import time

import pytest

from tests.support.wechat_fakes import (
    APPID,
    FakeBot,
    WeChatServer,
    make_channel,
    payload,
    serve_channel,
)

pytestmark = pytest.mark.usefixtures("channel_settings")


def api_channel(fake, **kwargs):
    kwargs.setdefault("reply_budget_seconds", 0.05)
    return make_channel(appid=APPID, secret="app-secret", api_base_url=fake.base_url, **kwargs)


async def test_pending_customer_service_replies_are_sent_before_stop(fake_wechat_api, caplog):
    caplog.set_level(logging.INFO, logger="channels.wechat.channel")
    bot = FakeBot(delay=0.5)
    channel = api_channel(fake_wechat_api)
    async with serve_channel(channel, bot) as url:
        wechat = WeChatServer(url)
        for i in range(3):
            status, body = await wechat.post(
                payload("text.xml", content=f"问题{i}", openid=f"o_{i}")
            )
            assert (status, body) == (200, "success")
        assert fake_wechat_api.named("send") == []  # the server stops while Rasa still answers
    sent = sorted(s["text"]["content"] for _, _, s in fake_wechat_api.named("send"))
    assert sent == ["收到：问题0", "收到：问题1", "收到：问题2"]
    assert not channel._background
    assert any("waiting up to" in r.getMessage() for r in caplog.records)


async def test_the_overflow_of_a_long_answer_is_sent_before_stop(fake_wechat_api):
    long_text = "\n".join(f"第{i}条：双创示范基地申报说明" for i in range(200))
    channel = api_channel(fake_wechat_api, reply_budget_seconds=4.5)
    channel.rest_delay_seconds = 0.3  # the overflow waits for the passive reply to land
    async with serve_channel(channel, FakeBot(reply=[{"text": long_text}])) as url:
        status, _ = await WeChatServer(url).post(payload("text.xml", content="全部"))
        assert status == 200 and fake_wechat_api.named("send") == []
    assert len(fake_wechat_api.named("send")) >= 1


async def test_draining_is_bounded(fake_wechat_api, caplog):
    channel = api_channel(fake_wechat_api, drain_seconds=0.3)
    started = None
    async with serve_channel(channel, FakeBot(delay=30)) as url:
        status, body = await WeChatServer(url).post(payload("text.xml", content="很慢的问题"))
        assert (status, body) == (200, "success")
        started = time.monotonic()
    assert time.monotonic() - started < 3
    assert fake_wechat_api.named("send") == []
    assert any("1 客服消息 not sent before shutdown" in r.getMessage() for r in caplog.records)


async def test_nothing_pending_stops_at_once(fake_wechat_api):
    channel = api_channel(fake_wechat_api)
    async with serve_channel(channel, FakeBot()) as url:
        await WeChatServer(url).post(payload("text.xml", content="快"))
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
