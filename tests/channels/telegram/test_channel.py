"""The Telegram channel end to end: updates posted to the real Sanic route (or fetched by
polling) and replies read back from a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, List

import aiohttp
import pytest

from bot.settings import get_settings
from channels.questions import unavailable_reply
from channels.telegram.channel import TelegramInput
from tests.support.telegram_fakes import (
    BOT_USERNAME,
    GROUP_CHAT,
    PRIVATE_CHAT,
    SECRET,
    TOKEN,
    WEBHOOK_URL,
    ChannelServer,
    FakeBotAPI,
    bot_message,
    callback_update,
    message_update,
    post,
    wait_until,
    webhook_channel,
)

NON_TEXT_START = "抱歉，我目前只能看懂文字消息"


@pytest.fixture(autouse=True)
def _settings(monkeypatch, channel_settings):
    """Telegram settings come only from each test (the shared fixture sets the pseudonymisation
    key)."""
    for var in (
        "TELEGRAM_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()


@pytest.fixture
async def api():
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


class Assistant:
    """Stands in for Rasa's agent: records what it was asked and replies through the channel."""

    def __init__(self, reply: Callable[[Any], List[Dict[str, Any]]] | None = None) -> None:
        self.messages: List[Any] = []
        self._reply = reply or (lambda m: [{"text": f"收到：{m.text}"}])

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        for response in self._reply(message):
            await message.output_channel.send_response(message.sender_id, dict(response))

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]


# -- webhook: who may post -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "sent", "status"),
    [
        (SECRET, SECRET, 200),
        (SECRET, None, 403),
        (SECRET, "wrong", 403),
        (SECRET, SECRET + "x", 403),
        (SECRET, SECRET.upper(), 403),
        (None, "anything", 403),  # no secret configured: nothing is accepted
        (None, None, 403),
    ],
)
async def test_webhook_requires_the_secret_token(api, http, configured, sent, status):
    assistant = Assistant()
    channel = webhook_channel(api, secret_token=configured)
    channel.secret_token = configured  # no fallback to settings in this test
    async with ChannelServer(channel, assistant) as server:
        assert await post(http, server, message_update(1, "你好"), secret=sent) == status
        if status == 200:
            await wait_until(lambda: api.sent_texts())
    assert len(assistant.messages) == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [1, 2],
        {"message": {}},
        {"update_id": "7"},
        {"update_id": 7, "message": {"text": "x"}},
    ],
    ids=["text", "list", "no-update-id", "string-update-id", "broken-message"],
)
async def test_webhook_rejects_what_is_not_an_update(api, http, body):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        if isinstance(body, str):
            async with http.post(f"{server.url}/webhook", data=body, headers=headers) as resp:
                status = resp.status
        else:
            status = await post(http, server, body)
    assert status == 400
    assert assistant.messages == []


async def test_channel_without_token_is_disabled(api, http):
    channel = TelegramInput.from_credentials({"secret_token": SECRET})
    async with ChannelServer(channel, Assistant()) as server:
        assert await post(http, server, message_update(1, "你好")) == 503
        async with http.get(f"{server.url}/") as resp:
            assert (await resp.json())["mode"] == "disabled"
    assert api.calls == []


async def test_webhook_answers_before_the_reply_is_sent(api, http):
    """The HTTP answer does not wait for Rasa: processing runs in the background."""
    release = asyncio.Event()

    async def slow(message):
        await release.wait()
        await message.output_channel.send_text_message(message.sender_id, "好的")

    async with ChannelServer(webhook_channel(api), slow) as server:
        started = time.monotonic()
        assert await post(http, server, message_update(1, "你好")) == 200
        assert time.monotonic() - started < 1
        assert api.sent_texts() == []
        release.set()
        await wait_until(lambda: api.sent_texts() == ["好的"])


# -- what Rasa receives --------------------------------------------------------------------


async def test_user_message_is_pseudonymous_and_masked(api, http):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        assert (
            await post(http, server, message_update(31, "我的电话是13812345678，截止时间？")) == 200
        )
        await wait_until(lambda: api.sent_texts())
    (message,) = assistant.messages
    assert message.text == "我的电话是[手机号]，截止时间？"
    assert str(PRIVATE_CHAT) not in message.sender_id
    assert message.sender_id.startswith("te_")
    assert message.input_channel == "telegram"
    assert message.metadata == {"channel_message_id": "31"}
    # the reply still reaches the real chat
    assert [int(p["chat_id"]) for p in api.sent()] == [PRIVATE_CHAT]
    assert api.sent_texts() == ["收到：我的电话是[手机号]，截止时间？"]


