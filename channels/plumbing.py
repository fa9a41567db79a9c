"""Small shared helpers of the channels.

``TTLMap`` is a bounded, time-limited map: every entry lives ``ttl`` seconds after it was
last set, and when more than ``maxsize`` entries are alive the oldest goes first. All
operations are O(1) (amortised: expired entries are dropped from the old end as they are
met). It backs de-duplication, replay (nonce) memories and per-sender counters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, Mapping, Optional, Tuple, TypeVar

V = TypeVar("V")
logger = logging.getLogger(__name__)


class TTLMap(Generic[V]):
    """``maxsize`` entries at most, each forgotten ``ttl`` seconds after it was set."""

    def __init__(
        self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if maxsize < 1 or ttl <= 0:
            raise ValueError("TTLMap needs maxsize >= 1 and ttl > 0")
        self.maxsize, self.ttl, self._clock = maxsize, ttl, clock
        # key -> (expiry, value); kept in the order entries were (re)set, so expiries ascend
        self._data: OrderedDict[Hashable, Tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        return self._alive(key) is not None

    def get(self, key: Hashable) -> Optional[V]:
        item = self._alive(key)
        return None if item is None else item[1]

    def set(self, key: Hashable, value: V) -> None:
        now = self._clock()
        self._data[key] = (now + self.ttl, value)
        self._data.move_to_end(key)
        self._expire(now)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def add_if_absent(self, key: Hashable, value: V = True) -> bool:  # type: ignore[assignment]
        """Remember ``key`` unless it is already alive: True when this call added it."""
        if self._alive(key) is not None:
            return False
        self.set(key, value)
        return True

    def _alive(self, key: Hashable) -> Optional[Tuple[float, V]]:
        now = self._clock()
        self._expire(now)
        item = self._data.get(key)
        if item is not None and item[0] <= now:  # a clock that jumped: never serve stale
            del self._data[key]
            return None
        return item

    def _expire(self, now: float) -> None:
        data = self._data
        while data:
            key, (expiry, _) = next(iter(data.items()))
            if expiry > now:
                break
            del data[key]


class LazyRedis:
    """One asyncio Redis client, created on first use (in the server's event loop, not at import
    or construction) and again if it is used from another event loop, closed without ever
    keeping the server from stopping."""

    def __init__(self, url: str, timeout: float, what: str) -> None:
        self.url, self.timeout, self.what = url, timeout, what
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def __call__(self) -> Any:
        loop = _running_loop()
        if self._client is None or self._loop is not loop:
            import redis.asyncio as aioredis  # only needed when REDIS_URL is set

            self._client = aioredis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
            self._loop = loop
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close(close_connection_pool=True)
            except Exception as err:  # closing must not keep the server from stopping
                logger.warning("closing %s failed: %s", self.what, type(err).__name__)


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def setting(credentials: Mapping[str, Any] | None, key: str, fallback: Any = None) -> Any:
    """A channel setting: ``credentials.yml``'s value for ``key`` unless it is missing or empty,
    else ``fallback`` (the environment, through ``bot.settings``, or a default)."""
    value = (credentials or {}).get(key)
    return fallback if value in (None, "") else value


def text_setting(
    credentials: Mapping[str, Any] | None, key: str, fallback: str | None
) -> str | None:
    """``setting`` for a text value (credentials.yml may hold a number, e.g. an AppID)."""
    value = setting(credentials, key, fallback)
    return None if value is None else str(value)
