"""The conversation lock in a real Redis: a live holder keeps it, a dead one loses it within
``ticket_seconds``, and instances issuing tickets at the same moment lose none."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa.locks import HeartbeatLockStore
from bot.rasa.stores import lock_store_endpoint

REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = [
    pytest.mark.shared_redis,
    pytest.mark.skipif(
        not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it when Redis answers)"
    ),
]
TICKET = 0.6


def store(**options) -> HeartbeatLockStore:
    """Built the way Rasa builds it from the generated endpoints.yml."""
    endpoint = lock_store_endpoint(REDIS_URL)
    endpoint.update(options)
    endpoint_type, url = endpoint.pop("type"), endpoint.pop("url")
    made = LockStore.create(EndpointConfig(url=url, type=endpoint_type, **endpoint))
    assert isinstance(made, HeartbeatLockStore)
    return made


@pytest.fixture
def conversation():
    name = f"lock-test-{uuid.uuid4().hex[:8]}"
    yield name
    cleaner = store()
    cleaner.red.delete(cleaner.key_prefix + name)
    cleaner.red.close()


def test_the_generated_endpoint_builds_a_heartbeat_store_with_its_options(conversation):
    made = store(ticket_seconds=1.5, poll_seconds=0.1)
    assert (made.ticket_seconds, made.poll_seconds) == (1.5, 0.1)
    assert made.key_prefix == "shuangchuang:lock:"
    with pytest.raises(ValueError):
        HeartbeatLockStore(ticket_seconds=0)


async def test_a_live_holder_keeps_the_lock_past_its_ticket_lifetime(conversation):
    first, second = store(ticket_seconds=TICKET), store(ticket_seconds=TICKET)
    order = []

    async def hold() -> None:
        async with first.lock(conversation):
            order.append("first in")
            await asyncio.sleep(3 * TICKET)  # several lifetimes: the heartbeat renews it
            order.append("first out")

    async def wait() -> None:
        await asyncio.sleep(0.1)
        async with second.lock(conversation):
            order.append("second in")

    await asyncio.wait_for(asyncio.gather(hold(), wait()), 10)
    assert order == ["first in", "first out", "second in"]
    assert first.get_lock(conversation) is None  # the last ticket took the key with it


async def test_a_dead_holders_ticket_is_gone_within_its_lifetime(conversation):
    dead, alive = store(ticket_seconds=TICKET), store(ticket_seconds=TICKET)
    dead.issue_ticket(conversation)  # it took a ticket, then its process was killed
    started = time.monotonic()
    async with alive.lock(conversation):
        waited = time.monotonic() - started
    assert TICKET * 0.5 < waited < TICKET + 2 * alive.poll_seconds + 0.5


def test_the_lock_key_expires_after_its_tickets(conversation):
    made = store(ticket_seconds=TICKET)
    made.issue_ticket(conversation)
    ttl = made.red.ttl(made.key_prefix + conversation)
    assert 0 < ttl <= 1 + 60


def test_tickets_issued_at_the_same_moment_by_many_instances_are_all_kept(conversation):
    stores = [store(ticket_seconds=30) for _ in range(8)]
    issued = []
    barrier = threading.Barrier(len(stores))

    def issue(instance: HeartbeatLockStore) -> None:
        barrier.wait()
        for _ in range(5):
            issued.append(instance.issue_ticket(conversation))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = [ticket.number for ticket in stores[0].get_lock(conversation).tickets]
    assert sorted(issued) == kept == list(range(40))
    for number in kept:
        stores[number % 8].cleanup(conversation, number)
    assert stores[0].get_lock(conversation) is None
