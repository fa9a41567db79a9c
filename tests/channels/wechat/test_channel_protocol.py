"""Signatures, replays, message types, events and reply format, through the real Sanic app."""

from __future__ import annotations

import time

import pytest

from channels.texts import channel_text
from channels.wechat.messages import VOICE_OFF_REPLY, WELCOME_FALLBACK, non_text_reply
from channels.wechat.reply import TRIMMED_SUFFIX
from tests.support.wechat_fakes import (
    ACCOUNT,
    FakeBot,
    WeChatServer,
    make_channel,
    payload,
    reply_content,
    serve_channel,
)

pytestmark = pytest.mark.usefixtures("channel_settings")


async def test_url_verification_echoes_echostr():
    async with serve_channel(make_channel(), FakeBot()) as url:
        wechat = WeChatServer(url)
        assert await wechat.get(wechat.query(echostr="echo_8877")) == (200, "echo_8877")


@pytest.mark.parametrize(
    "query",
    [
        {"good": False},
        {"timestamp": int(time.time()) - 24 * 3600},
    ],
)
async def test_url_verification_refuses_bad_or_stale_signature(query):
    async with serve_channel(make_channel(), FakeBot()) as url:
        wechat = WeChatServer(url)
        status, body = await wechat.get(wechat.query(echostr="echo_8877", **query))
        assert status == 403 and "echo_8877" not in body


async def test_url_verification_without_parameters_is_refused():
    async with serve_channel(make_channel(), FakeBot()) as url:
        status, _ = await WeChatServer(url).get({"echostr": "x"})
        assert status == 403


async def test_forged_signature_is_refused_and_never_processed():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        status, body = await wechat.post(payload("text.xml", content="截止时间"), good=False)
        assert status == 403 and "收到" not in body
        status, _ = await wechat.post(
            payload("text.xml", content="截止时间"),
            query={"timestamp": str(int(time.time())), "nonce": "1"},
        )
        assert status == 403
        forged = wechat.query()
        forged["signature"] = forged["signature"][::-1]
        status, _ = await wechat.post(payload("text.xml", content="截止时间"), query=forged)
        assert status == 403
    assert bot.messages == []


@pytest.mark.parametrize("age", [24 * 3600, 301, -400])
async def test_requests_outside_the_replay_window_are_refused(age):
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, _ = await WeChatServer(url).post(
            payload("text.xml", content="截止时间"), timestamp=int(time.time()) - age
        )
    assert status == 403 and bot.messages == []


async def test_replay_window_is_configurable():
    bot = FakeBot()
    async with serve_channel(make_channel(replay_window_seconds=30), bot) as url:
        wechat = WeChatServer(url)
        old = int(time.time()) - 60
        status, _ = await wechat.post(payload("text.xml", content="你好"), timestamp=old)
        assert status == 403
        status, _ = await wechat.post(
            payload("text.xml", content="你好"), timestamp=int(time.time()) - 10
        )
        assert status == 200


async def test_text_message_gets_a_passive_reply_addressed_back():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(
            payload("text.xml", content="申报截止时间是什么时候", openid="o_abc", msg_id=4242)
        )
    assert status == 200
    from xml.etree import ElementTree as ET

    root = ET.fromstring(body)
    assert root.findtext("ToUserName") == "o_abc"
    assert root.findtext("FromUserName") == ACCOUNT
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == "收到：申报截止时间是什么时候"
    [message] = bot.messages
    assert message.input_channel == "wechat"
    assert message.metadata == {"channel_message_id": "4242"}
    assert "o_abc" not in message.sender_id and message.sender_id.startswith("we_")


async def test_personal_data_is_masked_before_the_assistant_sees_it():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        await WeChatServer(url).post(payload("text.xml", content="我的电话13812345678，请回电"))
    assert "13812345678" not in bot.texts[0] and "[手机号]" in bot.texts[0]


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>broken",
        b"not xml at all",
        b"",
        "<xml><Content>没有发送者</Content></xml>".encode(),
        b"<root><MsgType>text</MsgType></root>",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;'
        b"</Content></xml>",
        b"\xff\xfe<xml/>",
    ],
)
async def test_malformed_bodies_get_a_clean_400(body):
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        status, text = await wechat.post(body)
        assert status == 400 and "Traceback" not in text
        status, text = await wechat.post(payload("text.xml", content="联系电话"))
        assert status == 200 and reply_content(text) == "收到：联系电话"
    assert bot.texts == ["联系电话"]


async def test_oversized_body_is_refused_and_the_server_keeps_answering():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        status, _ = await wechat.post(payload("text.xml", content="长" * 200_000))
        assert status == 413
        status, text = await wechat.post(payload("text.xml", content="联系电话"))
        assert status == 200 and reply_content(text) == "收到：联系电话"
    assert bot.texts == ["联系电话"]


@pytest.mark.parametrize(
    "name,what",
    [
        ("image.xml", "图片"),
        ("video.xml", "视频"),
        ("shortvideo.xml", "小视频"),
        ("location.xml", "位置信息"),
        ("link.xml", "链接"),
        ("file.xml", "文件"),
    ],
)
async def test_non_text_messages_get_a_polite_text_without_the_assistant(name, what):
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(payload(name))
    assert status == 200 and reply_content(body) == non_text_reply(name.removesuffix(".xml"))
    assert what in reply_content(body)
    assert bot.messages == []


async def test_voice_is_answered_from_its_recognised_text():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(
            payload("voice.xml", recognition="申报截止时间是什么时候")
        )
    assert status == 200 and reply_content(body) == "收到：申报截止时间是什么时候"


