"""Limits every channel applies before a message reaches Rasa.

* ``read_body`` — a request body over ``MAX_BODY_BYTES`` (default 64 KB) is refused before
  it is read in full or parsed (the route must be a streaming one: ``stream=True``).
* ``RateLimiter`` / ``rate_limited`` — at most ``RATE_LIMIT_PER_MINUTE`` messages (default
  20) per pseudonymous sender per minute; past that the sender gets the polite sentence of
  knowledge/messages.yml (``rate_limited``) and the NLU is not called. Counted in memory (a
  bounded, time-limited map) or, with ``REDIS_URL``, in Redis (INCR + EXPIRE) so that every
  instance shares the count; if Redis fails, the count falls back to memory.
* ``address_limiter_from_settings`` / ``request_address`` — REST also counts messages per
  client address (``RATE_LIMIT_PER_ADDRESS_PER_MINUTE``, default 120), so a client that makes
  up a sender id per message is still limited. The address is the peer's, or from
  ``X-Forwarded-For`` when the peer is one of ``TRUSTED_PROXIES``; it is counted under a keyed
  pseudonym, never written as it is.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from bot.settings import client_address, get_settings
from channels.plumbing import LazyRedis, TTLMap
from channels.texts import knowledge_cache

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# -- request size ------------------------------------------------------------------


DRAIN_BYTES = 1024 * 1024


async def read_body(request: Request, limit: int) -> Optional[bytes]:
    """The request body, or None when it is larger than ``limit`` bytes.

    A declared Content-Length over the limit is refused before a byte of the body is read;
    a chunked or lying body is read only up to the limit. After the 413 Sanic discards what
    is left of a body up to ``DRAIN_BYTES`` (so that the client, still sending, can read the
    answer) and closes the connection on anything larger. Clients sending
    ``Expect: 100-continue`` never send the body at all.
    """
    stream = request.stream
    if stream is not None:
        stream.request_max_size = max(limit, DRAIN_BYTES)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    if request.body or stream is None or not getattr(stream, "request_body", None):
        body = request.body or b""
        return body if len(body) <= limit else None
    chunks, size = [], 0
    try:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except PayloadTooLarge:
        return None
    request.body = b"".join(chunks)
    return request.body


# -- per-sender rate limit -----------------------------------------------------------


REDIS_TIMEOUT_SECONDS = 0.5


class RateLimiter:
    """``per_minute`` messages per sender and minute (0: no limit)."""

    window = 60.0

    def __init__(
        self,
        per_minute: int,
        redis_url: str | None = None,
        maxsize: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self.redis_url = redis_url or None
        self._wall_clock = wall_clock
        self._clock = clock
        # sender → (start of its current window, messages in it); bounded, forgotten after a minute
        self._counts: TTLMap[Tuple[float, int]] = TTLMap(maxsize, self.window, clock)
        self._redis = (
            LazyRedis(redis_url, 0.5, "the Redis rate-limit counter") if redis_url else None
        )
        self._redis_failed_at: float | None = None

    async def allow(self, sender_id: str) -> bool:
        """Count one message of ``sender_id``; False when it is over the limit."""
        if self.per_minute <= 0:
            return True
        count = await self._count_in_redis(sender_id) if self._redis else None
        if count is None:
            count = self._count_in_memory(sender_id)
        if count == self.per_minute + 1:  # once per sender and minute: no log flood
            logger.warning(
                "rate limit: %s sent more than %d messages in a minute", sender_id, self.per_minute
            )
        return count <= self.per_minute

    def _count_in_memory(self, sender_id: str) -> int:
        now = self._clock()
        start, count = self._counts.get(sender_id) or (now, 0)
        if now - start >= self.window:
            start, count = now, 0
        self._counts.set(sender_id, (start, count + 1))
        return count + 1

    async def _count_in_redis(self, sender_id: str) -> int | None:
        now = self._clock()
        if self._redis_failed_at is not None and now - self._redis_failed_at < 30.0:
            return None  # Redis failed a moment ago: count in memory for a while
        bucket = int(self._wall_clock() // self.window)
        key = f"ratelimit:{sender_id}:{bucket}"
        try:
            client = self._redis()
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, int(self.window) * 2)
                count, _ = await pipe.execute()
        except Exception as exc:  # the URL may hold a password: log the kind of error only
            logger.warning(
                "rate limit: Redis unavailable (%s), counting in memory", type(exc).__name__
            )
            self._redis_failed_at = now
            return None
        self._redis_failed_at = None
        return int(count)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()


def limiter_from_settings() -> RateLimiter:
    """A limiter as configured (RATE_LIMIT_PER_MINUTE, REDIS_URL). Each channel has its own;
    their sender ids never collide (the pseudonym starts with the channel's name)."""
    settings = get_settings()
    return RateLimiter(settings.rate_limit_per_minute, settings.redis_url)


def address_limiter_from_settings() -> RateLimiter:
    """The per-address limit of REST (RATE_LIMIT_PER_ADDRESS_PER_MINUTE; shared through
    REDIS_URL like the per-sender one)."""
    settings = get_settings()
    return RateLimiter(settings.rate_limit_per_address_per_minute, settings.redis_url)


def request_address(request: Request) -> str:
    """The client address of ``request``: X-Forwarded-For believed only from TRUSTED_PROXIES."""
    return client_address(
        request.ip,
        request.headers.get("x-forwarded-for"),
        get_settings().trusted_proxy_networks(),
    )


def rate_limited_reply() -> str:
    """knowledge/messages.yml › messages › rate_limited ("" if knowledge/ cannot be read)."""
    try:
        return knowledge_cache().get().message("rate_limited")
    except Exception:  # no such entry, or knowledge/ unreadable: no reply rather than a crash
        logger.exception("rate limit: no messages › rate_limited in knowledge/")
        return ""


def rate_limited(on_new_message: OnNewMessage, limiter: RateLimiter | None = None) -> OnNewMessage:
    """``on_new_message`` behind the per-sender limit: over it, the polite reply, no NLU."""

    current = limiter or limiter_from_settings()

    async def handle(message: UserMessage) -> Any:
        if await current.allow(message.sender_id):
            return await on_new_message(message)
        reply = rate_limited_reply()
        if reply:
            await message.output_channel.send_text_message(message.sender_id, reply)
        return None

    handle.limiter = current  # type: ignore[attr-defined]
    return handle
