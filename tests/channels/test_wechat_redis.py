"""Two servers share one WeChat access token through a real Redis (REDIS_URL)."""

from __future__ import annotations

import os
import uuid

import pytest

from channels.wechat_api import AsyncWeChatApi, make_client

REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it when Redis answers)")


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    for key in client.scan_iter("wechatpy*"):
        client.delete(key)


async def test_second_server_reuses_the_token_the_first_fetched(fake_wechat_api, redis_client):
    appid = f"wx{uuid.uuid4().hex[:16]}"
    first = AsyncWeChatApi(make_client(appid, "secret", fake_wechat_api.base_url, redis_url=REDIS_URL))
    second = AsyncWeChatApi(make_client(appid, "secret", fake_wechat_api.base_url, redis_url=REDIS_URL))
    try:
        await first.send_text("o_a", "第一台服务器")
        await second.send_text("o_b", "第二台服务器")
    finally:
        first.close()
        second.close()
    assert len(fake_wechat_api.named("token")) == 1
    assert [query["access_token"] for _, query, _ in fake_wechat_api.named("send")] == ["ACCESS_TOKEN_1"] * 2
    assert any(appid.encode() in key for key in redis_client.scan_iter("wechatpy*"))