async def test_voice_without_recognition_gets_a_hint():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(payload("voice_no_recognition.xml"))
    assert (
        status == 200
        and reply_content(body) == channel_text(VOICE_OFF_REPLY)
        and bot.messages == []
    )


@pytest.mark.parametrize(
    "name,values",
    [
        ("event.xml", {"event": "subscribe", "key": ""}),
        ("subscribe_scan.xml", {}),
        ("event.xml", {"event": "SCAN", "key": "123123"}),
    ],
)
async def test_subscribe_gets_the_assistants_welcome(name, values):
    bot = FakeBot(
        reply=[{"text": "欢迎！我是湖南省双创示范基地申报助手，可以问：截止时间、报送地址……"}]
    )
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(payload(name, **values))
    assert status == 200 and "双创" in reply_content(body)
    assert bot.texts == ["你好"]  # never "/greet": the NLU strips leading slashes


async def test_subscribe_gets_a_welcome_even_if_the_assistant_is_silent():
    async with serve_channel(make_channel(), FakeBot(reply=[])) as url:
        _, body = await WeChatServer(url).post(payload("event.xml", event="subscribe", key=""))
    assert reply_content(body) == channel_text(WELCOME_FALLBACK)


@pytest.mark.parametrize(
    "name,values",
    [
        ("event.xml", {"event": "unsubscribe", "key": ""}),
        ("event.xml", {"event": "VIEW", "key": "http://fgw.hunan.gov.cn/"}),
        ("location_event.xml", {}),
    ],
)
async def test_unsubscribe_and_other_events_get_nothing(name, values):
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body = await WeChatServer(url).post(payload(name, **values))
    assert (status, body) == (200, "success") and bot.messages == []


async def test_menu_click_is_asked_as_its_question():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        _, body = await wechat.post(payload("event.xml", event="CLICK", key="DEADLINE"))
        _, unknown = await wechat.post(
            payload("event.xml", event="CLICK", key="NOPE", now=1 + int(time.time()))
        )
    assert reply_content(body) == "收到：申报截止时间是什么时候？"
    assert bot.texts == ["申报截止时间是什么时候？"]
    assert "菜单" in reply_content(unknown)


async def test_menu_click_metadata_has_no_raw_openid():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        await WeChatServer(url).post(
            payload("event.xml", event="CLICK", key="CONTACT", openid="o_secret")
        )
    channel_message_id = bot.messages[0].metadata["channel_message_id"]
    assert "o_secret" not in channel_message_id and bot.messages[0].sender_id in channel_message_id


async def test_buttons_become_a_numbered_list_answered_by_number():
    bot = FakeBot(
        reply=[
            {
                "text": "您是哪类申报主体？",
                "buttons": [
                    {"title": "区域示范基地", "payload": "区域"},
                    {"title": "企业示范基地", "payload": '/inform{"type": "企业"}'},
                ],
            }
        ]
    )
    async with serve_channel(make_channel(), bot) as url:
        wechat = WeChatServer(url)
        _, body = await wechat.post(payload("text.xml", content="我想自测"))
        await wechat.post(payload("text.xml", content="1"))
        await wechat.post(payload("text.xml", content="我想自测"))
        await wechat.post(
            payload("text.xml", content="２")
        )  # full-width digit from a phone keyboard
    content = reply_content(body)
    assert (
        '1. <a href="weixin://bizmsgmenu?msgmenucontent=区域&msgmenuid=1">区域示范基地</a>\n'
        '2. <a href="weixin://bizmsgmenu?msgmenucontent=企业示范基地&msgmenuid=2">企业示范基地</a>'
    ) in content
    assert bot.texts == ["我想自测", "区域", "我想自测", "企业示范基地"]


async def test_a_number_without_buttons_is_sent_as_typed():
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        await WeChatServer(url).post(payload("text.xml", content="3"))
    assert bot.texts == ["3"]


async def test_several_bot_messages_are_joined_into_one_plain_reply():
    bot = FakeBot(
        reply=[
            {"text": "**截止时间**：2021年11月28日前"},
            {"text": "详见[通知](http://fgw.hunan.gov.cn/)"},
        ]
    )
    async with serve_channel(make_channel(), bot) as url:
        _, body = await WeChatServer(url).post(payload("text.xml", content="截止"))
    assert (
        reply_content(body) == "截止时间：2021年11月28日前\n\n详见通知（http://fgw.hunan.gov.cn/）"
    )


async def test_long_reply_is_trimmed_to_2048_bytes_without_breaking_characters():
    bot = FakeBot(reply=[{"text": "双创示范基地" * 400}])
    async with serve_channel(make_channel(), bot) as url:
        _, body = await WeChatServer(url).post(payload("text.xml", content="全部"))
    content = reply_content(body)
    assert len(content.encode("utf-8")) <= 2048 and content.endswith(channel_text(TRIMMED_SUFFIX))
    assert "\ufffd" not in content


async def test_assistant_failure_still_gets_a_reply():
    async def broken(message):
        raise RuntimeError("tracker store down")

    async with serve_channel(make_channel(), broken) as url:
        status, body = await WeChatServer(url).post(payload("text.xml", content="你好"))
    assert status == 200 and "抱歉" in reply_content(body)


async def test_health_route():
    import aiohttp

    async with (
        serve_channel(make_channel(), FakeBot()) as url,
        aiohttp.ClientSession() as http,
        http.get(url.rsplit("/", 1)[0] + "/") as resp,
    ):
        assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
