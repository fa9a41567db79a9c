"""channels/plumbing.py: the credential/setting fallback and the lazy Redis client.

(``TTLMap`` is tested where it bounds the replay memory: tests/channels/test_wechat_replay.py.)
"""

from __future__ import annotations

import asyncio

import pytest

from channels.plumbing import LazyRedis, setting, text_setting


@pytest.mark.parametrize(
    ("credentials", "fallback", "expected", "as_text"),
    [
        (None, "env", "env", "env"),
        ({}, "env", "env", "env"),
        ({"key": None}, "env", "env", "env"),
        ({"key": ""}, "env", "env", "env"),
        ({"key": "yml"}, "env", "yml", "yml"),
        ({"key": 0}, "env", 0, "0"),  # a number in credentials.yml is a value, not “missing”
        ({"key": 12345}, None, 12345, "12345"),
        ({"other": "x"}, None, None, None),
    ],
)
def test_credentials_yml_first_then_the_fallback(credentials, fallback, expected, as_text):
    assert setting(credentials, "key", fallback) == expected
    assert text_setting(credentials, "key", fallback) == as_text


async def test_lazy_redis_connects_on_first_use_and_once_per_event_loop():
    lazy = LazyRedis("redis://127.0.0.1:1/0", 0.1, "a test client")
    assert lazy._client is None  # nothing at construction
    first = lazy()
    assert lazy() is first
    other = await asyncio.to_thread(lambda: asyncio.run(_use(lazy)))
    assert other is not first  # a client belongs to the loop it was made in
    await lazy.close()
    await lazy.close()  # closing twice (or never used) is fine


async def _use(lazy: LazyRedis):
    return lazy()