async def test_same_chat_same_sender_id_other_chat_other(api, http):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1, "一"))
        await post(http, server, message_update(2, "二"))
        await post(http, server, message_update(3, "三", chat_id=PRIVATE_CHAT + 1))
        await wait_until(lambda: len(api.sent()) == 3)
    ids = {m.text: m.sender_id for m in assistant.messages}
    assert ids["一"] == ids["二"] != ids["三"]


@pytest.mark.parametrize(
    ("typed", "rasa_gets"),
    [
        ("/start", "你好"),
        ("/start ref-campaign", "你好"),
        ("/help", "你能回答哪些问题"),
        ("/deadline", "申报截止时间是什么时候？"),
        ("/address", "申报材料交到哪里？"),
        ("/selfcheck", "我想自测一下能不能申报"),
        ("/DEADLINE", "申报截止时间是什么时候？"),
        (f"/deadline@{BOT_USERNAME}", "申报截止时间是什么时候？"),
        ("/nonsense", "你能回答哪些问题"),
        ("申报截止时间", "申报截止时间"),
        ("  我想申报  ", "我想申报"),
    ],
)
async def test_commands_become_natural_questions(api, http, typed, rasa_gets):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        assert await post(http, server, message_update(5, typed)) == 200
        await wait_until(lambda: api.sent_texts())
    assert assistant.texts == [rasa_gets]
    assert api.sent_texts() == [f"收到：{rasa_gets}"]


# -- duplicates ----------------------------------------------------------------------------


async def test_duplicate_update_ids_are_processed_once(api, http):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        update = message_update(77, "截止时间")
        statuses = await asyncio.gather(*(post(http, server, update) for _ in range(5)))
        assert statuses == [200] * 5
        await post(http, server, message_update(78, "截止时间"))
        await wait_until(lambda: len(api.sent()) == 2)
        await asyncio.sleep(0.1)
    assert [m.metadata["channel_message_id"] for m in assistant.messages] == ["77", "78"]
    assert len(api.sent()) == 2


# -- non-text and things that are not questions --------------------------------------------


_PHOTO = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]


@pytest.mark.parametrize(
    "extra",
    [
        {"photo": _PHOTO},
        {"photo": _PHOTO, "caption": "这是我的营业执照"},
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "su",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}},
        {"document": {"file_id": "d", "file_unique_id": "du", "file_name": "申报书.pdf"}},
        {"location": {"latitude": 28.19, "longitude": 112.97}},
        {"contact": {"phone_number": "13812345678", "first_name": "张"}},
    ],
    ids=["photo", "photo-caption", "sticker", "voice", "document", "location", "contact"],
)
async def test_non_text_gets_a_polite_reply_without_rasa(api, http, extra):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        assert await post(http, server, message_update(9, None, extra=extra)) == 200
        await wait_until(lambda: api.sent_texts())
    assert assistant.messages == []
    (reply,) = api.sent_texts()
    assert reply.startswith(NON_TEXT_START)


@pytest.mark.parametrize(
    "update",
    [
        message_update(
            9, None, extra={"new_chat_members": [{"id": 5, "is_bot": False, "first_name": "新"}]}
        ),
        message_update(9, "改过的问题", key="edited_message"),
        message_update(9, "频道消息", chat_type="channel", chat_id=-100999, key="channel_post"),
        message_update(
            9, "我是另一个机器人", extra={"from": {"id": 5, "is_bot": True, "first_name": "b"}}
        ),
        {
            "update_id": 9,
            "inline_query": {
                "id": "iq",
                "from": {"id": 5, "is_bot": False, "first_name": "甲"},
                "query": "截止时间",
                "offset": "",
            },
        },
    ],
    ids=["service-message", "edited", "channel-post", "from-a-bot", "inline-query"],
)
async def test_updates_that_are_not_questions_are_ignored(api, http, update):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        assert await post(http, server, update) == 200
        await asyncio.sleep(0.2)
    assert assistant.messages == []
    assert api.sent() == []


# -- groups --------------------------------------------------------------------------------


def group_update(text, chat_type="supergroup", **kwargs):
    return message_update(
        11, text, chat_id=GROUP_CHAT, chat_type=chat_type, message_id=321, **kwargs
    )


