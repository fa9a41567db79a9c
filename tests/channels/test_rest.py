"""The REST channel on a real Sanic server (channels/rest.py): what Rasa receives, and what a
hostile or careless client gets back."""

from __future__ import annotations

import io
import json
import re

import aiohttp
import pytest

from bot.settings import get_settings
from channels.limits import rate_limited_reply
from channels.privacy import MASKED_ID_CARD, MASKED_MOBILE, MAX_MESSAGE_CHARS, pseudonymous_id
from tests.support.rest import Assistant, RestServer, send


@pytest.fixture
def rest_settings(monkeypatch, channel_settings):
    for var in (
        "MAX_BODY_BYTES",
        "RATE_LIMIT_PER_MINUTE",
        "RATE_LIMIT_PER_ADDRESS_PER_MINUTE",
        "TRUSTED_PROXIES",
        "REDIS_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_rasa_gets_pseudonym_masked_text_and_the_servers_channel(rest_settings, http):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        status, replies = await send(
            http,
            server.url,
            {
                "sender": "13812345678",
                "message": "我的身份证430102 19900307 123X，电话１３８\u200b１２３４\u200b５６７８",
                "input_channel": "wechat",  # a client cannot pose as another channel
                "metadata": {
                    "channel_message_id": "client-42",
                    "phone": "13812345678",
                    "name": "张三",
                },
            },
        )
    assert status == 200
    (message,) = assistant.messages
    assert message.sender_id == pseudonymous_id("test-secret", "rest", "13812345678")
    assert message.text == f"我的身份证{MASKED_ID_CARD}，电话{MASKED_MOBILE}"
    assert message.input_channel == "rest"
    client_id, digest = message.metadata["channel_message_id"].split("#")
    assert list(message.metadata) == ["channel_message_id"]
    assert client_id == "client-42" and re.fullmatch("[0-9a-f]{16}", digest)
    assert replies == [{"recipient_id": message.sender_id, "text": f"收到：{message.text}"}]


async def test_a_reused_client_message_id_never_makes_two_questions_one(rest_settings, http):
    assistant = Assistant()
    sent = [
        ("m-1", "申报截止时间是什么时候？"),
        ("m-1", "材料交到哪里"),
        ("m-1", "申报截止时间是什么时候？"),
    ]
    async with RestServer(assistant) as server:
        for message_id, text in sent:
            body = {"sender": "a", "message": text, "metadata": {"message_id": message_id}}
            assert (await send(http, server.url, body))[0] == 200
    first, other, retry = (m.metadata["channel_message_id"] for m in assistant.messages)
    assert first != other  # another question under the same id: its own row
    assert first == retry  # a retry: the same row (the question log stores it once)
    assert first.startswith("m-1#") and other.startswith("m-1#")
    assert "申报" not in first


async def test_a_long_message_is_masked_before_it_is_cut(rest_settings, http):
    assistant = Assistant()
    text = "问" * (MAX_MESSAGE_CHARS - 5) + "13812345678" + "问" * 5000
    async with RestServer(assistant) as server:
        status, _ = await send(http, server.url, {"sender": "a", "message": text})
    assert status == 200
    (message,) = assistant.messages
    assert len(message.text) == MAX_MESSAGE_CHARS
    assert not re.search(r"\d", message.text)  # not 10 of the 11 digits, none


@pytest.mark.parametrize(
    "body, error",
    [
        ({"message": "截止时间？"}, "'sender' is missing"),
        ({"sender": "", "message": "截止时间？"}, "'sender' is missing"),
        ({"sender": "  ", "message": "截止时间？"}, "'sender' is missing"),
        ({"sender": None, "message": "截止时间？"}, "'sender' is missing"),
        ({"sender": {"id": 1}, "message": "截止时间？"}, "'sender' is missing"),
        ({"sender": "a"}, "'message' is missing"),
        ({"sender": "a", "message": ["截止"]}, "'message' is missing"),
        (["sender", "message"], "JSON object"),
        ("not json at all", "JSON object"),
        ('{"sender": "a", "message": "截', "JSON object"),
        (b"\xff\xfe\x00garbage", "JSON object"),
        ("", "JSON object"),
    ],
)
async def test_bad_requests_get_a_clear_400(rest_settings, http, body, error):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        status, answer = await send(http, server.url, body)
    assert status == 400
    assert error in answer["error"]
    assert assistant.messages == []


async def test_numbers_as_sender_and_message_are_accepted(rest_settings, http):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        status, _ = await send(http, server.url, {"sender": 42, "message": 7})
    assert status == 200
    assert assistant.messages[0].text == "7"


