"""The 5-second rule: retries, dedupe, the customer-service (客服消息) path and its fake API."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from channels.texts import channel_text
from channels.wechat.api import AsyncWeChatApi, make_client, session_storage
from channels.wechat.dedupe import TurnCache
from channels.wechat.messages import ASK_AGAIN_REPLY
from tests.support.wechat_fakes import (
    APPID,
    FakeBot,
    WeChatServer,
    make_channel,
    payload,
    reply_content,
    serve_channel,
)

pytestmark = pytest.mark.usefixtures("channel_settings")


def api_channel(fake, **kwargs):
    channel = make_channel(appid=APPID, secret="app-secret", api_base_url=fake.base_url, **kwargs)
    channel.rest_delay_seconds = 0.0
    return channel


async def test_retries_arriving_while_the_first_is_in_flight_reach_rasa_once():
    bot = FakeBot(delay=0.3)
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        body = payload("text.xml", content="报送地址在哪里", msg_id=777)
        first = asyncio.ensure_future(wechat.post(body))
        await asyncio.sleep(0.1)
        results = await asyncio.gather(first, wechat.post(body), wechat.post(body))
    assert len(bot.messages) == 1
    assert {reply_content(b) for _, b in results} == {"收到：报送地址在哪里"}


async def test_a_retry_after_the_answer_reuses_it():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        body = payload("text.xml", content="联系电话", msg_id=778)
        first, second = await wechat.post(body), await wechat.post(body)
    assert first == second and len(bot.messages) == 1


async def test_events_are_deduplicated_by_sender_and_create_time():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        click = payload("event.xml", event="CLICK", key="DEADLINE", now=1_700_000_000)
        await wechat.post(click)
        await wechat.post(click)
        await wechat.post(payload("event.xml", event="CLICK", key="DEADLINE", now=1_700_000_001))
        await wechat.post(
            payload("event.xml", event="CLICK", key="DEADLINE", now=1_700_000_000, openid="o_other")
        )
    assert len(bot.messages) == 3


async def test_a_slow_first_turn_is_answered_on_the_retry():
    bot = FakeBot(delay=0.5)
    async with serve_channel(make_channel(reply_budget_seconds=0.2), bot) as url:
        wechat = WeChatServer(url)
        body = payload("text.xml", content="截止时间", msg_id=779)
        started = time.monotonic()
        _, first = await wechat.post(body)
        assert time.monotonic() - started < 0.45  # answered within the budget, not after Rasa
        await asyncio.sleep(0.4)
        _, retry = await wechat.post(body)
    assert reply_content(first) == channel_text(
        ASK_AGAIN_REPLY
    )  # no AppSecret: never leave the user with nothing
    assert reply_content(retry) == "收到：截止时间" and len(bot.messages) == 1


async def test_a_slow_bot_is_answered_through_customer_service_messages(fake_wechat_api):
    bot = FakeBot(delay=0.5)
    channel = api_channel(fake_wechat_api, reply_budget_seconds=0.2)
    async with serve_channel(channel, bot) as url:
        wechat = WeChatServer(url)
        body = payload("text.xml", content="截止时间", msg_id=780, openid="o_slow")
        started = time.monotonic()
        status, first = await wechat.post(body)
        took = time.monotonic() - started
        status2, retry = await wechat.post(body)  # WeChat's retry while Rasa still works
        await fake_wechat_api.wait_for("send")
        await asyncio.sleep(0.2)
        _, late_retry = await wechat.post(body)
        await asyncio.sleep(0.1)
    assert (status, first, status2, retry, late_retry) == (
        200,
        "success",
        200,
        "success",
        "success",
    )
    assert took < 0.45
    [(_, query, sent)] = fake_wechat_api.named("send")
    assert sent == {"touser": "o_slow", "msgtype": "text", "text": {"content": "收到：截止时间"}}
    assert query["access_token"] == "ACCESS_TOKEN_1"
    [(_, token_query, _)] = fake_wechat_api.named("token")
    assert token_query == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": "app-secret",
    }
    assert len(bot.messages) == 1


async def test_access_token_is_fetched_once_and_reused(fake_wechat_api):
    channel = api_channel(fake_wechat_api, reply_budget_seconds=0.05)
    async with serve_channel(channel, FakeBot(delay=0.2)) as url:
        wechat = WeChatServer(url)
        await asyncio.gather(
            *(wechat.post(payload("text.xml", content=f"问题{i}")) for i in range(3))
        )
        await fake_wechat_api.wait_for("send", 3)
    assert len(fake_wechat_api.named("token")) == 1


async def test_customer_service_failure_is_logged_not_raised(fake_wechat_api, caplog):
    fake_wechat_api.send_errcode = 45015  # user has not talked to the account for 48 h
    channel = api_channel(fake_wechat_api, reply_budget_seconds=0.05)
    async with serve_channel(channel, FakeBot(delay=0.2)) as url:
        status, body = await WeChatServer(url).post(payload("text.xml", content="截止时间"))
        await fake_wechat_api.wait_for("send")
        await asyncio.sleep(0.1)
    assert (status, body) == (200, "success")
    assert any("客服消息 failed" in r.getMessage() for r in caplog.records)


async def test_an_overlong_answer_is_split_and_the_rest_sent_as_customer_service(fake_wechat_api):
    long_text = "\n".join(f"第{i}条：双创示范基地申报说明" for i in range(200))
    channel = api_channel(fake_wechat_api)
    async with serve_channel(channel, FakeBot(reply=[{"text": long_text}])) as url:
        _, body = await WeChatServer(url).post(payload("text.xml", content="全部"))
        await fake_wechat_api.wait_for("send")
        await asyncio.sleep(0.1)
    first = reply_content(body)
    rest = [sent["text"]["content"] for _, _, sent in fake_wechat_api.named("send")]
    assert all(len(p.encode("utf-8")) <= 2048 for p in [first, *rest])
    assert "\n".join([first, *rest]) == long_text


async def test_wechatpy_runs_off_the_event_loop(fake_wechat_api):
    api = AsyncWeChatApi(make_client(APPID, "app-secret", fake_wechat_api.base_url))
    threads = []
    real = api.client.message.send_text

    def spy(openid, text):
        threads.append(threading.current_thread())
        return real(openid, text)

    api.client.message.send_text = spy
    await api.send_text("o_x", "你好")
    api.close()
    assert threads and threads[0] is not threading.main_thread()
    assert fake_wechat_api.named("send")[0][2]["touser"] == "o_x"


def test_api_base_url_is_per_client_and_session_storage_follows_redis_url():
    from wechatpy import WeChatClient
    from wechatpy.session.memorystorage import MemoryStorage
    from wechatpy.session.redisstorage import RedisStorage

    client = make_client(APPID, "s", "http://127.0.0.1:1/fake/")
    assert client.API_BASE_URL == "http://127.0.0.1:1/fake/"
    assert WeChatClient.API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    assert isinstance(session_storage(None), MemoryStorage)
    assert isinstance(session_storage("redis://127.0.0.1:6399/0"), RedisStorage)  # connects lazily


async def test_dedupe_cache_is_bounded():
    cache = TurnCache(maxsize=50, ttl_seconds=600)

    async def answer():
        return "x"

    for i in range(500):
        cache.join_or_start(str(i), answer)
    assert len(cache) == 50
    _, started = cache.join_or_start("499", answer)
    assert started is False
    _, started = cache.join_or_start("0", answer)  # evicted long ago
    assert started is True
    await asyncio.sleep(0)
