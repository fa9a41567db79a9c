"""Limits shared by the channels (channels/limits.py): the per-sender rate limit — in memory
and through a real Redis — and the body-size limit of the Telegram webhook."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, List

import aiohttp
import pytest

from bot.kb.load import load_knowledge
from bot.settings import get_settings
from channels.limits import RateLimiter, rate_limited
from tests.support.rest import Assistant, RestServer, send
from tests.support.telegram_fakes import (
    ChannelServer,
    FakeBotAPI,
    message_update,
    post,
    wait_until,
    webhook_channel,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL")
# shares Redis db 15 with the other Redis tests: one xdist worker with the servers' tests
pytestmark = pytest.mark.shared_redis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limit_settings(monkeypatch, channel_settings):
    for var in ("MAX_BODY_BYTES", "RATE_LIMIT_PER_MINUTE", "REDIS_URL", "KNOWLEDGE_DIR"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def polite() -> str:
    return load_knowledge().message("rate_limited")


# -- the counter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "per_minute, sent, allowed", [(1, 3, 1), (3, 3, 3), (3, 10, 3), (20, 25, 20)]
)
async def test_at_most_n_messages_a_minute(per_minute, sent, allowed):
    limiter = RateLimiter(per_minute, clock=Clock())
    results = [await limiter.allow("re_a") for _ in range(sent)]
    assert results == [True] * allowed + [False] * (sent - allowed)


async def test_each_sender_has_its_own_count_and_a_new_minute_starts_afresh():
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert [await limiter.allow("re_a") for _ in range(3)] == [True, True, False]
    assert await limiter.allow("re_b")
    clock.now += 59
    assert not await limiter.allow("re_a")
    clock.now += 1.5
    assert [await limiter.allow("re_a") for _ in range(3)] == [True, True, False]


async def test_zero_means_no_limit():
    limiter = RateLimiter(0, clock=Clock())
    assert all([await limiter.allow("re_a") for _ in range(100)])


async def test_memory_stays_bounded_under_many_senders():
    limiter = RateLimiter(5, maxsize=1000, clock=Clock())
    for number in range(10_000):
        await limiter.allow(f"re_{number}")
    assert len(limiter._counts) == 1000


async def test_an_unreachable_redis_falls_back_to_memory(caplog):
    limiter = RateLimiter(2, redis_url="redis://127.0.0.1:1/0", clock=Clock())
    try:
        assert [await limiter.allow("re_a") for _ in range(3)] == [True, True, False]
    finally:
        await limiter.close()
    assert "Redis unavailable (ConnectionError)" in caplog.text
    assert "127.0.0.1:1" not in caplog.text  # a URL may carry a password


@pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it when Redis answers)"
)
async def test_instances_share_the_count_through_redis():
    import redis

    sender = f"re_{uuid.uuid4().hex}"
    first, second = RateLimiter(3, redis_url=REDIS_URL), RateLimiter(3, redis_url=REDIS_URL)
    try:
        results = [await limiter.allow(sender) for limiter in (first, second, first, second)]
    finally:
        await first.close()
        await second.close()
    assert results == [True, True, True, False]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"ratelimit:{sender}:*"))
        assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= 120
        client.delete(*keys)
    finally:
        client.close()


# -- through the channels ----------------------------------------------------------------


async def test_rest_over_the_limit_gets_the_polite_reply_without_the_nlu(limit_settings):
    limit_settings.setenv("RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    assistant = Assistant()
    async with aiohttp.ClientSession() as http, RestServer(assistant) as server:
        replies = [
            await send(http, server.url, {"sender": "a", "message": f"问题{n}"}) for n in range(5)
        ]
        other = await send(http, server.url, {"sender": "b", "message": "截止时间"})
    assert [status for status, _ in replies] == [200] * 5
    assert [body[0]["text"] for _, body in replies[3:]] == [polite()] * 2
    assert [m.text for m in assistant.messages] == ["问题0", "问题1", "问题2", "截止时间"]
    assert other[1][0]["text"] == "收到：截止时间"


async def test_the_polite_reply_is_read_from_knowledge(limit_settings, tmp_path, knowledge_copy):
    messages = knowledge_copy / "messages.yml"
    text = messages.read_text(encoding="utf-8")
    shipped = "您发送消息的速度有点快，请稍等一分钟再继续提问，谢谢理解！"
    assert shipped in text
    messages.write_text(text.replace(shipped, "请慢一点。"), encoding="utf-8")
    limit_settings.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    get_settings.cache_clear()
    sent: List[Any] = []

    class Output:
        async def send_text_message(self, recipient: str, text: str) -> None:
            sent.append((recipient, text))

    async def nlu(message: Any) -> None:
        raise AssertionError("the NLU must not be called")

    from rasa.core.channels.channel import UserMessage

    handle = rate_limited(nlu, RateLimiter(1, clock=Clock()))
    await handle.limiter.allow("te_x")  # the one allowed message of this minute
    await handle(UserMessage("你好", Output(), "te_x"))
    assert sent == [("te_x", "请慢一点。")]


@pytest.fixture
def knowledge_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).resolve().parents[2] / "knowledge", target)
    return target


@pytest.fixture
async def bot_api():
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


async def test_telegram_over_the_limit_gets_the_polite_reply(limit_settings, bot_api):
    limit_settings.setenv("RATE_LIMIT_PER_MINUTE", "2")
    get_settings.cache_clear()
    assistant = Assistant()
    async with (
        aiohttp.ClientSession() as http,
        ChannelServer(webhook_channel(bot_api), assistant) as server,
    ):
        for number in range(4):
            assert await post(http, server, message_update(100 + number, f"问题{number}")) == 200
        await wait_until(lambda: len(bot_api.sent_texts()) == 4)
    assert [m.text for m in assistant.messages] == ["问题0", "问题1"]
    assert sorted(bot_api.sent_texts()).count(polite()) == 2


@pytest.mark.parametrize("size, status", [(2000, 200), (2001, 413), (200_000, 413)])
async def test_telegram_webhook_bodies_over_the_limit_get_413(
    limit_settings, bot_api, size, status
):
    limit_settings.setenv("MAX_BODY_BYTES", "2000")
    get_settings.cache_clear()
    assistant = Assistant()
    update = message_update(200, "")
    base = len(json.dumps(update).encode())
    update["message"]["text"] = "x" * (size - base)
    async with (
        aiohttp.ClientSession() as http,
        ChannelServer(webhook_channel(bot_api), assistant) as server,
    ):
        assert await post(http, server, update) == status
        if status == 200:
            await wait_until(lambda: assistant.messages)
    assert (assistant.messages != []) == (status == 200)
