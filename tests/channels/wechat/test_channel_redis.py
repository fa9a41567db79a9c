"""Two servers share one WeChat access token and one nonce memory through a real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from channels.wechat.api import AsyncWeChatApi, make_client
from channels.wechat.dedupe import SharedTurnCache
from channels.wechat.nonces import RedisNonceCache, make_nonce_cache
from tests.support.wechat_fakes import (
    AES_KEY,
    APPID,
    FakeBot,
    WeChatServer,
    make_channel,
    payload,
    reply_content,
    serve_channel,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = [
    pytest.mark.shared_redis,
    pytest.mark.skipif(
        not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it when Redis answers)"
    ),
]


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    for pattern in ("wechatpy*", "wechat:nonce:*", "wechat:turn:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()


async def test_second_server_reuses_the_token_the_first_fetched(fake_wechat_api, redis_client):
    appid = f"wx{uuid.uuid4().hex[:16]}"
    first = AsyncWeChatApi(
        make_client(appid, "secret", fake_wechat_api.base_url, redis_url=REDIS_URL)
    )
    second = AsyncWeChatApi(
        make_client(appid, "secret", fake_wechat_api.base_url, redis_url=REDIS_URL)
    )
    try:
        await first.send_text("o_a", "第一台服务器")
        await second.send_text("o_b", "第二台服务器")
    finally:
        first.close()
        second.close()
    assert len(fake_wechat_api.named("token")) == 1
    assert [query["access_token"] for _, query, _ in fake_wechat_api.named("send")] == [
        "ACCESS_TOKEN_1"
    ] * 2
    assert any(appid.encode() in key for key in redis_client.scan_iter("wechatpy*"))


@pytest.mark.usefixtures("channel_settings")
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
async def test_a_query_used_on_one_server_is_refused_by_the_other(safe, redis_client):
    token = f"tok{uuid.uuid4().hex[:12]}"  # its own namespace in the shared Redis
    extra = {"aes_key": AES_KEY, "appid": APPID} if safe else {}
    first_bot, second_bot = FakeBot(), FakeBot()
    async with (
        serve_channel(
            make_channel(token=token, redis_url=REDIS_URL, **extra), first_bot
        ) as first_url,
        serve_channel(
            make_channel(token=token, redis_url=REDIS_URL, **extra), second_bot
        ) as second_url,
    ):
        aes = AES_KEY if safe else None
        first = WeChatServer(first_url, token=token, aes_key=aes)
        second = WeChatServer(second_url, token=token, aes_key=aes)
        query = first.query()
        status, body = await first.post(payload("text.xml", content="截止时间"), query=query)
        assert status == 200 and reply_content(body) == "收到：截止时间"
        status, _ = await second.post(payload("text.xml", content="截止时间"), query=query)
        assert status == 403
        status, body = await second.post(payload("text.xml", content="联系电话"))
        assert status == 200 and reply_content(body) == "收到：联系电话"
    assert (first_bot.texts, second_bot.texts) == (["截止时间"], ["联系电话"])
    keys = list(redis_client.scan_iter("wechat:nonce:*"))
    assert len(keys) == 2 and all(0 < redis_client.ttl(k) <= 600 for k in keys)
    assert not any(token.encode() in k for k in keys)  # namespaced by a hash of the token


async def test_redis_nonce_cache_set_nx_with_expiry(redis_client):
    nonces = make_nonce_cache(f"tok{uuid.uuid4().hex}", 2.5, REDIS_URL)
    assert isinstance(nonces, RedisNonceCache) and nonces.ttl == 3
    try:
        assert await nonces.first_use("1700000000", "42") is True
        assert await nonces.first_use("1700000000", "42") is False
        assert await nonces.first_use("1700000000", "43") is True
        [key] = [k for k in redis_client.scan_iter(nonces.prefix + "*") if k.endswith(b":42")]
        assert 0 < redis_client.ttl(key) <= 3
        redis_client.delete(key)  # as if expired
        assert await nonces.first_use("1700000000", "42") is True
        # the same delivery again (nginx passing it on) passes, another body does not
        assert await nonces.first_use("1700000000", "44", "digest-a") is True
        assert await nonces.first_use("1700000000", "44", "digest-a") is True
        assert await nonces.first_use("1700000000", "44", "digest-b") is False
        assert await nonces.first_use("1700000000", "44") is False
    finally:
        await nonces.close()


# -- one message, several instances: answered once, the same reply everywhere ------------


@pytest.mark.usefixtures("channel_settings")
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
@pytest.mark.parametrize("while_in_flight", [True, False], ids=["in-flight", "after"])
async def test_a_retry_on_another_instance_gets_the_same_reply_once(
    safe, while_in_flight, redis_client
):
    token = f"tok{uuid.uuid4().hex[:12]}"
    extra = {"aes_key": AES_KEY, "appid": APPID} if safe else {}
    first_bot, second_bot = FakeBot(delay=0.6), FakeBot()
    first_channel = make_channel(token=token, redis_url=REDIS_URL, **extra)
    second_channel = make_channel(token=token, redis_url=REDIS_URL, **extra)
    assert isinstance(first_channel.turns, SharedTurnCache)
    async with (
        serve_channel(first_channel, first_bot) as first_url,
        serve_channel(second_channel, second_bot) as second_url,
    ):
        aes = AES_KEY if safe else None
        first = WeChatServer(first_url, token=token, aes_key=aes)
        second = WeChatServer(second_url, token=token, aes_key=aes)
        body = payload("text.xml", content="截止时间", msg_id=4242, openid="o_cluster")
        if while_in_flight:  # WeChat's retry (new nonce) lands elsewhere while Rasa works
            original = asyncio.ensure_future(first.post(body))
            await asyncio.sleep(0.2)
            retry = await second.post(body)
            original = await original
        else:
            original = await first.post(body)
            retry = await second.post(body)
        third = await second.post(body)  # and again, now known locally
    assert original[0] == retry[0] == third[0] == 200
    assert (
        reply_content(original[1])
        == reply_content(retry[1])
        == reply_content(third[1])
        == "收到：截止时间"
    )
    assert (first_bot.texts, second_bot.texts) == (["截止时间"], [])
    keys = list(redis_client.scan_iter(first_channel.turns.prefix + "*"))
    assert [k.rsplit(b":", 1)[1] for k in keys] == [b"reply"]  # the claim was released
    assert not any(b"o_cluster" in k for k in keys)  # a keyed hash, never the openid
    assert all(0 < redis_client.ttl(k) <= 600 for k in keys)


# -- nginx passes a delivery on to the next instance: the same bytes, answered once ----------


def _pair(token: str, safe: bool, **kwargs):
    extra = {"aes_key": AES_KEY, "appid": APPID} if safe else {}
    return [make_channel(token=token, redis_url=REDIS_URL, **extra, **kwargs) for _ in range(2)]


@pytest.mark.usefixtures("channel_settings")
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
async def test_the_same_delivery_passed_on_while_in_flight_is_answered_once(safe, redis_client):
    """nginx gave up on the first instance (a timeout) while it still answers: the second
    gets the same bytes — used nonce, same body — and waits for the first one's reply."""
    token = f"tok{uuid.uuid4().hex[:12]}"
    first_bot, second_bot = FakeBot(delay=0.5), FakeBot()
    first_channel, second_channel = _pair(token, safe)
    async with (
        serve_channel(first_channel, first_bot) as first_url,
        serve_channel(second_channel, second_bot) as second_url,
    ):
        aes = AES_KEY if safe else None
        first = WeChatServer(first_url, token=token, aes_key=aes)
        second = WeChatServer(second_url, token=token, aes_key=aes)
        delivery = first.delivery(payload("text.xml", content="截止时间", msg_id=77, openid="o_n"))
        original = asyncio.ensure_future(first.post_delivery(delivery))
        await asyncio.sleep(0.2)
        passed_on = await second.post_delivery(delivery)
        original = await original
        # the same query with another body is still a replay
        query, _ = delivery
        forged = await second.post(payload("text.xml", content="伪造", openid="o_x"), query=query)
    assert original[0] == passed_on[0] == 200 and forged[0] == 403
    assert reply_content(original[1]) == reply_content(passed_on[1]) == "收到：截止时间"
    assert (first_bot.texts, second_bot.texts) == (["截止时间"], [])


