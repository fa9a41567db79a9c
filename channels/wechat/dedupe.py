"""Bounded, time-limited memories of the WeChat channel.

``TurnCache`` remembers one asyncio task per WeChat message so that WeChat's retries of a
message (same MsgId, but a new timestamp and nonce) join or reuse the first attempt
instead of reaching Rasa again. A message is known by (openid, MsgId) — MsgIds are only
unique per user — or (openid, CreateTime:Event) for events, which have no MsgId.

``SharedTurnCache`` (``REDIS_URL`` set) does the same across instances behind a load
balancer: the first instance to see a message claims it (one atomic step: no reply stored
yet → ``SET claim NX PX``), answers it, stores the finished reply text for ``ttl`` seconds
and releases the claim. A retry landing on another instance — WeChat's own, or nginx
passing the same delivery on when an instance died (``deploy/nginx.conf.template``) —
waits for that text (polling) instead of asking Rasa a second time. The claim is short
(``claim_seconds``, 3 s) and renewed every third of it while the answer is being made (a
heartbeat), so a claim outlives its instance by at most ``claim_seconds``: then a waiting
delivery takes the message over and answers it. An instance whose heartbeat found its claim
gone (an event loop stalled longer than the claim) logs it; the message may then be answered
twice, never lost. Keys hold a keyed hash of (openid, MsgId), never the openid. While Redis
does not answer, each instance falls back to its own memory (logged), as the nonce cache does.

What stays per instance: whether an answer went out through 客服消息 (``handed_off``). A
WeChat retry only follows a passive reply WeChat did not receive, and an instance hands an
answer off only after replying ``success`` in time, so the two rarely meet.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Hashable, Tuple

from channels.plumbing import LazyRedis, TTLMap

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
DEFAULT_TTL_SECONDS = 600.0
DEFAULT_CLAIM_SECONDS = 3.0  # renewed while the answer is made; a dead instance's expires
DEFAULT_POLL_SECONDS = 0.05

# KEYS: reply, claim. ARGV: this attempt's token, claim milliseconds.
# → {1, reply} answered already; {2} claimed by this attempt; {0} another attempt holds it
CLAIM_UNLESS_ANSWERED = """
local reply = redis.call('GET', KEYS[1])
if reply then return {1, reply} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
"""
# KEYS: claim. ARGV: token, claim milliseconds → 1 renewed, 0 no longer this attempt's
RENEW_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: claim. ARGV: token → 1 released, 0 no longer this attempt's
RELEASE_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class Turn:
    task: asyncio.Task[Any]
    handed_off: bool = False  # the answer goes (or went) out through 客服消息


class TurnCache:
    """(openid, MsgId) → the task answering it (``maxsize`` messages for ``ttl`` seconds)."""

    def __init__(self, maxsize: int = 10_000, ttl_seconds: float = DEFAULT_TTL_SECONDS):
        self._turns: TTLMap[Turn] = TTLMap(maxsize, ttl_seconds)

    def __len__(self) -> int:
        return len(self._turns)

    def join_or_start(
        self, key: Hashable, start: Callable[[], Awaitable[Any]]
    ) -> Tuple[Turn, bool]:
        """(the turn for ``key``, whether this call started it)."""
        turn = self._turns.get(key)
        if turn is not None:
            return turn, False
        turn = Turn(asyncio.ensure_future(self._run(key, start)))
        self._turns.set(key, turn)
        return turn, True

    async def _run(self, key: Hashable, start: Callable[[], Awaitable[Any]]) -> Any:
        return await start()

    async def close(self) -> None:
        """Release connections (the server is stopping)."""
        return None


class SharedTurnCache(TurnCache):
    """A ``TurnCache`` whose messages are claimed and answered once across instances."""

    def __init__(
        self,
        redis_url: str,
        namespace: str,
        maxsize: int = 10_000,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        claim_seconds: float = DEFAULT_CLAIM_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        super().__init__(maxsize, ttl_seconds)
        self.redis_url = redis_url
        self.namespace = namespace
        self.prefix = f"wechat:turn:{hashlib.sha256(namespace.encode()).hexdigest()[:16]}:"
        self.ttl = max(1, math.ceil(ttl_seconds))
        self.claim_ms = max(100, round(claim_seconds * 1000))
        self.poll_seconds = poll_seconds
        self.instance = uuid.uuid4().hex
        self._redis = LazyRedis(redis_url, REDIS_TIMEOUT_SECONDS, "the Redis turn cache")

    def redis_key(self, key: Hashable) -> str:
        """The Redis key of a message: a keyed hash of (openid, MsgId)."""
        digest = hashlib.sha256(f"{self.namespace}\0{key!r}".encode()).hexdigest()[:32]
        return f"{self.prefix}{digest}"

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.wait_for(
            getattr(self._redis(), method)(*args, **kwargs), 2 * REDIS_TIMEOUT_SECONDS
        )

    async def _run(self, key: Hashable, start: Callable[[], Awaitable[Any]]) -> Any:
        base = self.redis_key(key)
        reply_key, claim_key = f"{base}:reply", f"{base}:claim"
        token = f"{self.instance}:{uuid.uuid4().hex[:8]}"
        try:
            while True:
                outcome = await self._call(
                    "eval", CLAIM_UNLESS_ANSWERED, 2, reply_key, claim_key, token, self.claim_ms
                )
                if outcome[0] == 1:  # answered (here or elsewhere): the same text again
                    return outcome[1].decode("utf-8")
                if outcome[0] == 2:
                    break
                await asyncio.sleep(self.poll_seconds)  # another instance is answering it
        except asyncio.CancelledError:
            raise
        except Exception as err:  # Redis down or slow: this instance answers on its own
            logger.warning(
                "wechat: turn cache in Redis unavailable (%s), using memory", type(err).__name__
            )
            return await start()
        heartbeat = asyncio.ensure_future(self._keep_claim(claim_key, token))
        try:
            text = await start()
        finally:
            heartbeat.cancel()
        try:
            if isinstance(text, str):
                await self._call("set", reply_key, text.encode("utf-8"), ex=self.ttl)
            await self._call("eval", RELEASE_CLAIM, 1, claim_key, token)
        except Exception as err:
            logger.warning("wechat: could not share a reply through Redis (%s)", type(err).__name__)
        return text

    async def _keep_claim(self, claim_key: str, token: str) -> None:
        """Renew the claim every third of its life while this instance answers."""
        while True:
            await asyncio.sleep(self.claim_ms / 3000)
            try:
                renewed = await self._call("eval", RENEW_CLAIM, 1, claim_key, token, self.claim_ms)
            except Exception as err:  # Redis away: the claim may lapse; the reply still goes
                logger.warning("wechat: could not renew a claim (%s)", type(err).__name__)
                continue
            if not renewed:
                logger.warning(
                    "wechat: a claim lapsed while answering (event loop stalled for more than "
                    "%.1fs): another instance may answer the same message",
                    self.claim_ms / 1000,
                )
                return

    async def close(self) -> None:
        await self._redis.close()


def make_turn_cache(token: str, redis_url: str | None) -> TurnCache:
    """In memory, or shared through Redis when ``redis_url`` is set (namespaced per account)."""
    if not redis_url:
        return TurnCache()
    return SharedTurnCache(redis_url, namespace=token)
