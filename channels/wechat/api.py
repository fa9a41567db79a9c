"""The WeChat server API (access token, 客服消息, menu) through wechatpy.

wechatpy's client is synchronous, so the channel calls it through
:class:`AsyncWeChatApi`, which runs every call in a small thread pool and never
on the event loop. The API base URL is overridable per client so tests and the
simulator can stand a local fake in. Access tokens live in wechatpy's session
storage: Redis when ``REDIS_URL`` is set (several servers share one token),
otherwise memory.

Secrets never reach a log: the AppSecret travels in the token request's query string and the
access token in every other one, and both ``requests``' exceptions and urllib3's debug log
quote the URL. Every error the client raises is a :class:`WeChatApiError` whose text has no
query string and no secret (its cause is suppressed), and urllib3's and wechatpy's log
records are redacted the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from bot.settings import WECHAT_API_BASE_URL

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10.0


# A URL's query string (``?a=b&c=d``) and any ``secret=…``/``access_token=…`` pair anywhere.
_QUERY_STRING = re.compile(r"\?[^\s'\"<>()]*=[^\s'\"<>()]*")
_SECRET_PAIR = re.compile(r"((?:app)?secret|access_token|token)=[^&\s'\"<>()]+", re.IGNORECASE)
REDACTED = "[redacted]"
_REDACTED_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
    "wechatpy.client.base",
    "wechatpy.client",
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without query strings, ``secret=``/``access_token=`` values or ``secrets``."""
    text = _QUERY_STRING.sub("?" + REDACTED, text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class WeChatApiError(WeChatClientException):
    """A failed WeChat API call, described without URLs' query strings or secrets."""

    def __init__(self, errcode: Any, errmsg: str):
        super().__init__(errcode, errmsg)  # no request/response: they carry the URL


def describe_error(err: BaseException, secrets: Iterable[str | None] = ()) -> WeChatApiError:
    if isinstance(err, WeChatApiError):
        return err
    if isinstance(err, WeChatClientException):
        message = str(err.errmsg or "")
        if not message and getattr(err, "response", None) is not None:
            message = f"HTTP {err.response.status_code}"
        return WeChatApiError(err.errcode, redact(message, secrets))
    return WeChatApiError(None, redact(f"{type(err).__name__}: {err}", secrets))


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) without query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to the logging machinery
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACTING_FILTER = _RedactingFilter()


def install_log_redaction() -> None:
    """Idempotent: the HTTP libraries' own log lines (DEBUG: every URL) lose query strings."""
    for name in _REDACTED_LOGGERS:
        log = logging.getLogger(name)
        if _REDACTING_FILTER not in log.filters:
            log.addFilter(_REDACTING_FILTER)


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

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base_url: str = WECHAT_API_BASE_URL,
        session: SessionStorage | None = None,
        timeout: float = HTTP_TIMEOUT_SECONDS,
    ):
        super().__init__(appid, secret, session=session, timeout=timeout)
        # BaseWeChatClient._request reads self.API_BASE_URL: an instance attribute wins
        self.API_BASE_URL = api_base_url.rstrip("/") + "/"
        self._http = _TimeoutSession(timeout)
        self._token_lock = threading.Lock()

    @property
    def access_token(self) -> str:
        # one fetch at a time: concurrent 客服消息 must not each fetch (and so revoke) a token
        with self._token_lock:
            try:
                return super().access_token
            except Exception as err:
                raise describe_error(err, self._secrets()) from None

    def fetch_access_token(self) -> Dict[str, Any]:
        try:
            return self._fetch_access_token(
                url=self.API_BASE_URL + "token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )
        except Exception as err:
            raise describe_error(err, self._secrets()) from None

    def _request(self, method, url_or_endpoint, **kwargs):  # type: ignore[override]
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except Exception as err:
            raise describe_error(err, self._secrets()) from None

    def _secrets(self) -> list:
        secrets = [self.secret]
        # the token as stored (memory or Redis); never let redaction itself fail
        with contextlib.suppress(Exception):
            secrets.append(self.session.get(self.access_token_key))
        return [s for s in secrets if isinstance(s, str)]


def session_storage(redis_url: str | None) -> SessionStorage:
    if not redis_url:
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis.Redis.from_url(redis_url), prefix="wechatpy")


def make_client(
    appid: str, secret: str, api_base_url: str | None = None, redis_url: str | None = None
) -> ConfigurableWeChatClient:
    install_log_redaction()
    return ConfigurableWeChatClient(
        appid, secret, api_base_url or WECHAT_API_BASE_URL, session=session_storage(redis_url)
    )


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
