"""The REST channel on a real Sanic server, with a stand-in for Rasa's agent."""

from __future__ import annotations

import io
import json
from typing import Any, List

import aiohttp

from channels.rest import RestInput
from tests.support.telegram_fakes import ChannelServer


class Assistant:
    """Stands in for Rasa's agent: records each message and answers through the channel."""

    def __init__(self) -> None:
        self.messages: List[Any] = []

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


class RestServer:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._server = ChannelServer(RestInput(), assistant)
        self.url = ""

    async def __aenter__(self) -> RestServer:
        await self._server.__aenter__()
        self.url = self._server.url.rsplit("/", 1)[0] + "/rest/webhook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.__aexit__(*exc)


async def send(http: aiohttp.ClientSession, url: str, body: Any, **kwargs: Any):
    plain = isinstance(body, (bytes, str)) or hasattr(body, "__aiter__")
    data = body if plain else json.dumps(body, ensure_ascii=False)
    if isinstance(data, bytes) and len(data) > 1_000_000:
        data = io.BytesIO(data)  # aiohttp warns about large raw bytes
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    async with http.post(url, data=data, headers=headers, **kwargs) as resp:
        return resp.status, await resp.json(content_type=None)