class DiesWhileAnswering:
    """Stands in for an instance killed mid-answer: its turn never finishes."""

    def __init__(self) -> None:
        self.texts: list = []
        self.asked = asyncio.Event()

    async def __call__(self, message) -> None:
        self.texts.append(message.text)
        self.asked.set()
        await asyncio.Event().wait()


@pytest.mark.usefixtures("channel_settings")
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
async def test_a_delivery_whose_instance_died_mid_answer_is_taken_over_once(safe, redis_client):
    """The first instance claims the message, starts answering and dies (its heartbeat stops
    with it); nginx passes the same delivery on: the second instance takes the claim over
    once it lapses and answers — once, however many deliveries wait."""
    token = f"tok{uuid.uuid4().hex[:12]}"
    dying, second_bot, third_bot = DiesWhileAnswering(), FakeBot(delay=0.2), FakeBot()
    first_channel, second_channel = _pair(token, safe)
    [third_channel] = _pair(token, safe)[:1]
    for channel in (first_channel, second_channel, third_channel):
        channel.turns.claim_ms = 900
    async with (
        serve_channel(first_channel, dying) as first_url,
        serve_channel(second_channel, second_bot) as second_url,
        serve_channel(third_channel, third_bot) as third_url,
    ):
        aes = AES_KEY if safe else None
        first = WeChatServer(first_url, token=token, aes_key=aes)
        body = payload("text.xml", content="联系电话", msg_id=78, openid="o_d")
        delivery = first.delivery(body)
        original = asyncio.ensure_future(first.post_delivery(delivery))
        await asyncio.wait_for(dying.asked.wait(), 5)
        for task in [t for t in asyncio.all_tasks() if "_keep_claim" in repr(t.get_coro())]:
            task.cancel()  # the instance is gone: no more heartbeats
        started = asyncio.get_running_loop().time()
        passed_on, retried = await asyncio.gather(
            WeChatServer(second_url, token=token, aes_key=aes).post_delivery(delivery),
            WeChatServer(third_url, token=token, aes_key=aes).post(body),  # WeChat's retry
        )
        took = asyncio.get_running_loop().time() - started
        original.cancel()
    assert passed_on[0] == retried[0] == 200
    assert reply_content(passed_on[1]) == reply_content(retried[1]) == "收到：联系电话"
    assert len(second_bot.texts + third_bot.texts) == 1  # answered once, by one of them
    assert took < 0.9 + 0.2 + 1.5


