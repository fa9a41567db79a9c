"""channels/base.py: what every channel gets from ChannelBase, checked on a minimal channel served
the way Rasa serves one (real Sanic, Rasa's ``register``) — health route, privacy, body limit,
rate limit, the unavailable reply on a failure, and the lifecycle that closes what it opened."""

from __future__ import annotations

from typing import Any, List

import aiohttp
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.settings import get_settings
from channels.base import ChannelBase, OnNewMessage
from channels.limits import rate_limited_reply
from channels.privacy import MASKED_MOBILE, pseudonymous_id
from channels.questions import unavailable_reply
from channels.rest import RestInput
from channels.telegram.channel import TelegramInput
from channels.wechat.channel import WeChatInput
from tests.support.rest import Assistant
from tests.support.telegram_fakes import ChannelServer


class Echo(ChannelBase):
    """A channel that says only how it reads (the body is the text, ?from= the sender) and
    writes (a JSON list of texts)."""

    def __init__(self, body_limit: int | None = None) -> None:
        self.events: List[str] = []
        self._body_limit = body_limit

    @classmethod
    def name(cls) -> str:
        return "echo"

    def body_limit(self) -> int:
        return self._body_limit or super().body_limit()

    def health(self) -> dict:
        return {"mode": "test"}

    def add_routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        @blueprint.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> Any:
            body = await self.read_body(request)
            if body is None:
                return response.text("too large", status=413)
            sender, text = self.protect(request.args.get("from", ""), body.decode())
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel="echo"))
            return response.json([m["text"] for m in collector.messages])

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def close(self) -> None:
        self.events.append("close")


class Failing(Assistant):
    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        raise RuntimeError("Rasa failed")


@pytest.fixture
def settings(monkeypatch, channel_settings):
    for var in ("MAX_BODY_BYTES", "RATE_LIMIT_PER_MINUTE", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def post(server: ChannelServer, text: bytes, sender: str = "someone") -> tuple:
    url = server.url.rsplit("/", 1)[0] + "/echo/webhook"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, params={"from": sender}, data=text) as answer,
    ):
        return answer.status, (await answer.json() if answer.status == 200 else None)


@pytest.mark.parametrize("channel", [RestInput, WeChatInput, TelegramInput])
def test_every_channel_is_built_on_the_base(channel):
    assert issubclass(channel, ChannelBase)
    assert "blueprint" not in vars(channel)  # the base sets it up; the channel adds its routes


async def test_health_route_with_the_channels_own_fields(settings):
    async with ChannelServer(Echo(), Assistant()) as server:
        url = server.url.rsplit("/", 1)[0] + "/echo/"
        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            assert answer.status == 200
            assert await answer.json() == {"status": "ok", "mode": "test"}


async def test_rasa_gets_a_pseudonym_and_masked_text(settings):
    assistant = Assistant()
    async with ChannelServer(Echo(), assistant) as server:
        status, replies = await post(server, "电话13812345678".encode(), sender="13812345678")
    (message,) = assistant.messages
    assert message.sender_id == pseudonymous_id("test-secret", "echo", "13812345678")
    assert message.text == f"电话{MASKED_MOBILE}"
    assert (status, replies) == (200, [f"收到：电话{MASKED_MOBILE}"])


@pytest.mark.parametrize("limit, size, status", [(100, 100, 200), (100, 101, 413)])
async def test_bodies_over_the_channels_limit_are_refused(settings, limit, size, status):
    assistant = Assistant()
    async with ChannelServer(Echo(body_limit=limit), assistant) as server:
        got, _ = await post(server, b"a" * size)
    assert got == status and len(assistant.messages) == (1 if status == 200 else 0)


async def test_the_rate_limit_answers_politely_without_asking_rasa(settings):
    settings.setenv("RATE_LIMIT_PER_MINUTE", "2")
    get_settings.cache_clear()
    assistant = Assistant()
    async with ChannelServer(Echo(), assistant) as server:
        replies = [(await post(server, f"问题{n}".encode()))[1] for n in range(3)]
    assert len(assistant.messages) == 2
    assert replies[2] == [rate_limited_reply()] and rate_limited_reply()


async def test_a_failure_in_rasa_ends_in_the_unavailable_reply(settings):
    assistant = Failing()
    async with ChannelServer(Echo(), assistant) as server:
        status, replies = await post(server, "截止时间".encode())
    assert len(assistant.messages) == 1
    assert (status, replies) == (200, [unavailable_reply()]) and unavailable_reply()


async def test_the_lifecycle_runs_in_order_and_closes_the_rate_limiter(settings):
    channel = Echo()
    async with ChannelServer(channel, Assistant()):
        assert channel.events == ["start"]
        close_limiter = channel.limiter.close

        async def closing() -> None:
            channel.events.append("limiter closed")
            await close_limiter()

        channel.limiter.close = closing
    assert channel.events == ["start", "stop", "close", "limiter closed"]
