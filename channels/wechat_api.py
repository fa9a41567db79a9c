"""The WeChat server API (access token, 客服消息, menu) through wechatpy.

wechatpy's client is synchronous, so the channel calls it through
:class:`AsyncWeChatApi`, which runs every call in a small thread pool and never
on the event loop. The API base URL is overridable per client so tests and the
simulator can stand a local fake in. Access tokens live in wechatpy's session
storage: Redis when ``REDIS_URL`` is set (several servers share one token),
otherwise memory.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

import requests
from wechatpy import WeChatClient
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
HTTP_TIMEOUT_SECONDS = 10.0


class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout; give every call one."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, **kwargs)


class ConfigurableWeChatClient(WeChatClient):
    """``WeChatClient`` whose API base URL (also for the token) is set per instance."""

    def __init__(self, appid: str, secret: str, api_base_url: str = DEFAULT_API_BASE_URL,
                 session: SessionStorage | None = None, timeout: float = HTTP_TIMEOUT_SECONDS):
        super().__init__(appid, secret, session=session, timeout=timeout)
        # BaseWeChatClient._request reads self.API_BASE_URL: an instance attribute wins
        self.API_BASE_URL = api_base_url.rstrip("/") + "/"
        self._http = _TimeoutSession(timeout)
        self._token_lock = threading.Lock()

    @property
    def access_token(self) -> str:
        # one fetch at a time: concurrent 客服消息 must not each fetch (and so revoke) a token
        with self._token_lock:
            return super().access_token

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def session_storage(redis_url: str | None) -> SessionStorage:
    if not redis_url:
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis.Redis.from_url(redis_url), prefix="wechatpy")


def make_client(appid: str, secret: str, api_base_url: str | None = None,
                redis_url: str | None = None) -> ConfigurableWeChatClient:
    return ConfigurableWeChatClient(appid, secret, api_base_url or DEFAULT_API_BASE_URL,
                                    session=session_storage(redis_url))


class AsyncWeChatApi:
    """The few calls the channel makes, off the event loop."""

    def __init__(self, client: ConfigurableWeChatClient, max_workers: int = 4):
        self.client = client
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wechat-api")

    async def send_text(self, openid: str, text: str) -> None:
        """客服消息: a text message to one user (within 48 h of their last message)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self.client.message.send_text, openid, text)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
