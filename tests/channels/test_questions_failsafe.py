"""Never an empty reply (channels/questions.py › Failsafe, channels/privacy.py › valid_unicode):
on REST, WeChat and Telegram, with a real Rasa agent (the trained model) whose processing is made
to fail, every message gets the polite ``unavailable`` reply and its question-log row; a lone
surrogate or a noncharacter never gets past the door."""

from __future__ import annotations

import json
import socket
from typing import Any, Dict, Iterator, List

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.agent import Agent
from rasa.core.channels.channel import register
from rasa.core.processor import MessageProcessor
from sanic import Sanic
from sqlalchemy import select

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.models import QuestionLogEntry
from bot.settings import get_settings
from channels.privacy import valid_unicode
from channels.questions import unavailable_reply
from channels.rest import RestInput
from tests.support.telegram_fakes import (
    SECRET,
    FakeBotAPI,
    message_update,
    wait_until,
    webhook_channel,
)
from tests.support.wechat_fakes import WeChatServer, make_channel, payload, reply_content

# Rasa's JiebaTokenizer hands jieba.load_userdict a path and never closes the file (model load)
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# what the attacker sent over REST (issue 21): a question ending in a lone surrogate
QUESTION = "申报截止时间是什么时候\ud800"
CLEAN = "申报截止时间是什么时候"


@pytest.fixture(scope="module")
def agent(trained_model) -> Agent:
    """One real agent for the module (loading the model takes seconds)."""
    return Agent.load(str(trained_model))


@pytest.fixture
def question_log(agent, tmp_path, monkeypatch, channel_settings) -> Iterator[QuestionLogBroker]:
    for var in ("RATE_LIMIT_PER_MINUTE", "REDIS_URL", "MAX_BODY_BYTES"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'question_log.db'}"
    broker = QuestionLogBroker(url=url, spill_path=tmp_path / "spill.jsonl")
    monkeypatch.setattr(agent.tracker_store, "event_broker", broker)
    yield broker
    broker.shutdown()
    db.dispose(url)


@pytest.fixture
def rasa_fails(monkeypatch) -> List[str]:
    """Rasa's processing raises half-way (after the NLU, when it predicts the next action);
    records the text Rasa was given."""
    seen: List[str] = []
    parse = MessageProcessor.parse_message

    async def parse_and_record(self, message, *args, **kwargs):
        seen.append(message.text)
        return await parse(self, message, *args, **kwargs)

    def broken(self, *args, **kwargs):
        raise RuntimeError("forced failure inside Rasa")

    monkeypatch.setattr(MessageProcessor, "parse_message", parse_and_record)
    monkeypatch.setattr(MessageProcessor, "predict_next_with_tracker_if_should", broken)
    return seen


class RasaServer:
    """``rasa run`` in small: the real agent in app.ctx, the channels registered by Rasa."""

    def __init__(self, agent: Agent, channels: List[Any]) -> None:
        self.agent, self.channels = agent, channels
        self.base = ""
        self._server: Any = None

    async def __aenter__(self) -> RasaServer:
        Sanic.test_mode = True
        app = Sanic(f"failsafe_test_{id(self)}", configure_logging=False)
        app.ctx.agent = self.agent
        register(self.channels, app, route="/webhooks/")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        self.base = f"http://127.0.0.1:{server.server.sockets[0].getsockname()[1]}/webhooks"
        self._server = server
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.before_stop()
        self._server.close()
        await self._server.wait_closed()
        await self._server.after_stop()


def logged(broker: QuestionLogBroker) -> List[Dict[str, Any]]:
    assert broker.flush(10)
    table = QuestionLogEntry.__table__
    with db.session_scope(broker.writer.url) as session:
        return [dict(r._mapping) for r in session.execute(select(table))]


