"""Per-process memories that several instances share through Redis: the WeChat turn cache
(MsgId dedupe and in-flight join) and Telegram's update dedupe. Without Redis, or while it
does not answer, each instance keeps its own memory."""

from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp
import pytest

from channels.telegram import TelegramInput
from channels.telegram_updates import SeenUpdates, SharedSeenUpdates, make_seen_updates
from channels.wechat_dedupe import TurnCache, make_turn_cache
from tests.support.telegram_fakes import SECRET, TOKEN, ChannelServer, FakeBotAPI, message_update

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it)")


@pytest.mark.parametrize("url", [None, ""])
def test_without_redis_the_turn_cache_is_memory(url):
    cache = make_turn_cache("t", url)
    assert type(cache) is TurnCache


async def test_an_unreachable_redis_falls_back_to_answering_here(caplog):
    cache = make_turn_cache("t", "redis://127.0.0.1:1/0")  # nothing listens on port 1

    async def answer():
        return "本机回答"

    try:
        turn, _ = cache.join_or_start(("o_x", "1"), answer)
        assert await asyncio.wait_for(turn.task, 10) == "本机回答"
        again, started = cache.join_or_start(("o_x", "1"), answer)
        assert again is turn and started is False
    finally:
        await cache.close()
    assert "turn cache in Redis unavailable" in caplog.text


@pytest.mark.parametrize(
    "token, url", [(None, "redis://127.0.0.1:6379/0"), ("1:x", None), ("1:x", "")]
)
def test_without_redis_or_token_telegram_updates_are_remembered_in_memory(token, url):
    assert type(make_seen_updates(token, url)) is SeenUpdates


async def test_telegram_falls_back_to_memory_when_redis_does_not_answer(caplog):
    seen = make_seen_updates("1:x", "redis://127.0.0.1:1/0")
    try:
        assert seen.add(5) is True and seen.add(5) is False
        assert await seen.claim(5) is True  # Redis away: this instance's memory decides
    finally:
        await seen.close()
    assert "update memory in Redis unavailable" in caplog.text


@pytest.fixture
async def api():
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


class Assistant:
    def __init__(self) -> None:
        self.texts: list = []

    async def __call__(self, message) -> None:
        self.texts.append(message.text)
        await message.output_channel.send_response(
            message.sender_id, {"text": f"收到：{message.text}"}
        )


def _channel(api) -> TelegramInput:
    return TelegramInput(
        token=TOKEN,
        secret_token=SECRET,
        webhook_url="https://assistant.example.test/webhooks/telegram/webhook",
        base_url=api.base_url,
        redis_url=REDIS_URL,
    )


@needs_redis
@pytest.mark.usefixtures("channel_settings")
async def test_one_telegram_update_delivered_to_two_instances_is_processed_once(api):
    import redis

    update_id = int(uuid.uuid4().int % 10**9)
    first_assistant, second_assistant = Assistant(), Assistant()
    first, second = _channel(api), _channel(api)
    assert isinstance(first._seen, SharedSeenUpdates)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        ChannelServer(first, first_assistant) as one,
        ChannelServer(second, second_assistant) as two,
        aiohttp.ClientSession() as http,
    ):
        posts = [
            http.post(
                f"{server.url}/webhook", json=message_update(update_id, "截止时间"), headers=headers
            )
            for server in (one, two, one, two)
        ]
        statuses = []
        for response in await asyncio.gather(*posts):
            statuses.append(response.status)
            response.release()
        await http.post(
            f"{two.url}/webhook", json=message_update(update_id + 1, "联系电话"), headers=headers
        )
        for _ in range(100):
            if len(api.sent()) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
    assert statuses == [200] * 4
    assert sorted(first_assistant.texts + second_assistant.texts) == ["截止时间", "联系电话"]
    assert len(api.sent()) == 2
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(first._seen.prefix + "*"))
    assert len(keys) == 2 and all(0 < client.ttl(k) <= 24 * 3600 for k in keys)
    assert not any(TOKEN.encode() in k for k in keys)
    client.delete(*keys)
    client.close()
