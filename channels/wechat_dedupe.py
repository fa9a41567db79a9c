"""Bounded, time-limited memories of the WeChat channel.

``TurnCache`` remembers one asyncio task per WeChat message so that WeChat's retries of a
message (same MsgId, but a new timestamp and nonce) join or reuse the first attempt
instead of reaching Rasa again. A message is known by (openid, MsgId) — MsgIds are only
unique per user — or (openid, CreateTime:Event) for events, which have no MsgId.

``SharedTurnCache`` (``REDIS_URL`` set) does the same across instances behind a load
balancer: the first instance to see a message claims it (``SET claim NX EX``), answers it
and stores the finished reply text for ``ttl`` seconds; a retry landing on another
instance waits for that text (polling) instead of asking Rasa a second time, and takes the
message over only when the claim has expired without a reply (the claiming instance died).
Keys hold a keyed hash of (openid, MsgId), never the openid. While Redis does not answer,
each instance falls back to its own memory (logged), as the nonce cache does.

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
DEFAULT_CLAIM_SECONDS = 60.0  # longer than any turn: after it a silent claim is taken over
DEFAULT_POLL_SECONDS = 0.05


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
        self.claim_ttl = max(1, math.ceil(claim_seconds))
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
        try:
            while True:
                reply = await self._call("get", reply_key)
                if reply is not None:  # answered (here or elsewhere): the same text again
                    return reply.decode("utf-8")
                if await self._call("set", claim_key, self.instance, nx=True, ex=self.claim_ttl):
                    break
                await asyncio.sleep(self.poll_seconds)  # another instance is answering it
        except asyncio.CancelledError:
            raise
        except Exception as err:  # Redis down or slow: this instance answers on its own
            logger.warning(
                "wechat: turn cache in Redis unavailable (%s), using memory", type(err).__name__
            )
            return await start()
        text = await start()
        if isinstance(text, str):
            try:
                await self._call("set", reply_key, text.encode("utf-8"), ex=self.ttl)
            except Exception as err:
                logger.warning(
                    "wechat: could not share a reply through Redis (%s)", type(err).__name__
                )
        return text

    async def close(self) -> None:
        await self._redis.close()


def make_turn_cache(token: str, redis_url: str | None) -> TurnCache:
    """In memory, or shared through Redis when ``redis_url`` is set (namespaced per account)."""
    if not redis_url:
        return TurnCache()
    return SharedTurnCache(redis_url, namespace=token)
