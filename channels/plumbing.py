"""Small shared helpers of the channels.

``TTLMap`` is a bounded, time-limited map: every entry lives ``ttl`` seconds after it was
last set, and when more than ``maxsize`` entries are alive the oldest goes first. All
operations are O(1) (amortised: expired entries are dropped from the old end as they are
met). It backs de-duplication, replay (nonce) memories and per-sender counters.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Optional, Tuple, TypeVar

V = TypeVar("V")


class TTLMap(Generic[V]):
    """``maxsize`` entries at most, each forgotten ``ttl`` seconds after it was set."""

    def __init__(self, maxsize: int, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
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
