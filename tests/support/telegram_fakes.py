"""A fake Telegram Bot API on loopback, update builders, and a real Sanic server for the channel.

Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Awaitable, Callable, Dict, List

import aiohttp
from aiohttp import web
from rasa.core.channels.channel import register
from sanic import Sanic

from channels.telegram.channel import TelegramInput

TOKEN = "123456:TEST-token"
BOT_ID = 999
BOT_USERNAME = "shuangchuang_bot"
SECRET = "s3cret_token-for-tests"
WEBHOOK_URL = "https://assistant.example.test/webhooks/telegram/webhook"
PRIVATE_CHAT = 4242
GROUP_CHAT = -100777

_JSON_FIELDS = {"reply_markup", "allowed_updates", "reply_parameters", "link_preview_options"}


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotAPI:
    """Implements the Bot API methods the channel and the CLI use, and records every call."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: List[Call] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self._updates: List[Dict[str, Any]] = []
        self._new_updates = asyncio.Event()
        self._failures: List[Dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- control -------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def push_update(self, *updates: Dict[str, Any]) -> None:
        """Queue updates for getUpdates."""
        self._updates.extend(updates)
        self._new_updates.set()

    def fail_next(
        self, method: str, retry_after: int = 1, times: int = 1, chat_id: Any = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``, if given) with a 429."""
        self._failures.append(
            {"method": method, "retry_after": retry_after, "times": times, "chat_id": chat_id}
        )

    # -- inspection ----------------------------------------------------------------

    def calls_to(self, method: str) -> List[Dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def methods(self) -> List[str]:
        return [c.method for c in self.calls]

    def sent(self, chat_id: int | None = None) -> List[Dict[str, Any]]:
        return [
            p
            for p in self.calls_to("sendMessage")
            if chat_id is None or int(p["chat_id"]) == chat_id
        ]

    def sent_texts(self, chat_id: int | None = None) -> List[str]:
        return [p["text"] for p in self.sent(chat_id)]

    # -- the API -------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        form = await request.post()
        params = {k: (json.loads(v) if k in _JSON_FIELDS else v) for k, v in form.items()}
        self.calls.append(Call(method, params))
        failure = self._failure_for(method, params)
        if failure is not None:
            return _error(
                429,
                f"Too Many Requests: retry after {failure}",
                {"retry_after": failure},
            )
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    def _failure_for(self, method: str, params: Dict[str, Any]) -> int | None:
        for failure in self._failures:
            if failure["method"] != method or failure["times"] <= 0:
                continue
            if failure["chat_id"] is not None and str(params.get("chat_id")) != str(
                failure["chat_id"]
            ):
                continue
            failure["times"] -= 1
            return failure["retry_after"]
        return None

    async def _api_getMe(self, params: Dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "双创申报助手",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _api_sendMessage(self, params: Dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        return _ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "双创申报助手"},
                "text": params["text"],
            }
        )

    async def _api_answerCallbackQuery(self, params: Dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setWebhook(self, params: Dict[str, Any]) -> web.Response:
        self.webhook_url = params["url"]
        self.webhook_secret = params.get("secret_token")
        return _ok(True)

    async def _api_deleteWebhook(self, params: Dict[str, Any]) -> web.Response:
        self.webhook_url, self.webhook_secret = "", None
        return _ok(True)

    async def _api_getWebhookInfo(self, params: Dict[str, Any]) -> web.Response:
        return _ok(
            {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        )

    async def _api_getUpdates(self, params: Dict[str, Any]) -> web.Response:
        if self.webhook_url:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        timeout = float(params.get("timeout", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_updates.clear()
            with contextlib.suppress(asyncio.TimeoutError):  # long poll ended without news
                await asyncio.wait_for(self._new_updates.wait(), timeout)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return _ok(self._updates[:limit])


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: Dict[str, Any] | None = None) -> web.Response:
    body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


# -- updates ---------------------------------------------------------------------------

_USER = {"id": 1001, "is_bot": False, "first_name": "申报人", "language_code": "zh-hans"}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_for(text: str) -> List[Dict[str, Any]]:
    """Mention and bot_command entities as Telegram would attach them."""
    found = []
    for match in re.finditer(
        r"(?<![\w/])/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?|@[A-Za-z0-9_]{5,}", text
    ):
        kind = "bot_command" if match.group().startswith("/") else "mention"
        if kind == "bot_command" and match.start() != 0:
            continue
        found.append(
            {
                "type": kind,
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
        )
    return found


def message_update(
    update_id: int,
    text: str | None = None,
    *,
    chat_id: int = PRIVATE_CHAT,
    chat_type: str = "private",
    message_id: int = 1,
    reply_to: Dict[str, Any] | None = None,
    extra: Dict[str, Any] | None = None,
    key: str = "message",
) -> Dict[str, Any]:
    chat: Dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "申报人"
    else:
        chat["title"] = "双创交流群"
    message: Dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": dict(_USER),
    }
    if text is not None:
        message["text"] = text
        entities = entities_for(text)
        if entities:
            message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    message.update(extra or {})
    return {"update_id": update_id, key: message}


def bot_message(chat_id: int = GROUP_CHAT, message_id: int = 50) -> Dict[str, Any]:
    """One of the assistant's own earlier messages (for replies to it)."""
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "supergroup", "title": "双创交流群"},
        "from": {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "双创申报助手",
            "username": BOT_USERNAME,
        },
        "text": "您好！",
    }


def callback_update(
    update_id: int, data: str, *, chat_id: int = PRIVATE_CHAT, query_id: str = "cbq-1"
) -> Dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": dict(_USER),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": 77,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "申报人"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "双创申报助手"},
                "text": "请选择：",
            },
        },
    }


# -- the channel in a real Sanic server --------------------------------------------------

_app_names = itertools.count(1)


class ChannelServer:
    """Serves the channel as ``rasa run`` would (under /webhooks/telegram) on a loopback port.

    Runs Sanic's real lifecycle (before_server_start … after_server_stop) so the
    channel's listeners — polling start/stop, draining, closing the Bot — run too.
    """

    def __init__(self, channel: Any, on_new_message: Callable[[Any], Awaitable[Any]]) -> None:
        self.channel = channel
        self.on_new_message = on_new_message
        self.url = ""
        self._server: Any = None

    async def __aenter__(self) -> ChannelServer:
        # Several apps in one process: test mode lets Sanic 21.12's TouchUp start each one.
        Sanic.test_mode = True
        app = Sanic(f"telegram_test_{next(_app_names)}", configure_logging=False)
        # Rasa's own registration: the route is /webhooks/<name()>/webhook, messages go to
        # app.ctx.agent.handle_message — here the test's stand-in for the assistant.
        app.ctx.agent = SimpleNamespace(handle_message=self.on_new_message)
        register([self.channel], app, route="/webhooks/")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, no race with other tests
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        # create_server has bound the socket already; run the listeners around it
        await server.startup()
        await server.before_start()
        await server.after_start()
        port = server.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/webhooks/telegram"
        self._server = server
        return self

    async def __aexit__(self, *exc: object) -> None:
        server = self._server
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def webhook_channel(api: FakeBotAPI, **overrides: Any) -> TelegramInput:
    settings = {
        "token": TOKEN,
        "secret_token": SECRET,
        "webhook_url": WEBHOOK_URL,
        "base_url": api.base_url,
        **overrides,
    }
    return TelegramInput.from_credentials(settings)


async def post(
    http: aiohttp.ClientSession, server: ChannelServer, body: Any, secret: str | None = SECRET
) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with http.post(f"{server.url}/webhook", json=body, headers=headers) as resp:
        return resp.status
