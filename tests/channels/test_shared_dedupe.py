"""Per-process memories that several instances share through Redis: the WeChat turn cache
(MsgId dedupe and in-flight join) and Telegram's update dedupe. Without Redis, or while it
does not answer, each instance keeps its own memory."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import aiohttp
import pytest

from channels.telegram.channel import TelegramInput
from channels.telegram.updates import SeenUpdates, SharedSeenUpdates, make_seen_updates
from channels.wechat.dedupe import TurnCache, make_turn_cache
from tests.support.telegram_fakes import SECRET, TOKEN, ChannelServer, FakeBotAPI, message_update

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it)")
# shares Redis db 15 and claim lifetimes of a second: one xdist worker with the servers' tests
pytestmark = pytest.mark.shared_redis


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
    own_updates = (f":{update_id}".encode(), f":{update_id + 1}".encode())
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
    # this test's two updates (other tests of the same bot token may run at the same time)
    keys = [k for k in client.scan_iter(first._seen.prefix + "*") if k.endswith(own_updates)]
    assert len(keys) == 2 and all(0 < client.ttl(k) <= 24 * 3600 for k in keys)
    assert not any(TOKEN.encode() in k for k in client.scan_iter(first._seen.prefix + "*"))
    client.delete(*keys)
    client.close()


def _fast(channel: TelegramInput, claim_seconds: float) -> TelegramInput:
    channel._seen.claim_seconds = claim_seconds
    channel._seen.claim_ms = round(claim_seconds * 1000)
    return channel


def _forget(namespace_of: SharedSeenUpdates, *update_ids: int) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for update_id in update_ids:
        client.delete(*namespace_of._keys(update_id)[:2])
        client.hdel(namespace_of.pending_key, update_id)
    client.close()


@needs_redis
@pytest.mark.usefixtures("channel_settings")
async def test_an_update_whose_instance_died_before_answering_is_taken_over_once(api):
    """The dead instance claimed the update (and answered the webhook 200), then died: its
    claim lapses, another instance's sweep answers it — once, though Telegram (or nginx)
    delivers it to that instance again meanwhile."""
    update_id = int(uuid.uuid4().int % 10**9)
    update = message_update(update_id, "截止时间")
    dead = SharedSeenUpdates(REDIS_URL, namespace=TOKEN, claim_seconds=1)
    assert await dead.claim(update_id, json.dumps(update)) is True  # then the process died
    await dead.close()
    assistant = Assistant()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with (
            ChannelServer(_fast(_channel(api), 1), assistant) as alive,
            aiohttp.ClientSession() as http,
        ):
            async with http.post(f"{alive.url}/webhook", json=update, headers=headers) as again:
                assert again.status == 200  # acknowledged: the update is someone's already
            for _ in range(100):
                if api.sent():
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.2)  # another sweep: nothing is answered twice
            assert await alive.channel._seen.orphans() == []
        assert assistant.texts == ["截止时间"] and len(api.sent()) == 1
    finally:
        _forget(dead, update_id)


@needs_redis
@pytest.mark.usefixtures("channel_settings")
async def test_a_slow_answer_keeps_its_claim_and_is_not_taken_over(api):
    update_id = int(uuid.uuid4().int % 10**9)

    async def slow(message) -> None:
        await asyncio.sleep(2.5)  # two and a half claim lifetimes: the heartbeat renews it
        await message.output_channel.send_response(message.sender_id, {"text": "慢慢答"})

    other = Assistant()
    first, second = _fast(_channel(api), 1), _fast(_channel(api), 1)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with (
            ChannelServer(first, slow) as one,
            ChannelServer(second, other),
            aiohttp.ClientSession() as http,
        ):
            update = message_update(update_id, "联系电话")
            async with http.post(f"{one.url}/webhook", json=update, headers=headers) as r:
                assert r.status == 200
            for _ in range(100):
                if api.sent():
                    break
                await asyncio.sleep(0.05)
        assert other.texts == [] and api.sent_texts() == ["慢慢答"]
    finally:
        _forget(first._seen, update_id)