@pytest.mark.parametrize(
    ("update", "rasa_gets"),
    [
        (group_update("申报截止时间是什么时候？"), None),
        (group_update(f"@{BOT_USERNAME} 申报截止时间是什么时候？"), "申报截止时间是什么时候？"),
        (group_update(f"请问 @{BOT_USERNAME.upper()} 材料交到哪里"), "请问 材料交到哪里"),
        (group_update(f"@{BOT_USERNAME}"), "你好"),
        (group_update("@another_bot 截止时间"), None),
        (group_update(f"@{BOT_USERNAME}x 截止时间"), None),
        (group_update(f"/deadline@{BOT_USERNAME}"), "申报截止时间是什么时候？"),
        (group_update("/deadline@another_bot"), None),
        (group_update("/deadline"), None),
        (group_update(f"@{BOT_USERNAME} /address"), "申报材料交到哪里？"),
        (group_update("那材料呢？", reply_to=bot_message()), "那材料呢？"),
        (
            group_update(
                "同意",
                reply_to={**bot_message(), "from": {"id": 5, "is_bot": False, "first_name": "甲"}},
            ),
            None,
        ),
        (group_update("截止时间", chat_type="group"), None),
        (group_update(f"@{BOT_USERNAME} 截止时间", chat_type="group"), "截止时间"),
    ],
    ids=[
        "not-addressed",
        "mention",
        "mention-case-and-middle",
        "bare-mention",
        "other-bot-mention",
        "longer-username",
        "command-for-us",
        "command-for-other-bot",
        "bare-command",
        "mention-then-command",
        "reply-to-bot",
        "reply-to-person",
        "basic-group-plain",
        "basic-group-mention",
    ],
)
async def test_groups_answer_only_when_addressed(api, http, update, rasa_gets):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        assert await post(http, server, update) == 200
        if rasa_gets is None:
            await asyncio.sleep(0.2)
        else:
            await wait_until(lambda: api.sent())
    assert assistant.texts == ([] if rasa_gets is None else [rasa_gets])
    if rasa_gets is not None:
        (sent,) = api.sent()
        assert int(sent["chat_id"]) == GROUP_CHAT
        assert sent["reply_parameters"]["message_id"] == 321  # answers the asker's message


async def test_group_non_text_only_when_replying_to_bot(api, http):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, group_update(None, extra={"photo": _PHOTO}))
        await post(
            http,
            server,
            {
                **group_update(None, extra={"photo": _PHOTO}, reply_to=bot_message()),
                "update_id": 12,
            },
        )
        await wait_until(lambda: api.sent())
        await asyncio.sleep(0.1)
    assert len(api.sent_texts()) == 1 and api.sent_texts()[0].startswith(NON_TEXT_START)


# -- buttons and callbacks -----------------------------------------------------------------

LONG_PAYLOAD = '/inform{"indicator": "' + "孵化面积" * 10 + '"}'


def with_buttons(message):
    if message.text.startswith("你好"):
        return [
            {
                "text": "您想了解什么？",
                "buttons": [
                    {"title": "截止时间", "payload": "申报截止时间是什么时候？"},
                    {"title": "场地面积", "payload": LONG_PAYLOAD},
                    {"title": "通知原文", "url": "https://example.test/notice"},
                ],
            }
        ]
    return [{"text": f"收到：{message.text}"}]


async def test_buttons_become_an_inline_keyboard_and_presses_reach_rasa(api, http):
    assistant = Assistant(with_buttons)
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1, "/start"))
        await wait_until(lambda: api.sent())
        (keyboard_message,) = api.sent()
        assert keyboard_message["text"] == "您想了解什么？"
        rows = keyboard_message["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in rows] == ["截止时间", "场地面积", "通知原文"]
        assert rows[0][0]["callback_data"] == "申报截止时间是什么时候？"
        long_data = rows[1][0]["callback_data"]
        assert len(long_data.encode()) <= 64 and long_data != LONG_PAYLOAD
        assert rows[2][0] == {"text": "通知原文", "url": "https://example.test/notice"}

        await post(http, server, callback_update(2, rows[0][0]["callback_data"], query_id="q-1"))
        await post(http, server, callback_update(3, long_data, query_id="q-2"))
        await wait_until(lambda: len(api.sent()) == 3)

    assert assistant.texts[1:] == ["申报截止时间是什么时候？", LONG_PAYLOAD]
    answered = api.calls_to("answerCallbackQuery")
    assert [a["callback_query_id"] for a in answered] == ["q-1", "q-2"]
    assert all("text" not in a for a in answered)
    # acknowledged before Rasa's answer goes out
    methods = api.methods()
    assert (
        methods.index("answerCallbackQuery")
        < [i for i, m in enumerate(methods) if m == "sendMessage"][1]
    )


@pytest.mark.parametrize("data", ["p:" + "0" * 40, "p:unknown"])
async def test_forgotten_button_is_acknowledged_with_a_hint(api, http, data):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, callback_update(4, data, query_id="q-9"))
        await wait_until(lambda: api.calls_to("answerCallbackQuery"))
        await asyncio.sleep(0.1)
    (answer,) = api.calls_to("answerCallbackQuery")
    assert answer["callback_query_id"] == "q-9" and "失效" in answer["text"]
    assert assistant.messages == [] and api.sent() == []


