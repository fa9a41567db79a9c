"""Replay protection: each signed (timestamp, nonce) is accepted once.

WeChat signs the query string only (``signature`` = sha1 of token, timestamp, nonce); a
signed URL seen once (a proxy log, say) would otherwise be good for the whole replay window.
So the channel remembers every (timestamp, nonce) it accepted for twice the window (a
timestamp stays acceptable from ``window`` before to ``window`` after it) and refuses a
second use. WeChat's own retries of a message come with a new timestamp and nonce.

One repeat is not a replay: the same delivery byte for byte (same query, same body digest),
which is what nginx sends to the next instance when the first one died while answering
(``deploy/nginx.conf.template``). It is let through because it cannot do anything new: the
MsgId turn cache (``channels/wechat/dedupe.py``, remembered longer than the replay window)
answers it with the first attempt's reply and Rasa never sees it twice. A different body
under a used (timestamp, nonce), or a used query without a body (URL verification), is refused.

``MemoryNonceCache`` is one process's memory (bounded); ``RedisNonceCache`` shares it
between instances (``SET key 1 NX EX ttl``) when ``REDIS_URL`` is set, and falls back to
the local memory — logged — while Redis does not answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from typing import Callable, Protocol

from channels.plumbing import LazyRedis, TTLMap

logger = logging.getLogger(__name__)

DEFAULT_MAX_NONCES = 100_000
REDIS_TIMEOUT_SECONDS = 1.0


STRICT = "-"  # the stored delivery of a query that may never repeat


class NonceCache(Protocol):
    async def first_use(self, timestamp: str, nonce: str, delivery: str | None = None) -> bool:
        """Remember (timestamp, nonce) with ``delivery`` (a digest of the body); False when it
        was already used — unless by this very delivery (``delivery`` given and equal)."""

    async def close(self) -> None:
        """Release connections (the server is stopping)."""


class MemoryNonceCache:
    def __init__(
        self,
        ttl_seconds: float,
        maxsize: int = DEFAULT_MAX_NONCES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen: TTLMap[str] = TTLMap(maxsize, ttl_seconds, clock)

    def __len__(self) -> int:
        return len(self._seen)

    async def first_use(self, timestamp: str, nonce: str, delivery: str | None = None) -> bool:
        used_by = self._seen.get((timestamp, nonce))
        if used_by is None:
            self._seen.set((timestamp, nonce), delivery or STRICT)
            return True
        return same_delivery(used_by, delivery)

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

    async def first_use(self, timestamp: str, nonce: str, delivery: str | None = None) -> bool:
        key = f"{self.prefix}{timestamp}:{nonce}"
        value = (delivery or STRICT).encode("ascii")
        try:
            added = await asyncio.wait_for(
                self._redis().set(key, value, nx=True, ex=self.ttl), 2 * REDIS_TIMEOUT_SECONDS
            )
            if added:
                return True
            used_by = await asyncio.wait_for(self._redis().get(key), 2 * REDIS_TIMEOUT_SECONDS)
        except Exception as err:  # Redis down or slow: this instance's memory still protects
            logger.warning(
                "wechat: nonce cache in Redis unavailable (%s), using memory", type(err).__name__
            )
            return await self.fallback.first_use(timestamp, nonce, delivery)
        return used_by is not None and same_delivery(used_by.decode("ascii", "replace"), delivery)

    async def close(self) -> None:
        await self._redis.close()


def delivery_digest(body: bytes) -> str:
    """What tells one delivery of a POST from another under the same query: its body."""
    return hashlib.sha256(body).hexdigest()


def same_delivery(used_by: str, delivery: str | None) -> bool:
    return bool(delivery) and used_by != STRICT and hmac.compare_digest(used_by, str(delivery))


def make_nonce_cache(
    token: str, ttl_seconds: float, redis_url: str | None, maxsize: int = DEFAULT_MAX_NONCES
) -> NonceCache:
    memory = MemoryNonceCache(ttl_seconds, maxsize)
    if not redis_url:
        return memory
    namespace = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
    return RedisNonceCache(redis_url, ttl_seconds, namespace, fallback=memory)
