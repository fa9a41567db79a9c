"""Bounded, time-limited memories of the WeChat channel.

``TurnCache`` remembers one asyncio task per WeChat message (MsgId, or
FromUserName+CreateTime for events) so that WeChat's retries of a message join
or reuse the first attempt instead of reaching Rasa again. ``BoundedTtlMap`` is the
small size- and age-limited map (oldest dropped first) both it and the per-user
button memory are built on.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Generic, Tuple, TypeVar

V = TypeVar("V")


class BoundedTtlMap(Generic[V]):
    def __init__(self, maxsize: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.maxsize, self.ttl, self._clock = maxsize, ttl_seconds, clock
        self._data: OrderedDict[str, Tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> V | None:
        self._expire()
        item = self._data.get(key)
        return None if item is None else item[1]

    def set(self, key: str, value: V) -> None:
        self._data[key] = (self._clock(), value)
        self._data.move_to_end(key)
        self._expire()
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def pop(self, key: str) -> V | None:
        item = self._data.pop(key, None)
        return None if item is None else item[1]

    def _expire(self) -> None:
        cutoff = self._clock() - self.ttl
        while self._data:
            key, (stamp, _) = next(iter(self._data.items()))
            if stamp >= cutoff:  # entries are in the order they were set
                break
            del self._data[key]


@dataclass
class Turn:
    task: asyncio.Task[Any]
    handed_off: bool = False  # the answer goes (or went) out through 客服消息


class TurnCache:
    """MsgId → the task answering it (at most ``maxsize`` messages for ``ttl`` seconds)."""

    def __init__(self, maxsize: int = 10_000, ttl_seconds: float = 600.0):
        self._turns: BoundedTtlMap[Turn] = BoundedTtlMap(maxsize, ttl_seconds)

    def __len__(self) -> int:
        return len(self._turns)

    def join_or_start(self, key: str, start: Callable[[], Awaitable[Any]]) -> Tuple[Turn, bool]:
        """(the turn for ``key``, whether this call started it)."""
        turn = self._turns.get(key)
        if turn is not None:
            return turn, False
        turn = Turn(asyncio.ensure_future(start()))
        self._turns.set(key, turn)
        return turn, True