async def test_callback_without_message_is_only_acknowledged(api, http):
    assistant = Assistant()
    update = callback_update(4, "申报截止时间是什么时候？", query_id="q-inline")
    del update["callback_query"]["message"]
    update["callback_query"]["inline_message_id"] = "im-1"
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, update)
        await wait_until(lambda: api.calls_to("answerCallbackQuery"))
    assert assistant.messages == []


async def test_callback_data_is_masked_too(api, http):
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, callback_update(4, "13812345678"))
        await wait_until(lambda: api.sent())
    assert assistant.texts == ["[手机号]"]


# -- long replies, 429 ---------------------------------------------------------------------


async def test_long_reply_is_split_at_line_boundaries(api, http):
    lines = [f"第{i}条：" + "申报材料要求" * 20 for i in range(120)]
    long_text = "\n".join(lines)
    assert len(long_text) > 2 * 4096

    assistant = Assistant(lambda m: [{"text": long_text}])
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1, "材料清单"))
        await wait_until(lambda: len(api.sent()) >= 4)
        await asyncio.sleep(0.1)
    texts = api.sent_texts()
    assert all(len(t) <= 4096 for t in texts)
    assert "\n".join(texts) == long_text
    assert all(t.split("\n")[0] in lines for t in texts)  # every part starts on a line


async def test_reply_waits_out_flood_control(api, http, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("sendMessage", retry_after=1)
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1, "截止时间"))
        await wait_until(lambda: len(api.sent()) == 2, timeout=5)
    first, second = [c for c in api.calls if c.method == "sendMessage"]
    assert second.at - first.at >= 0.9
    assert second.params["text"] == first.params["text"] == "收到：截止时间"


