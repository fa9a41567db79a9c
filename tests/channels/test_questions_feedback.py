"""“Did it help?” at the protocol level: what each channel shows under an answer, and what Rasa
receives when the applicant taps 有帮助 / 没帮助 (a recorded Telegram callback, a REST button
payload, a WeChat text message sent by a bizmsgmenu link — plain and safe mode) or types it."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from bot import feedback as fb
from channels.texts import channel_text
from tests.support.rest import RestServer, send
from tests.support.telegram_fakes import (
    ChannelServer,
    FakeBotAPI,
    callback_update,
    message_update,
    post,
    wait_until,
    webhook_channel,
)
from tests.support.wechat_fakes import (
    AES_KEY,
    APPID,
    FakeBot,
    WeChatServer,
    make_channel,
    payload,
    reply_content,
    serve_channel,
)

pytestmark = pytest.mark.usefixtures("channel_settings")

YES_WORD, NO_WORD = channel_text("feedback_yes"), channel_text("feedback_no")
ANSWER = "报送截止时间为11月28日。"


def answer_with_buttons(answer_id: str | None = "4711") -> Dict[str, Any]:
    return {"text": ANSWER, "buttons": fb.buttons({fb.YES: YES_WORD, fb.NO: NO_WORD}, answer_id)}


@pytest.fixture
async def api():
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


@pytest.fixture
def rest_settings(monkeypatch):
    from bot.settings import get_settings

    for var in ("MAX_BODY_BYTES", "RATE_LIMIT_PER_MINUTE", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def http():
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield session


# -- REST --------------------------------------------------------------------------------------


class RestAssistant:
    """Answers the first message with the feedback buttons, anything after with an echo."""

    def __init__(self) -> None:
        self.messages: List[Any] = []

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        out = message.output_channel
        if len(self.messages) == 1:
            reply = answer_with_buttons()
            await out.send_text_with_buttons(message.sender_id, reply["text"], reply["buttons"])
        else:
            await out.send_text_message(message.sender_id, f"收到：{message.text}")


@pytest.mark.parametrize(
    "sent, received",
    [
        (
            '/feedback{"helpful":"yes","answer":"4711"}',
            '/feedback{"helpful":"yes","answer":"4711"}',
        ),
        ('/feedback{"helpful":"no","answer":"4711"}', '/feedback{"helpful":"no","answer":"4711"}'),
        (YES_WORD, '/feedback{"helpful":"yes"}'),  # typed by hand: the same intent
        (  # feedback carries its verdict only: no slot can be set through it
            '/feedback{"helpful":"no","answer":"4711","city":"长沙","sc_type":"高校"}',
            '/feedback{"helpful":"no","answer":"4711"}',
        ),
        (f" {NO_WORD}！", '/feedback{"helpful":"no"}'),
        (f"{YES_WORD}，截止时间是哪天？", None),  # a question that mentions the word is a question
    ],
    ids=[
        "button-yes",
        "button-no",
        "typed-yes",
        "extra-entities-dropped",
        "typed-no-punctuated",
        "not-feedback",
    ],
)
async def test_rest_buttons_carry_the_payload_and_typing_the_word_works_the_same(
    rest_settings, http, sent, received
):
    assistant = RestAssistant()
    async with RestServer(assistant) as server:
        _, first = await send(http, server.url, {"sender": "a", "message": "截止时间？"})
        _, _ = await send(http, server.url, {"sender": "a", "message": sent})
    assert first[0]["buttons"] == [
        {"title": YES_WORD, "payload": '/feedback{"helpful":"yes","answer":"4711"}'},
        {"title": NO_WORD, "payload": '/feedback{"helpful":"no","answer":"4711"}'},
    ]
    if received is None:  # split into questions as usual, never a feedback payload
        assert not any(fb.is_trigger(m.text) for m in assistant.messages)
    else:
        assert [m.text for m in assistant.messages][1:] == [received]


class TelegramAssistant:
    """Stands in for Rasa's agent on Telegram: records what it was asked, replies as told."""

    def __init__(self, reply) -> None:
        self.messages: List[Any] = []
        self._reply = reply

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        for response in self._reply(message):
            await message.output_channel.send_response(message.sender_id, dict(response))

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]


# -- Telegram ------------------------------------------------------------------------------------


