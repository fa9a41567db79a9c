"""Test helpers: WeChat's side of the webhook, the channel on a real Sanic server, fakes."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import string
import time
import uuid
import xml.etree.ElementTree as ET
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sanic import Sanic
from wechatpy.crypto import WeChatCrypto

from channels.wechat.channel import WeChatInput

PAYLOADS = Path(__file__).parent / "payloads"
TOKEN = "hnfgw_token_2021"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat shows it
OLD_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
APPID = "wx1234567890abcdef"
ACCOUNT = "gh_hnfgw_test"
MENU = {"DEADLINE": "申报截止时间是什么时候？", "CONTACT": "联系电话是多少？"}


def wechat_signature(*parts: str) -> str:
    """Written out independently of the channel: sha1 of the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def payload(name: str, **values: Any) -> str:
    """A recorded WeChat payload with {placeholders} filled in."""
    defaults = {
        "account": ACCOUNT,
        "openid": "o_user_1",
        "now": int(time.time()),
        "msg_id": random.randint(10**15, 10**16),
    }
    return (PAYLOADS / name).read_text(encoding="utf-8").format(**{**defaults, **values})


class WeChatServer:
    """Plays WeChat's servers: signs, optionally encrypts, posts and opens the reply.

    Given an ``aes_key`` (安全模式), :meth:`post` encrypts every body as WeChat does and
    returns the reply decrypted (``plain=True`` posts the body as it is).
    """

    def __init__(
        self, url: str, token: str = TOKEN, aes_key: str | None = None, appid: str = APPID
    ):
        self.url, self.token = url, token
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    def query(
        self, timestamp: int | None = None, good: bool = True, **extra: str
    ) -> Dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = "".join(random.choices(string.digits, k=9))
        sig = wechat_signature(self.token, ts, nonce) if good else "0" * 40
        return {"signature": sig, "timestamp": ts, "nonce": nonce, "openid": "o_user_1", **extra}

    async def get(self, query: Dict[str, str]) -> Tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(self.url, params=query) as resp:
            return resp.status, await resp.text()

    async def post(
        self,
        body: str | bytes,
        query: Dict[str, str] | None = None,
        plain: bool = False,
        **query_kwargs: Any,
    ) -> Tuple[int, str]:
        query = query or self.query(**query_kwargs)
        if self.crypto is not None and not plain:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            envelope = self.crypto.encrypt_message(text, query["nonce"], query["timestamp"])
            query = {
                **query,
                "encrypt_type": "aes",
                "msg_signature": ET.fromstring(envelope).findtext("MsgSignature"),
            }
            status, reply = await self.post(envelope, query=query, plain=True)
            if status == 200 and "<Encrypt>" in reply:
                reply = ET.tostring(open_reply(reply, self.crypto), encoding="unicode")
            return status, reply
        data = body.encode("utf-8") if isinstance(body, str) else body
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.url}?{urlencode(query)}", data=data, headers={"Content-Type": "text/xml"}
            ) as resp,
        ):
            return resp.status, await resp.text()

    def delivery(self, body: str) -> Tuple[Dict[str, str], bytes]:
        """One signed (and in safe mode encrypted) delivery of ``body``: its query and bytes,
        to post more than once byte for byte (nginx passing it to the next instance)."""
        query = self.query()
        if self.crypto is None:
            return query, body.encode("utf-8")
        envelope = self.crypto.encrypt_message(body, query["nonce"], query["timestamp"])
        signature = ET.fromstring(envelope).findtext("MsgSignature") or ""
        return {**query, "encrypt_type": "aes", "msg_signature": signature}, envelope.encode()

    async def post_delivery(self, delivery: Tuple[Dict[str, str], bytes]) -> Tuple[int, str]:
        """Post a ``delivery()`` as it is (the reply opened in safe mode)."""
        query, data = delivery
        status, reply = await self.post(data, query=query, plain=True)
        if self.crypto is not None and status == 200 and "<Encrypt>" in reply:
            reply = ET.tostring(open_reply(reply, self.crypto), encoding="unicode")
        return status, reply

    async def post_encrypted(
        self, xml: str, aes_key: str = AES_KEY, appid: str = APPID, compat: bool = False
    ) -> Tuple[int, str, WeChatCrypto]:
        crypto = WeChatCrypto(self.token, aes_key, appid)
        query = self.query()
        envelope = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
        root = ET.fromstring(envelope)
        if compat:  # 兼容模式: the plaintext fields travel beside <Encrypt>
            plain = ET.fromstring(xml)
            for child in plain:
                root.append(child)
            for child in list(root):
                if child.tag in ("MsgSignature", "TimeStamp", "Nonce"):
                    root.remove(child)
            envelope = ET.tostring(root, encoding="unicode")
        query.update(
            encrypt_type="aes",
            msg_signature=root.findtext("MsgSignature")
            or wechat_signature(
                self.token, query["timestamp"], query["nonce"], root.findtext("Encrypt")
            ),
        )
        status, body = await self.post(envelope, query=query)
        return status, body, crypto