async def test_rest_a_failure_inside_rasa_gets_unavailable_and_a_logged_question(
    agent, question_log, rasa_fails
):
    body = json.dumps({"sender": "s", "message": QUESTION, "metadata": {"message_id": "c\udfff1"}})
    async with (
        RasaServer(agent, [RestInput()]) as server,
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base}/rest/webhook",
            data=body.encode("ascii"),  # json.dumps escapes the surrogate: \ud800
            headers={"Content-Type": "application/json"},
        ) as resp,
    ):
        assert resp.status == 200
        replies = await resp.json()
    assert [r["text"] for r in replies] == [unavailable_reply()]
    assert rasa_fails == [CLEAN]
    (row,) = logged(question_log)
    assert (row["channel"], row["text"], row["reply"]) == ("rest", CLEAN, unavailable_reply())
    assert row["channel_message_id"].startswith("c1")


async def test_wechat_a_failure_inside_rasa_gets_unavailable_and_a_logged_question(
    agent, question_log, rasa_fails
):
    channel = make_channel()
    async with RasaServer(agent, [channel]) as server:
        wechat = WeChatServer(f"{server.base}/wechat/webhook")
        status, body = await wechat.post(
            payload("text.xml", content="申报截止时间是什么时候\ufdd0")
        )
    assert status == 200
    assert reply_content(body) == unavailable_reply()
    assert rasa_fails == [CLEAN]
    (row,) = logged(question_log)
    assert (row["channel"], row["text"], row["reply"]) == ("wechat", CLEAN, unavailable_reply())


async def test_telegram_a_failure_inside_rasa_gets_unavailable_and_a_logged_question(
    agent, question_log, rasa_fails
):
    api = await FakeBotAPI().start()
    try:
        channel = webhook_channel(api)
        async with RasaServer(agent, [channel]) as server, aiohttp.ClientSession() as http:
            body = json.dumps(message_update(7001, QUESTION)).encode("ascii")
            async with http.post(
                f"{server.base}/telegram/webhook",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
            ) as resp:
                assert resp.status == 200
            await wait_until(lambda: api.sent_texts())
    finally:
        await api.stop()
    assert api.sent_texts() == [unavailable_reply()]
    assert rasa_fails == [CLEAN]
    (row,) = logged(question_log)
    assert (row["channel"], row["text"], row["reply"]) == ("telegram", CLEAN, unavailable_reply())
    assert row["channel_message_id"] == "7001"


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _expected(text: str) -> str:
    """Written out independently: a high surrogate + low surrogate is one character, any
    other surrogate goes, and so does every noncharacter."""
    out, index = [], 0
    while index < len(text):
        code = ord(text[index])
        nxt = ord(text[index + 1]) if index + 1 < len(text) else 0
        if 0xD800 <= code <= 0xDBFF and 0xDC00 <= nxt <= 0xDFFF:
            code = 0x10000 + ((code - 0xD800) << 10) + (nxt - 0xDC00)
            index += 1
        index += 1
        if not (0xD800 <= code <= 0xDFFF or _noncharacter(code)):
            out.append(chr(code))
    return "".join(out)


@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)))
def test_valid_unicode_can_always_be_encoded_and_keeps_every_valid_character(text):
    clean = valid_unicode(text)
    clean.encode("utf-8")  # never raises
    assert clean == _expected(text)


@given(st.lists(st.sampled_from(["截", "\ud800", "\udc00", "\ud83d", "\ude00", "\ufffe", "a"])))
def test_valid_unicode_on_surrogate_soup(pieces):
    text = "".join(pieces)
    assert valid_unicode(text) == _expected(text)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("截止\ud800时间", "截止时间"),
        ("\udc00截止", "截止"),
        ("\ud83d\ude00", "\U0001f600"),  # a surrogate pair (two JSON escapes) is one emoji
        ("a\ufffeb\uffffc\U0010fffe", "abc"),
        ("plain", "plain"),
    ],
)
def test_valid_unicode_examples(raw, clean):
    assert valid_unicode(raw) == clean