@pytest.mark.parametrize("size, status", [(1000, 200), (1001, 413), (70_000, 413), (900_000, 413)])
async def test_bodies_over_the_limit_get_413(rest_settings, http, size, status):
    rest_settings.setenv("MAX_BODY_BYTES", "1000")
    get_settings.cache_clear()
    assistant = Assistant()
    prefix = b'{"sender": "a", "message": "'
    body = prefix + b"x" * (size - len(prefix) - 2) + b'"}'
    assert len(body) == size
    async with RestServer(assistant) as server:
        got, answer = await send(http, server.url, body)
    assert got == status
    assert (assistant.messages != []) == (status == 200)
    if status == 413:
        assert "1000 bytes" in answer["error"]


async def test_a_huge_body_announced_with_expect_100_continue_is_never_read(rest_settings, http):
    assistant = Assistant()
    body = io.BytesIO(b'{"sender": "a", "message": "' + b"x" * 50_000_000 + b'"}')
    async with (
        RestServer(assistant) as server,
        http.post(server.url, data=body, expect100=True) as resp,
    ):
        assert resp.status == 413
    assert body.tell() == 0  # not a byte of the body was sent
    assert assistant.messages == []


async def test_a_chunked_body_over_the_limit_gets_413(rest_settings, http):
    """No Content-Length to trust: the body is read only up to the limit."""
    assistant = Assistant()

    async def chunks():
        yield b'{"sender": "a", "message": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    async with RestServer(assistant) as server:
        status, answer = await send(http, server.url, chunks())
    assert status == 413 and "65536 bytes" in answer["error"]
    assert assistant.messages == []


async def test_the_default_limit_is_64_kb(rest_settings, http):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        ok, _ = await send(http, server.url, {"sender": "a", "message": "问" * 20_000})  # 60 KB
        too_big, _ = await send(http, server.url, {"sender": "a", "message": "x" * 66_000})
    assert (ok, too_big) == (200, 413)
    assert get_settings().max_body_bytes == 65536


async def test_the_server_keeps_answering_after_hostile_requests(rest_settings, http):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        for body in (b"x" * 100_000, b"[]", b"{", {"sender": "a"}):
            await send(http, server.url, body)
        status, replies = await send(http, server.url, {"sender": "a", "message": "截止时间"})
    assert status == 200 and replies[0]["text"] == "收到：截止时间"


async def test_streaming_replies_still_work(rest_settings, http):
    assistant = Assistant()
    async with RestServer(assistant) as server:
        body = json.dumps({"sender": "a", "message": "你好"})
        async with http.post(server.url + "?stream=true", data=body) as resp:
            lines = [json.loads(line) for line in (await resp.text()).splitlines() if line]
    assert [line["text"] for line in lines] == ["收到：你好"]


# -- the per-address limit (RATE_LIMIT_PER_ADDRESS_PER_MINUTE, TRUSTED_PROXIES) -------------


async def _send_as_many_senders(http, url, count: int, forwarded=None) -> list:
    texts = []
    for number in range(count):
        headers = {"X-Forwarded-For": forwarded(number)} if forwarded else {}
        body = {"sender": f"made-up-{number}", "message": "申报截止时间？"}
        status, replies = await send(http, url, body, headers=headers)
        assert status == 200
        texts.append(replies[0]["text"])
    return texts


async def test_one_address_making_up_senders_is_limited_and_cannot_fake_its_address(
    rest_settings, http
):
    rest_settings.setenv("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "3")
    get_settings.cache_clear()
    polite = rate_limited_reply()
    assistant = Assistant()
    async with RestServer(assistant) as server:
        texts = await _send_as_many_senders(
            http,
            server.url,
            5,
            forwarded=lambda n: f"203.0.113.{n}",  # not from a trusted proxy
        )
    assert texts[3:] == [polite, polite] and polite not in texts[:3]
    assert len(assistant.messages) == 3  # the NLU never saw the others


async def test_behind_a_trusted_proxy_each_client_address_counts_apart(rest_settings, http):
    rest_settings.setenv("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "2")
    rest_settings.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    get_settings.cache_clear()
    assistant = Assistant()
    async with RestServer(assistant) as server:
        # client, then our own proxy chain: 10.1.2.3 forwarded to 127.0.0.1
        texts = await _send_as_many_senders(
            http, server.url, 4, forwarded=lambda n: f"198.51.100.{n}, 10.1.2.3"
        )
        assert rate_limited_reply() not in texts
        same = await _send_as_many_senders(
            http, server.url, 3, forwarded=lambda n: "198.51.100.77, 10.1.2.3"
        )
    assert same[2] == rate_limited_reply() and len(assistant.messages) == 6
