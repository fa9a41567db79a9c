"""Authenticity: replayed (timestamp, nonce), malformed signature parameters, body limit.

Requests are signed (and encrypted) as WeChat does, and posted to the channel on a real
Sanic server; the bounded memories (TTLMap, nonce cache) are tested on their own as well.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Dict, List, Tuple

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from channels.plumbing import TTLMap
from channels.wechat import nonces as nonces_module
from channels.wechat.channel import WeChatInput
from channels.wechat.nonces import MemoryNonceCache, make_nonce_cache
from channels.wechat.security import (
    DecryptError,
    MessageCrypto,
    RequestVerifier,
    SignatureError,
)
from tests.support.tiers import examples
from tests.support.wechat_fakes import (
    AES_KEY,
    APPID,
    TOKEN,
    FakeBot,
    WeChatServer,
    free_socket,
    make_channel,
    payload,
    reply_content,
    serve_channel,
    wechat_signature,
)

pytestmark = pytest.mark.usefixtures("channel_settings")

MODES = pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])


def channel_for(safe: bool, **kwargs) -> WeChatInput:
    return make_channel(aes_key=AES_KEY, appid=APPID, **kwargs) if safe else make_channel(**kwargs)


def server_for(url: str, safe: bool) -> WeChatServer:
    return WeChatServer(url, aes_key=AES_KEY if safe else None)


# -- TTLMap -----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttlmap_add_if_absent_once_per_ttl():
    clock = Clock()
    seen: TTLMap[bool] = TTLMap(10, 60, clock)
    assert seen.add_if_absent("a") is True
    assert seen.add_if_absent("a") is False and "a" in seen and len(seen) == 1
    clock.now += 59.9
    assert seen.add_if_absent("a") is False
    clock.now += 0.2
    assert "a" not in seen and len(seen) == 0
    assert seen.add_if_absent("a") is True


def test_ttlmap_is_bounded_oldest_first():
    memory: TTLMap[int] = TTLMap(3, 60, Clock())
    for i in range(5):
        memory.set(i, i * 10)
    assert len(memory) == 3 and [memory.get(i) for i in range(5)] == [None, None, 20, 30, 40]
    memory.set(2, 21)  # set again: youngest now
    memory.set(5, 50)
    assert 3 not in memory and memory.get(2) == 21 and len(memory) == 3


def test_ttlmap_set_renews_the_ttl():
    clock = Clock()
    memory: TTLMap[str] = TTLMap(10, 60, clock)
    memory.set("k", "v1")
    clock.now += 50
    memory.set("k", "v2")
    clock.now += 50
    assert memory.get("k") == "v2"
    clock.now += 11
    assert memory.get("k") is None


def test_ttlmap_a_clock_jump_never_serves_stale_entries():
    clock = Clock()
    memory: TTLMap[int] = TTLMap(10, 60, clock)
    memory.set("old", 1)
    clock.now += 30
    memory.set("new", 2)
    clock.now += 1000
    assert memory.get("new") is None and memory.get("old") is None and len(memory) == 0


@pytest.mark.parametrize("maxsize,ttl", [(0, 1), (-1, 1), (1, 0), (1, -5)])
def test_ttlmap_refuses_nonsense_limits(maxsize, ttl):
    with pytest.raises(ValueError):
        TTLMap(maxsize, ttl)


def test_ttlmap_stays_bounded_under_a_flood():
    memory: TTLMap[bool] = TTLMap(1000, 600)
    for i in range(200_000):
        memory.add_if_absent(i)
    assert len(memory) == 1000 and len(memory._data) == 1000
    assert 199_999 in memory and 0 not in memory


OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "set", "get", "has", "len", "tick"]),
        st.integers(0, 6),
        st.floats(0, 40),
    ),
    max_size=80,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPS)
def test_ttlmap_behaves_like_a_plain_model(ops: List[Tuple[str, int, float]]):
    """A dict of key → (set time, order, value), pruned to the newest ``maxsize``, is the model."""
    clock, maxsize, ttl = Clock(), 4, 30.0
    memory: TTLMap[int] = TTLMap(maxsize, ttl, clock)
    model: Dict[int, Tuple[float, int, int]] = {}

    def alive() -> Dict[int, Tuple[float, int, int]]:
        live = {k: v for k, v in model.items() if clock.now - v[0] < ttl}
        newest = sorted(live.items(), key=lambda kv: kv[1][:2])[-maxsize:]
        return dict(newest)

    for step, (op, key, dt) in enumerate(ops):
        if op == "tick":
            clock.now += dt
        elif op in ("add", "set"):
            model = alive()
            if op == "add":
                assert memory.add_if_absent(key, step) is (key not in model)
                if key in model:
                    continue
            else:
                memory.set(key, step)
            model.pop(key, None)
            model[key] = (clock.now, step, step)
        elif op == "get":
            assert memory.get(key) == (alive().get(key) or (None, None, None))[2]
        elif op == "has":
            assert (key in memory) is (key in alive())
        else:
            assert len(memory) == len(alive())


async def test_memory_nonce_cache_accepts_each_pair_once_until_it_expires():
    clock = Clock()
    nonces = MemoryNonceCache(600, maxsize=100, clock=clock)
    assert await nonces.first_use("1700000000", "123") is True
    assert await nonces.first_use("1700000000", "123") is False
    assert await nonces.first_use("1700000000", "124") is True
    assert await nonces.first_use("1700000001", "123") is True
    clock.now += 601
    assert await nonces.first_use("1700000000", "123") is True
    await nonces.close()


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis-down"])
async def test_only_the_same_delivery_may_use_a_nonce_again(redis):
    """A POST delivered again byte for byte (nginx, after an instance died) passes; another
    body under the same query, or any repeat of a query without a body, does not."""
    if redis:
        sock = free_socket()
        nonces = make_nonce_cache(TOKEN, 600, f"redis://127.0.0.1:{sock.getsockname()[1]}/0")
    else:
        nonces = MemoryNonceCache(600)
    try:
        assert await nonces.first_use("1700000000", "1", "digest-a") is True
        assert await nonces.first_use("1700000000", "1", "digest-a") is True
        assert await nonces.first_use("1700000000", "1", "digest-b") is False
        assert await nonces.first_use("1700000000", "1") is False
        assert await nonces.first_use("1700000000", "2") is True
        assert await nonces.first_use("1700000000", "2", "digest-a") is False
        assert await nonces.first_use("1700000000", "2", "-") is False
    finally:
        await nonces.close()
        if redis:
            sock.close()


@MODES
async def test_the_same_delivery_again_gets_the_same_reply_without_reaching_rasa(safe):
    bot = FakeBot()
    async with serve_channel(channel_for(safe), bot) as url:
        wechat = server_for(url, safe)
        delivery = wechat.delivery(payload("text.xml", content="截止时间", msg_id=31))
        replies = [await wechat.post_delivery(delivery) for _ in range(3)]
    assert [status for status, _ in replies] == [200] * 3
    assert {reply_content(body) for _, body in replies} == {"收到：截止时间"}
    assert bot.texts == ["截止时间"]


async def test_redis_nonce_cache_falls_back_to_memory_when_redis_is_down(monkeypatch, tmp_path):
    # the module's warnings, heard at the module itself: in the whole suite's order an earlier
    # test's logging set-up (Rasa's and Sanic's dictConfig) can keep the record from any handler
    warned: List[str] = []
    recorder = logging.getLogger("tests.nonce_warnings")
    monkeypatch.setattr(recorder, "warning", lambda message, *args: warned.append(message % args))
    monkeypatch.setattr(nonces_module, "logger", recorder)
    # a Redis that is not there: a Unix socket path nothing listens on
    nonces = nonces_module.make_nonce_cache(TOKEN, 600, f"unix://{tmp_path / 'no-redis.sock'}")
    assert isinstance(nonces, nonces_module.RedisNonceCache)
    try:
        assert await nonces.first_use("1700000000", "55") is True
        assert await nonces.first_use("1700000000", "55") is False
    finally:
        await nonces.close()
    assert warned and all("nonce cache in Redis unavailable" in w for w in warned)


# -- replays through the real server ---------------------------------------


@MODES
async def test_a_signed_query_is_accepted_once(safe):
    bot = FakeBot()
    async with serve_channel(channel_for(safe), bot) as url:
        wechat = server_for(url, safe)
        query = wechat.query()
        status, body = await wechat.post(payload("text.xml", content="截止时间"), query=query)
        assert status == 200 and reply_content(body) == "收到：截止时间"
        # the same signed query again: same message, or another one in its name
        for content, openid in (("截止时间", "o_user_1"), ("伪造的消息", "o_victim")):
            status, body = await wechat.post(
                payload("text.xml", content=content, openid=openid), query=query
            )
            assert status == 403 and "收到" not in body
        status, body = await wechat.post(payload("text.xml", content="联系电话"))
        assert status == 200 and reply_content(body) == "收到：联系电话"
    assert bot.texts == ["截止时间", "联系电话"]


@MODES
async def test_a_retry_with_a_new_nonce_is_answered_from_the_turn_cache(safe):
    """WeChat re-sends a message (same MsgId) with a new timestamp and nonce."""
    bot = FakeBot(delay=0.2)
    async with serve_channel(channel_for(safe), bot) as url:
        wechat = server_for(url, safe)
        body = payload("text.xml", content="报送地址", msg_id=9001)
        first = asyncio.ensure_future(wechat.post(body))
        await asyncio.sleep(0.05)
        retries = await asyncio.gather(first, wechat.post(body))
        late = await wechat.post(body)
    assert [s for s, _ in [*retries, late]] == [200, 200, 200]
    assert {reply_content(b) for _, b in [*retries, late]} == {"收到：报送地址"}
    assert bot.texts == ["报送地址"]


async def test_the_same_msgid_from_two_users_is_two_turns():
    """MsgIds are per user: keying turns by MsgId alone answered one user with another's turn."""
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        _, mine = await wechat.post(payload("text.xml", content="我的问题", openid="o_a", msg_id=5))
        _, yours = await wechat.post(
            payload("text.xml", content="你的问题", openid="o_b", msg_id=5)
        )
    assert (reply_content(mine), reply_content(yours)) == ("收到：我的问题", "收到：你的问题")
    assert len(bot.messages) == 2