async def test_telegram_buttons_sit_in_one_row_and_the_callback_reaches_rasa(api, http):
    assistant = TelegramAssistant(
        lambda m: [answer_with_buttons("1001")] if m.text == "截止时间？" else [{"text": "谢谢"}]
    )
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1001, "截止时间？"))
        await wait_until(lambda: api.sent())
        (answer,) = api.sent()
        (row,) = answer["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in row] == [YES_WORD, NO_WORD]
        assert row[1]["callback_data"] == '/feedback{"helpful":"no","answer":"1001"}'
        # the applicant taps 没帮助 (a recorded callback_query update)
        await post(http, server, callback_update(1002, row[1]["callback_data"], query_id="q-fb"))
        await post(http, server, message_update(1003, YES_WORD))  # or types a word
        await wait_until(lambda: len(api.sent()) == 3)
    assert sorted(assistant.texts[1:]) == [  # updates are handled concurrently
        '/feedback{"helpful":"no","answer":"1001"}',
        '/feedback{"helpful":"yes"}',
    ]
    assert [a["callback_query_id"] for a in api.calls_to("answerCallbackQuery")] == ["q-fb"]


# -- WeChat --------------------------------------------------------------------------------------


def wechat_link(word: str, menu_id: str) -> str:
    return f'<a href="weixin://bizmsgmenu?msgmenucontent={word}&msgmenuid={menu_id}">{word}</a>'


def link_tap(word: str, menu_id: str | None, msg_id: int) -> str:
    """The text message WeChat sends when a bizmsgmenu link is tapped (certified accounts add
    bizmsgmenuid; test accounts send the word only)."""
    xml = payload("text.xml", content=word, msg_id=msg_id)
    if menu_id is not None:
        xml = xml.replace("</xml>", f"<bizmsgmenuid>{menu_id}</bizmsgmenuid>\n</xml>")
    return xml


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
@pytest.mark.parametrize(
    "word, menu_id, received",
    [
        (NO_WORD, "5550001", '/feedback{"helpful":"no","answer":"5550001"}'),
        (YES_WORD, "5550001_2", '/feedback{"helpful":"yes","answer":"5550001#2"}'),
        (YES_WORD, None, '/feedback{"helpful":"yes"}'),  # test account, or typed
        (YES_WORD, "0", '/feedback{"helpful":"yes"}'),  # link of an answer without a WeChat id
        (NO_WORD, "x' OR 1", '/feedback{"helpful":"no"}'),  # not one of ours: ignored
    ],
    ids=["certified-no", "part-of-a-message", "no-menu-id", "menu-id-0", "forged-menu-id"],
)
async def test_wechat_answer_gets_links_and_the_tapped_word_comes_back_as_feedback(
    safe, word, menu_id, received
):
    bot = FakeBot(reply=[answer_with_buttons("5550001")])
    channel = make_channel(aes_key=AES_KEY, appid=APPID) if safe else make_channel()
    async with serve_channel(channel, bot) as url:
        wechat = WeChatServer(url, aes_key=AES_KEY if safe else None)
        _, body = await wechat.post(payload("text.xml", content="截止时间？", msg_id=5550001))
        await wechat.post(link_tap(word, menu_id, 5550002))
    content = reply_content(body)
    assert content == (
        f"{ANSWER}\n\n{channel_text('feedback_prompt')} "
        f"{wechat_link(YES_WORD, '5550001')}　{wechat_link(NO_WORD, '5550001')}"
    )
    assert "1." not in content  # the two words are links, not numbered choices
    assert bot.texts == ["截止时间？", received]


async def test_wechat_fallback_suggestions_are_links_and_numbers_still_work():
    bot = FakeBot(
        reply=[
            {
                "text": "您是想问下面的问题吗？",
                "buttons": [
                    {"title": "申报截止时间是什么时候？", "payload": "申报截止时间是什么时候？"},
                    {"title": "材料交到哪里？", "payload": "材料交到哪里？"},
                ],
            }
        ]
    )
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        _, body = await wechat.post(payload("text.xml", content="那个时间"))
        await wechat.post(payload("text.xml", content="材料交到哪里？"))  # tapped: the text
        await wechat.post(payload("text.xml", content="那个时间"))
        await wechat.post(payload("text.xml", content="1"))  # typed: the number
    content = reply_content(body)
    assert (
        "1. "
        + wechat_link("申报截止时间是什么时候？", "1")
        + "\n2. "
        + wechat_link("材料交到哪里？", "2")
    ) in content
    assert bot.texts == ["那个时间", "材料交到哪里？", "那个时间", "申报截止时间是什么时候？"]


@pytest.mark.parametrize(
    "title",
    ['a"b<c>d&e#f', "换行\n标题"],
)
def test_wechat_link_text_cannot_break_out_of_the_link(title):
    from channels.wechat.reply import menu_link

    link = menu_link(title, 1)
    inner = link[len('<a href="') : link.index('">')]
    assert not any(c in inner for c in '"<>#\n') and inner.count("&") == 1


def test_feedback_payload_is_valid_json_for_rasa():
    text = fb.trigger(fb.NO, "m#1")
    assert json.loads(text[len("/feedback") :]) == {"helpful": "no", "answer": "m#1"}