async def test_flood_control_in_one_chat_does_not_block_another(api, http, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("sendMessage", retry_after=2, chat_id=PRIVATE_CHAT)
    assistant = Assistant()
    async with ChannelServer(webhook_channel(api), assistant) as server:
        await post(http, server, message_update(1, "甲的问题"))
        await wait_until(lambda: api.sent(PRIVATE_CHAT))  # the 429
        await post(http, server, message_update(2, "乙的问题", chat_id=PRIVATE_CHAT + 1))
        await wait_until(lambda: api.sent(PRIVATE_CHAT + 1))
        assert len(api.sent(PRIVATE_CHAT)) == 1  # 甲 is still waiting
        await wait_until(lambda: len(api.sent(PRIVATE_CHAT)) == 2, timeout=5)


async def test_stop_lets_replies_in_flight_finish(api, http):
    async def slow(message):
        await asyncio.sleep(0.3)
        await message.output_channel.send_text_message(message.sender_id, "迟到的回答")

    async with ChannelServer(webhook_channel(api), slow) as server:
        await post(http, server, message_update(1, "你好"))
    assert api.sent_texts() == ["迟到的回答"]


# -- polling -------------------------------------------------------------------------------


async def test_polling_starts_with_the_server_and_stops_with_it(api):
    api.webhook_url = "https://old.example.test/hook"  # left over from an earlier deployment
    assistant = Assistant()
    channel = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    assert channel.mode == "polling"
    async with ChannelServer(channel, assistant):
        await wait_until(lambda: "getUpdates" in api.methods())
        assert channel.polling
        assert api.methods()[:3] == ["getMe", "deleteWebhook", "getUpdates"]
        assert api.webhook_url == ""

        api.push_update(
            message_update(500, "/deadline"), callback_update(501, "申报材料交到哪里？")
        )
        await wait_until(lambda: len(api.sent()) == 2)
        api.push_update(message_update(500, "/deadline"))  # delivered again: processed once
        api.push_update(message_update(502, "谢谢"))
        await wait_until(lambda: len(api.sent()) == 3)
        await wait_until(lambda: 503 in confirmed_offsets(api))  # once 502 is handled

        polls = api.calls_to("getUpdates")
        assert polls[0].get("offset") is None
        assert {int(p["offset"]) for p in polls[1:]} >= {502, 503}
        assert all(p["allowed_updates"] == ["message", "callback_query"] for p in polls)
    assert not channel.polling
    assert sorted(assistant.texts) == sorted(
        ["申报截止时间是什么时候？", "申报材料交到哪里？", "谢谢"]
    )
    assert api.calls_to("getUpdates")[-1] == {"offset": "503", "timeout": "0", "limit": "1"}
    count = len(api.calls)
    await asyncio.sleep(1.2)
    assert len(api.calls) == count  # nothing polls after the server stopped


def confirmed_offsets(api: FakeBotAPI) -> List[int]:
    return [int(p["offset"]) for p in api.calls_to("getUpdates") if p.get("offset") is not None]


async def test_polling_confirms_an_update_only_after_it_is_handled(api):
    release = asyncio.Event()

    async def slow(message):
        await release.wait()
        await message.output_channel.send_text_message(message.sender_id, "答复")

    channel = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(channel, slow):
        await wait_until(lambda: "getUpdates" in api.methods())
        api.push_update(message_update(700, "截止时间"), message_update(701, "材料"))
        await wait_until(lambda: channel._tasks)
        await asyncio.sleep(0.3)
        assert all(o <= 700 for o in confirmed_offsets(api))  # received, not yet confirmed
        assert channel._poller.offset is None
        release.set()
        await wait_until(lambda: 702 in confirmed_offsets(api))
        assert len(api.sent()) == 2


async def test_an_update_unhandled_at_shutdown_is_delivered_again(api, monkeypatch):
    monkeypatch.setattr(TelegramInput, "drain_timeout", 0.3)
    stuck = asyncio.Event()

    async def hangs(message):
        stuck.set()
        await asyncio.sleep(30)  # the assistant never finishes before the server stops

    first = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(first, hangs):
        await wait_until(lambda: "getUpdates" in api.methods())
        api.push_update(message_update(800, "你好"))
        await wait_until(stuck.is_set)
    assert 801 not in confirmed_offsets(api)  # never confirmed: Telegram keeps it

    assistant = Assistant()
    second = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(second, assistant):
        await wait_until(lambda: api.sent(), timeout=5)
        await wait_until(lambda: 801 in confirmed_offsets(api))
    assert assistant.texts == ["你好"]


async def test_stop_waits_for_the_update_in_hand_and_confirms_it(api):
    async def slowish(message):
        await asyncio.sleep(0.5)
        await message.output_channel.send_text_message(message.sender_id, "稍后的答复")

    channel = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(channel, slowish):
        await wait_until(lambda: "getUpdates" in api.methods())
        api.push_update(message_update(900, "你好"))
        await wait_until(lambda: channel._tasks)
    assert api.sent_texts() == ["稍后的答复"]
    assert api.calls_to("getUpdates")[-1] == {"offset": "901", "timeout": "0", "limit": "1"}


async def test_webhook_mode_does_not_poll(api):
    channel = webhook_channel(api)
    assert channel.mode == "webhook"
    async with ChannelServer(channel, Assistant()):
        await asyncio.sleep(0.2)
        assert not channel.polling
    assert "getUpdates" not in api.methods()
    assert "deleteWebhook" not in api.methods()


async def test_polling_survives_flood_control_and_conflicts(api, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("getUpdates", retry_after=1)
    channel = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(channel, Assistant()):
        api.push_update(message_update(1, "你好"))
        await wait_until(lambda: api.sent(), timeout=5)

        api.webhook_url = "https://someone-else.example.test/"  # getUpdates now answers 409
        polls = len(api.calls_to("getUpdates"))
        await wait_until(lambda: len(api.calls_to("getUpdates")) >= polls + 2, timeout=6)
        assert channel.polling

        api.webhook_url = ""
        api.push_update(message_update(2, "还在吗"))
        await wait_until(lambda: len(api.sent()) == 2, timeout=6)


async def test_polling_keeps_trying_while_telegram_is_unreachable(caplog):
    caplog.set_level(logging.WARNING, logger="channels")
    channel = TelegramInput.from_credentials(
        {"token": TOKEN, "base_url": "http://127.0.0.1:9/bot", "poll_timeout": 1}
    )
    async with ChannelServer(channel, Assistant()):
        await wait_until(lambda: "getUpdates failed" in caplog.text)
        assert channel.polling
    assert not channel.polling


async def test_polling_stops_on_a_rejected_token_without_logging_it(api, caplog):
    caplog.set_level(logging.DEBUG, logger="channels")
    channel = TelegramInput.from_credentials(
        {"token": "999:wrong-token", "base_url": api.base_url, "poll_timeout": 1}
    )
    async with ChannelServer(channel, Assistant()):
        await wait_until(lambda: not channel.polling)
    assert "rejected" in caplog.text
    assert "wrong-token" not in caplog.text


async def test_a_failing_update_does_not_stop_the_next(api, http, caplog):
    caplog.set_level(logging.DEBUG, logger="channels")

    async def flaky(message):
        if "坏" in message.text:
            raise RuntimeError("assistant broke")
        await message.output_channel.send_text_message(message.sender_id, "好的")

    async with ChannelServer(webhook_channel(api), flaky) as server:
        await post(http, server, message_update(1, "坏问题"))
        await post(http, server, message_update(2, "好问题"))
        await wait_until(lambda: len(api.sent_texts()) == 2)
    # the failing one gets the polite unavailable reply (channels/questions.py › Failsafe)
    assert sorted(api.sent_texts()) == sorted(["好的", unavailable_reply()])
    assert "telegram: the assistant failed on a message (RuntimeError)" in caplog.text
    assert "坏" not in caplog.text


async def test_logs_carry_no_chat_ids_or_message_text(api, http, caplog):
    caplog.set_level(logging.DEBUG)
    async with ChannelServer(webhook_channel(api), Assistant(with_buttons)) as server:
        await post(http, server, message_update(1, "/start"))
        await post(http, server, message_update(1, "/start"))
        await post(http, server, callback_update(2, LONG_PAYLOAD))
        await post(http, server, message_update(3, None, extra={"photo": _PHOTO}))
        await wait_until(lambda: len(api.sent()) == 3)
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("channels", "httpx"))
    )
    for secret_bit in (str(PRIVATE_CHAT), "孵化面积", "您想了解什么", TOKEN):
        assert secret_bit not in ours