async def test_url_verification_is_accepted_once():
    async with serve_channel(make_channel(), FakeBot()) as url:
        wechat = WeChatServer(url)
        query = wechat.query(echostr="echo_1")
        assert await wechat.get(query) == (200, "echo_1")
        status, body = await wechat.get(query)
    assert status == 403 and "echo_1" not in body


async def test_a_refused_request_does_not_use_up_its_nonce():
    """Only an authentic request consumes its (timestamp, nonce): a forgery cannot block one."""
    bot = FakeBot()
    async with serve_channel(channel_for(True), bot) as url:
        wechat = WeChatServer(url)
        query = wechat.query()
        status, _ = await wechat.post(payload("text.xml", content="明文"), query=query)
        assert status == 403
        status, body = await server_for(url, True).post(
            payload("text.xml", content="加密"), query=query
        )
    assert status == 200 and reply_content(body) == "收到：加密"


# -- malformed signature parameters: always a 4xx, never a 500 ------------------------------


def _raw_query(**parts: str) -> str:
    return "&".join(f"{k}={v}" for k, v in parts.items())


def _signed(ts: str, nonce: str) -> Dict[str, str]:
    return {"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


NOW = str(int(time.time()))
GOOD = _signed(NOW, "12345")
ARABIC_TS = "١٧٠٠٠٠٠٠٠٠"
MALFORMED = {
    "nothing": "",
    "no-signature": _raw_query(timestamp=NOW, nonce="12345"),
    "no-timestamp": _raw_query(signature=GOOD["signature"], nonce="12345"),
    "no-nonce": _raw_query(signature=GOOD["signature"], timestamp=NOW),
    "empty-values": _raw_query(signature="", timestamp="", nonce=""),
    "non-ascii-signature": _raw_query(**{**GOOD, "signature": "%E7%AD%BE" * 40}),
    "non-ascii-last-char": _raw_query(**{**GOOD, "signature": GOOD["signature"][:-1] + "%C3%A9"}),
    "invalid-utf8": _raw_query(**{**GOOD, "signature": "%FF" * 40}),
    "signature-too-long": _raw_query(**{**GOOD, "signature": GOOD["signature"] + "0"}),
    "signature-huge": _raw_query(**{**GOOD, "signature": "a" * 20_000}),
    "signature-nul": _raw_query(**{**GOOD, "signature": GOOD["signature"][:-1] + "%00"}),
    "timestamp-words": _raw_query(**_signed("abc", "12345")),
    "timestamp-float": _raw_query(**_signed("1.7e9", "12345")),
    "timestamp-negative": _raw_query(**_signed("-5", "12345")),
    "timestamp-huge": _raw_query(**_signed("9" * 5000, "12345")),
    "timestamp-arabic-digits": _raw_query(
        **{**_signed(ARABIC_TS, "1"), "timestamp": "%D9%A1" + "%D9%A7" + "%D9%A0" * 8}
    ),
    "nonce-non-ascii": _raw_query(**{**_signed(NOW, "随机"), "nonce": "%E9%9A%8F%E6%9C%BA"}),
    "nonce-huge": _raw_query(**_signed(NOW, "7" * 10_000)),
    "nonce-with-space": _raw_query(**{**_signed(NOW, "1 2"), "nonce": "1%202"}),
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
async def test_malformed_signature_parameters_get_a_4xx(case, method):
    bot = FakeBot()
    async with serve_channel(channel_for(True), bot) as url, aiohttp.ClientSession() as http:
        target = URL(f"{url}?{MALFORMED[case]}&echostr=echo_9", encoded=True)
        data = payload("text.xml", content="截止").encode() if method == "POST" else None
        async with http.request(method, target, data=data) as resp:
            status, text = resp.status, await resp.text()
    assert 400 <= status < 500 and "Traceback" not in text and "echo_9" not in text
    assert bot.messages == []


@pytest.mark.parametrize(
    "msg_signature",
    [
        None,
        "",
        "%E7%AD%BE" * 40,
        "f" * 41,
        "f" * 20_000,
        "%FF" * 40,
        "g" * 40,
    ],
    ids=["missing", "empty", "non-ascii", "too-long", "huge", "invalid-utf8", "not-hex"],
)
async def test_malformed_msg_signature_gets_a_4xx(msg_signature):
    bot = FakeBot()
    async with serve_channel(channel_for(True), bot) as url, aiohttp.ClientSession() as http:
        wechat = WeChatServer(url, aes_key=AES_KEY)
        query = wechat.query()
        envelope = wechat.crypto.encrypt_message(
            payload("text.xml", content="x"), query["nonce"], query["timestamp"]
        )
        raw = _raw_query(**query, encrypt_type="aes")
        if msg_signature is not None:
            raw += f"&msg_signature={msg_signature}"
        async with http.post(URL(f"{url}?{raw}", encoded=True), data=envelope.encode()) as resp:
            status, text = resp.status, await resp.text()
    # 403; a query longer than Sanic's header limit (8 KB) gets its 413 first
    assert status == (413 if len(raw) > 8000 else 403) and "Traceback" not in text
    assert bot.messages == []


async def test_an_uppercase_signature_is_still_accepted():
    async with serve_channel(make_channel(), FakeBot()) as url:
        wechat = WeChatServer(url)
        query = wechat.query()
        query["signature"] = query["signature"].upper()
        status, body = await wechat.post(payload("text.xml", content="你好"), query=query)
    assert status == 200 and reply_content(body) == "收到：你好"


PARAM = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
)


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PARAM, PARAM, PARAM)
def test_request_verifier_only_ever_raises_signature_error(signature, timestamp, nonce):
    try:
        RequestVerifier(TOKEN).verify(signature, timestamp, nonce)
    except SignatureError:
        return
    # passing is possible only with a right signature over a fresh numeric timestamp
    assert signature.lower() == wechat_signature(TOKEN, timestamp, nonce)


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.none(), st.text(max_size=60)),
    st.binary(max_size=200)
    | st.text().map(lambda t: f"<xml><Encrypt><![CDATA[{t}]]></Encrypt></xml>".encode()),
)
def test_message_crypto_only_ever_raises_its_own_errors(msg_signature, body):
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    with pytest.raises((SignatureError, DecryptError)):
        crypto.decrypt(body, msg_signature, NOW, "12345")


