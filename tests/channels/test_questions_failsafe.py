"""Never an empty reply (channels/questions.py › Failsafe, with valid_unicode at the door):
on REST, WeChat and Telegram, with a real Rasa agent (the trained model) whose processing is made
to fail, every message gets the polite ``unavailable`` reply and its question-log row; a lone
surrogate or a noncharacter never gets past the door."""

from __future__ import annotations

import json
import socket
from typing import Any, Dict, Iterator, List

import aiohttp
import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import register
from rasa.core.processor import MessageProcessor
from sanic import Sanic
from sqlalchemy import select

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.models import QuestionLogEntry
from bot.settings import get_settings
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
