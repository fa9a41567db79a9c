"""Bounded, time-limited memories of the WeChat channel.

``TurnCache`` remembers one asyncio task per WeChat message so that WeChat's retries of a
message (same MsgId, but a new timestamp and nonce) join or reuse the first attempt
instead of reaching Rasa again. A message is known by (openid, MsgId) — MsgIds are only
unique per user — or (openid, CreateTime:Event) for events, which have no MsgId.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Hashable, Tuple

from channels.plumbing import TTLMap


@dataclass
class Turn:
    task: asyncio.Task[Any]
    handed_off: bool = False  # the answer goes (or went) out through 客服消息


class TurnCache:
    """(openid, MsgId) → the task answering it (``maxsize`` messages for ``ttl`` seconds)."""

    def __init__(self, maxsize: int = 10_000, ttl_seconds: float = 600.0):
        self._turns: TTLMap[Turn] = TTLMap(maxsize, ttl_seconds)

    def __len__(self) -> int:
        return len(self._turns)

    def join_or_start(self, key: Hashable,
                      start: Callable[[], Awaitable[Any]]) -> Tuple[Turn, bool]:
        """(the turn for ``key``, whether this call started it)."""
        turn = self._turns.get(key)
        if turn is not None:
            return turn, False
        turn = Turn(asyncio.ensure_future(start()))
        self._turns.set(key, turn)
        return turn, True
