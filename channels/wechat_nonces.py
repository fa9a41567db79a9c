"""Replay protection: each signed (timestamp, nonce) is accepted once.

WeChat signs the query string only (``signature`` = sha1 of token, timestamp, nonce); a
signed URL seen once (a proxy log, say) would otherwise be good for the whole replay window.
So the channel remembers every (timestamp, nonce) it accepted for twice the window (a
timestamp stays acceptable from ``window`` before to ``window`` after it) and refuses a
second use. WeChat's own retries of a message come with a new timestamp and nonce.

``MemoryNonceCache`` is one process's memory (bounded); ``RedisNonceCache`` shares it
between instances (``SET key 1 NX EX ttl``) when ``REDIS_URL`` is set, and falls back to
the local memory — logged — while Redis does not answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from typing import Callable, Protocol

from channels.plumbing import LazyRedis, TTLMap

logger = logging.getLogger(__name__)

DEFAULT_MAX_NONCES = 100_000
REDIS_TIMEOUT_SECONDS = 1.0


class NonceCache(Protocol):
    async def first_use(self, timestamp: str, nonce: str) -> bool:
        """Remember (timestamp, nonce); False when it was already used."""

    async def close(self) -> None:
        """Release connections (the server is stopping)."""


class MemoryNonceCache:
    def __init__(
        self,
        ttl_seconds: float,
        maxsize: int = DEFAULT_MAX_NONCES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen: TTLMap[bool] = TTLMap(maxsize, ttl_seconds, clock)

    def __len__(self) -> int:
        return len(self._seen)

    async def first_use(self, timestamp: str, nonce: str) -> bool:
        return self._seen.add_if_absent((timestamp, nonce))

    async def close(self) -> None:
        return None


class RedisNonceCache:
    """Shared between instances; ``namespace`` keeps accounts (tokens) apart."""

    def __init__(
        self,
        redis_url: str,
        ttl_seconds: float,
        namespace: str,
        fallback: MemoryNonceCache | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.ttl = max(1, math.ceil(ttl_seconds))
        self.prefix = f"wechat:nonce:{namespace}:"
        self.fallback = fallback or MemoryNonceCache(ttl_seconds)
        self._redis = LazyRedis(redis_url, REDIS_TIMEOUT_SECONDS, "the Redis nonce cache")

    async def first_use(self, timestamp: str, nonce: str) -> bool:
        key = f"{self.prefix}{timestamp}:{nonce}"
        try:
            added = await asyncio.wait_for(
                self._redis().set(key, b"1", nx=True, ex=self.ttl), 2 * REDIS_TIMEOUT_SECONDS
            )
        except Exception as err:  # Redis down or slow: this instance's memory still protects
            logger.warning(
                "wechat: nonce cache in Redis unavailable (%s), using memory", type(err).__name__
            )
            return await self.fallback.first_use(timestamp, nonce)
        return bool(added)

    async def close(self) -> None:
        await self._redis.close()


def make_nonce_cache(
    token: str, ttl_seconds: float, redis_url: str | None, maxsize: int = DEFAULT_MAX_NONCES
) -> NonceCache:
    memory = MemoryNonceCache(ttl_seconds, maxsize)
    if not redis_url:
        return memory
    namespace = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
    return RedisNonceCache(redis_url, ttl_seconds, namespace, fallback=memory)