# -- body size ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_bodies_over_the_limit_are_refused_before_parsing(chunked):
    bot = FakeBot()
    async with serve_channel(make_channel(max_body_bytes=2048), bot) as url:
        wechat = WeChatServer(url)
        big = payload("text.xml", content="长" * 1000).encode()  # ≈ 3.2 KB
        small = payload("text.xml", content="短问题").encode()
        assert len(big) > 2048 >= len(small)

        async def as_chunks(data: bytes):
            for i in range(0, len(data), 500):
                yield data[i : i + 500]

        async with aiohttp.ClientSession() as http:
            target = f"{url}?{'&'.join(f'{k}={v}' for k, v in wechat.query().items())}"
            async with http.post(target, data=as_chunks(big) if chunked else big) as resp:
                assert resp.status == 413
            target = f"{url}?{'&'.join(f'{k}={v}' for k, v in wechat.query().items())}"
            async with http.post(target, data=as_chunks(small) if chunked else small) as resp:
                assert resp.status == 200 and reply_content(await resp.text()) == "收到：短问题"
    assert bot.texts == ["短问题"]


def test_the_body_limit_is_a_setting(monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("WECHAT_DRAIN_SECONDS", "3")
    get_settings.cache_clear()
    channel = WeChatInput.from_credentials({})
    assert (channel.max_body_bytes, channel.drain_seconds) == (4096, 3.0)
    assert WeChatInput.from_credentials({"max_body_bytes": 100}).max_body_bytes == 100
    monkeypatch.delenv("WECHAT_MAX_BODY_BYTES")
    get_settings.cache_clear()
    assert WeChatInput.from_credentials({}).max_body_bytes == 64 * 1024
