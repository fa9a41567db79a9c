"""Log-in under attack: parallel tries for one name, lockouts audited, trusted proxies."""

from __future__ import annotations

import asyncio

from bot.console import store
from tests.bot.console.conftest import USER, csrf_of


async def test_parallel_wrong_passwords_check_at_most_the_limit(client, config):
    token = csrf_of(await (await client.get("/login")).text())
    data = {"csrf": token, "username": USER, "password": "wrong password!"}
    responses = await asyncio.gather(*(client.post("/login", data=data) for _ in range(40)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(401) == config.limits.per_user.limit  # checked
    assert statuses.count(429) == 40 - config.limits.per_user.limit  # refused unchecked
    entries = store.recent(100, config.database_url)
    assert [e.action for e in entries].count(store.LOCKOUT) == 1
    lockout = next(e for e in entries if e.action == store.LOCKOUT)
    assert lockout.username == USER and "15 分钟" in lockout.detail


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(client, config):
    token = csrf_of(await (await client.get("/login")).text())
    for number in range(3):
        await client.post(
            "/login",
            data={"csrf": token, "username": f"nobody{number}", "password": "x" * 12},
            headers={"X-Forwarded-For": f"198.51.100.{number}"},
        )
    addresses = {e.target for e in store.recent(10, config.database_url)}
    assert addresses == {"127.0.0.1"}  # no proxy is trusted: the header is ignored


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(config):
    from aiohttp.test_utils import TestClient, TestServer

    from bot.console.app import create_app

    config.trusted_proxies = "127.0.0.1/32"
    async with TestClient(TestServer(create_app(config))) as client:
        token = csrf_of(await (await client.get("/login")).text())
        for number in range(3):
            await client.post(
                "/login",
                data={"csrf": token, "username": f"nobody{number}", "password": "x" * 12},
                headers={"X-Forwarded-For": f"6.6.6.6, 198.51.100.{number}"},
            )
    addresses = {e.target for e in store.recent(10, config.database_url)}
    assert addresses == {"198.51.100.0", "198.51.100.1", "198.51.100.2"}