@pytest.mark.usefixtures("channel_settings")
async def test_different_messages_and_accounts_do_not_share_replies(redis_client):
    token = f"tok{uuid.uuid4().hex[:12]}"
    first_bot, second_bot, other_bot = FakeBot(), FakeBot(), FakeBot()
    async with (
        serve_channel(make_channel(token=token, redis_url=REDIS_URL), first_bot) as a,
        serve_channel(make_channel(token=token, redis_url=REDIS_URL), second_bot) as b,
        serve_channel(make_channel(token=token + "x", redis_url=REDIS_URL), other_bot) as c,
    ):
        same_id = {"msg_id": 5151}
        replies = [
            await WeChatServer(a, token=token).post(
                payload("text.xml", content="截止时间", openid="o_a", **same_id)
            ),
            await WeChatServer(b, token=token).post(  # same MsgId, another applicant
                payload("text.xml", content="联系电话", openid="o_b", **same_id)
            ),
            await WeChatServer(c, token=token + "x").post(  # same both, another account
                payload("text.xml", content="材料份数", openid="o_a", **same_id)
            ),
        ]
    assert [reply_content(body) for _, body in replies] == [
        "收到：截止时间",
        "收到：联系电话",
        "收到：材料份数",
    ]
    assert (first_bot.texts, second_bot.texts, other_bot.texts) == (
        ["截止时间"],
        ["联系电话"],
        ["材料份数"],
    )


async def test_a_claim_left_by_a_dead_instance_is_taken_over(redis_client):
    cache = SharedTurnCache(REDIS_URL, namespace=f"tok{uuid.uuid4().hex}", claim_seconds=1)
    key = ("o_dead", "6161")
    claim = cache.redis_key(key) + ":claim"
    redis_client.set(claim, b"another-instance", ex=1)  # it claimed, then died
    calls = []

    async def answer():
        calls.append(1)
        return "答复"

    try:
        turn, started = cache.join_or_start(key, answer)
        assert started is True
        assert await asyncio.wait_for(turn.task, 5) == "答复" and calls == [1]
    finally:
        await cache.close()


async def test_a_live_claim_is_renewed_past_its_lifetime(redis_client):
    """The heartbeat keeps a slow answer's claim: a second instance waits, never answers."""
    namespace = f"tok{uuid.uuid4().hex}"
    # lifetimes of a second, not less: a loaded machine (xdist's other worker) may delay a
    # heartbeat by a tenth of a second
    slow, waiting = (SharedTurnCache(REDIS_URL, namespace, claim_seconds=1) for _ in "ab")
    calls = []

    async def answer(name: str, seconds: float):
        calls.append(name)
        await asyncio.sleep(seconds)
        return f"{name} 的答复"

    try:
        first, _ = slow.join_or_start(("o_slow", "7"), lambda: answer("first", 2.5))
        await asyncio.sleep(0.2)
        second, _ = waiting.join_or_start(("o_slow", "7"), lambda: answer("second", 0))
        replies = await asyncio.wait_for(asyncio.gather(first.task, second.task), 10)
    finally:
        await slow.close()
        await waiting.close()
    assert replies == ["first 的答复", "first 的答复"] and calls == ["first"]
    assert not list(redis_client.scan_iter(slow.redis_key(("o_slow", "7")) + ":claim"))
