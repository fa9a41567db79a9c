"""Rasa's conversation lock in Redis, with tickets that outlive a dead instance by seconds.

Rasa's ``RedisLockStore`` gives every message a ticket that lives ``TICKET_LOCK_LIFETIME``
(60 s) whatever happens: when an instance dies while it answers a message, the next
message of that conversation — or the same message passed on by nginx to another
instance — waits a minute. It also reads, changes and writes the lock without a
transaction, so two instances issuing tickets at the same moment can lose one.

``HeartbeatLockStore`` (``type: bot.rasa.locks.HeartbeatLockStore`` in endpoints.yml, written
by ``bot/rasa/stores.py``) keeps Rasa's ticket algorithm and storage format but

* issues each ticket for ``ticket_seconds`` (3 s) and renews it every third of that for as
  long as the message holds or waits for the lock (a heartbeat): a dead instance's ticket
  is gone ``ticket_seconds`` later;
* checks the lock every ``poll_seconds`` (0.2 s) instead of every second;
* changes the lock in a Redis transaction (WATCH/MULTI, retried on conflict) and gives its
  key an expiry, so no ticket is lost between instances and no lock outlives its tickets.

A heartbeat that finds its ticket gone (the event loop stalled for longer than
``ticket_seconds``) logs a warning: that conversation's next message may then be processed
alongside this one, as with Rasa's own expired tickets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_TICKET_SECONDS = 3.0
DEFAULT_POLL_SECONDS = 0.2
KEY_GRACE_SECONDS = 60  # the lock key outlives its last ticket's expiry by this much
T = TypeVar("T")


class HeartbeatLockStore(RedisLockStore):
    """``RedisLockStore`` with short, renewed tickets and transactional updates."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        ticket_seconds: float = DEFAULT_TICKET_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        **redis: Any,
    ) -> None:
        if endpoint_config is not None:  # as Rasa builds a custom lock store
            options = dict(endpoint_config.kwargs)
            ticket_seconds = float(options.pop("ticket_seconds", ticket_seconds))
            poll_seconds = float(options.pop("poll_seconds", poll_seconds))
            redis = {"host": endpoint_config.url or "localhost", **options}
        if ticket_seconds <= 0 or poll_seconds <= 0:
            raise ValueError("ticket_seconds and poll_seconds must be positive")
        super().__init__(**redis)
        self.ticket_seconds = ticket_seconds
        self.poll_seconds = poll_seconds

    # -- every change is one transaction ---------------------------------------------

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], T]) -> T:
        key = self.key_prefix + conversation_id
        result: list = []

        def apply(pipe: Any) -> None:
            result.clear()
            stored = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(stored))
                if stored
                else self.create_lock(conversation_id)
            )
            result.append(change(lock))
            pipe.multi()
            lock.remove_expired_tickets()
            if lock.tickets:
                last = max(ticket.expires for ticket in lock.tickets)
                ttl = max(1, math.ceil(last - time.time())) + KEY_GRACE_SECONDS
                pipe.set(key, lock.dumps(), ex=ttl)
            else:
                pipe.delete(key)

        self.red.transaction(apply, key)
        return result[0]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = 0) -> int:
        try:
            return self._change(
                conversation_id, lambda lock: lock.issue_ticket(self.ticket_seconds)
            )
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def renew_ticket(self, conversation_id: Text, ticket_number: int) -> bool:
        """Push the ticket's expiry ``ticket_seconds`` ahead; False when it is gone."""

        def renew(lock: TicketLock) -> bool:
            ticket = lock._ticket_for_ticket_number(ticket_number)
            if ticket is None:
                return False
            ticket.expires = time.time() + self.ticket_seconds
            return True

        return self._change(conversation_id, renew)

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # the transaction deletes the key with its last ticket
        self.finish_serving(conversation_id, ticket_number)

    # -- the lock Rasa's processor takes around every message --------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = 0,
        wait_time_in_seconds: float = 0,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``lock()``; ``lock_lifetime`` and ``wait_time_in_seconds`` are replaced by
        the heartbeat and ``poll_seconds``."""
        ticket = self.issue_ticket(conversation_id)
        heartbeat = asyncio.ensure_future(self._keep_ticket(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, self.poll_seconds)
        finally:
            heartbeat.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_ticket(self, conversation_id: Text, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.ticket_seconds / 3)
            try:
                renewed = self.renew_ticket(conversation_id, ticket)
            except Exception as err:  # Redis away: Rasa's own calls will fail and say so
                logger.warning("lock store: could not renew a ticket (%s)", type(err).__name__)
                continue
            if not renewed:
                logger.warning(
                    "lock store: a ticket lapsed (event loop stalled for more than %.1fs)",
                    self.ticket_seconds,
                )
                return