async def test_webhook_mode_starts_even_if_telegram_is_unreachable(http, caplog):
    caplog.set_level(logging.WARNING, logger="channels")
    channel = TelegramInput(TOKEN, SECRET, WEBHOOK_URL, base_url="http://127.0.0.1:9/bot")
    async with ChannelServer(channel, Assistant()) as server, http.get(f"{server.url}/") as resp:
        assert (await resp.json()) == {"status": "ok", "mode": "webhook"}
    assert "getMe failed at start" in caplog.text


# -- credentials ---------------------------------------------------------------------------


def test_credentials_fall_back_to_settings(monkeypatch):
    monkeypatch.setenv("TELEGRAM_TOKEN", "111:env")
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "env-secret")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:1/bot")
    get_settings.cache_clear()

    for credentials in (None, {}, {"token": "", "secret_token": None}):
        channel = TelegramInput.from_credentials(credentials)
        assert (channel.token, channel.secret_token, channel.webhook_url, channel.base_url) == (
            "111:env",
            "env-secret",
            WEBHOOK_URL,
            "http://127.0.0.1:1/bot",
        )
        assert channel.mode == "webhook"

    explicit = TelegramInput.from_credentials(
        {
            "token": "222:yml",
            "secret_token": "yml-secret",
            "webhook_url": "https://b.test/x",
            "base_url": "http://x/bot",
        }
    )
    assert (explicit.token, explicit.secret_token, explicit.webhook_url, explicit.base_url) == (
        "222:yml",
        "yml-secret",
        "https://b.test/x",
        "http://x/bot",
    )


def test_defaults_without_any_configuration():
    channel = TelegramInput.from_credentials(None)
    assert channel.mode == "disabled"
    assert channel.base_url == "https://api.telegram.org/bot"
    assert TelegramInput.name() == "telegram"
    assert channel.url_prefix() == "telegram"


def test_rasa_loads_the_channel_from_credentials():
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.telegram.channel.TelegramInput", {"token": TOKEN})
    assert isinstance(channel, TelegramInput)
    assert channel.token == TOKEN