def reply_content(body: str) -> str | None:
    try:
        return ET.fromstring(body).findtext("Content")
    except ET.ParseError:
        return None


def open_reply(body: str, crypto: WeChatCrypto) -> ET.Element:
    envelope = ET.fromstring(body)
    plain = crypto.decrypt_message(
        body,
        envelope.findtext("MsgSignature"),
        envelope.findtext("TimeStamp"),
        envelope.findtext("Nonce"),
    )
    return ET.fromstring(plain)


class FakeBot:
    """Plays the assistant: answers "收到：<text>", optionally slowly or with buttons."""

    def __init__(self, delay: float = 0.0, reply: List[Dict[str, Any]] | None = None):
        self.delay, self.reply = delay, reply
        self.messages: List[Any] = []

    async def __call__(self, message) -> None:
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        out = message.output_channel
        if self.reply is None:
            await out.send_text_message(message.sender_id, f"收到：{message.text}")
            return
        for item in self.reply:
            if item.get("buttons"):
                await out.send_text_with_buttons(
                    message.sender_id, item.get("text", ""), item["buttons"]
                )
            else:
                await out.send_text_message(message.sender_id, item["text"])

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve_channel(channel: WeChatInput, bot):
    """The channel's blueprint on a real Sanic app, mounted where Rasa mounts it."""
    Sanic.test_mode = True  # lets several apps start in one process (Sanic's TouchUp)
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/wechat")
    sock = free_socket()
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    try:
        await server.startup()  # create_server has already awaited the asyncio server
        await server.start_serving()
        yield f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()
        for task in list(channel._background):
            task.cancel()
        if channel.api is not None:
            channel.api.close()


class FakeWeChatApi:
    """The bits of api.weixin.qq.com the channel and CLI use, recording every call."""

    def __init__(self):
        self.calls: List[Tuple[str, Dict[str, Any], Any]] = []
        self.send_errcode = 0
        self.token_status = self.send_status = 200  # e.g. 500: the HTTP layer fails

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
        app.router.add_post("/cgi-bin/menu/create", self.menu_create)
        return app

    async def token(self, request: web.Request) -> web.Response:
        self.calls.append(("token", dict(request.query), None))
        if self.token_status != 200:
            return web.Response(status=self.token_status, text="fake HTTP failure")
        return web.json_response({"access_token": "ACCESS_TOKEN_1", "expires_in": 7200})

    async def custom_send(self, request: web.Request) -> web.Response:
        self.calls.append(("send", dict(request.query), await request.json()))
        if self.send_status != 200:
            return web.Response(status=self.send_status, text="fake HTTP failure")
        if self.send_errcode:
            return web.json_response({"errcode": self.send_errcode, "errmsg": "fake failure"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def menu_create(self, request: web.Request) -> web.Response:
        self.calls.append(("menu", dict(request.query), await request.json()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def named(self, name: str) -> List[Tuple[str, Dict[str, Any], Any]]:
        return [c for c in self.calls if c[0] == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.named(name)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fake WeChat API got {self.calls}")
            await asyncio.sleep(0.02)


def make_channel(**kwargs: Any) -> WeChatInput:
    kwargs.setdefault("menu_asks", MENU)
    kwargs.setdefault("token", TOKEN)
    return WeChatInput(**kwargs)
