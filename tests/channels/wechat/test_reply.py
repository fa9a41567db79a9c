"""Formatting Rasa's messages for WeChat: plain text, buttons, the 2048-byte limit."""

from __future__ import annotations

import pytest

from channels.texts import channel_text
from channels.wechat.messages import Incoming, render_text_reply, xml_fields
from channels.wechat.reply import (
    CHOICE_HINT,
    TRIMMED_SUFFIX,
    Choice,
    format_messages,
    picked_choice,
    plain_text,
    split_text,
    trim_text,
)


@pytest.mark.parametrize(
    "markdown,plain",
    [
        ("**截止时间**：11月28日", "截止时间：11月28日"),
        ("__注意__ `0731-89991015`", "注意 0731-89991015"),
        ("## 报送地址\n* 省政务服务中心", "报送地址\n• 省政务服务中心"),
        ("见[通知原文](http://fgw.hunan.gov.cn/)", "见通知原文（http://fgw.hunan.gov.cn/）"),
        ("控制\x07字符", "控制字符"),
    ],
)
def test_plain_text(markdown, plain):
    assert plain_text(markdown) == plain


def test_buttons_become_a_numbered_list_with_a_hint():
    reply = format_messages(
        [
            {"text": "请选择："},
            {
                "text": "您是？",
                "buttons": [
                    {"title": "区域", "payload": "区域"},
                    {"title": "高校", "payload": "/x"},
                ],
            },
            {"image": "http://example.test/a.png"},
        ]
    )
    assert (
        reply.text == "请选择：\n\n您是？\n\n"
        '1. <a href="weixin://bizmsgmenu?msgmenucontent=区域&msgmenuid=1">区域</a>\n'
        '2. <a href="weixin://bizmsgmenu?msgmenucontent=高校&msgmenuid=2">高校</a>'
        f"\n\nhttp://example.test/a.png\n\n{channel_text(CHOICE_HINT)}"
    )
    assert [c.as_user_text() for c in reply.choices] == ["区域", "高校"]


def test_choices_listed_in_the_text_are_shown_once_as_links():
    buttons = [{"title": "申报材料交到哪里？", "payload": "申报材料交到哪里？"}]
    text = "您是想问下面的问题吗？\n1. 申报材料交到哪里？\n也可以换个说法再问。"
    reply = format_messages([{"text": text, "buttons": buttons}])
    assert reply.text.count("申报材料交到哪里？") == 2  # the link's text and its content
    assert "\n1. 申报材料交到哪里？\n" not in reply.text
    assert reply.text.startswith("您是想问下面的问题吗？\n也可以换个说法再问。")


@pytest.mark.parametrize(
    "typed,expected",
    [("1", "a"), (" 2 ", "b"), ("2.", "b"), ("3", None), ("12个", None), ("", None)],
)
def test_picked_choice(typed, expected):
    choices = [Choice("A", "a"), Choice("B", "b")]
    picked = picked_choice(typed, choices)
    assert (picked.payload if picked else None) == expected


def test_split_keeps_every_piece_within_2048_bytes_and_characters_whole():
    text = "甲" * 1000 + "\n" + "乙" * 3000 + "\n" + "short"
    pieces = split_text(text)
    assert all(len(p.encode("utf-8")) <= 2048 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert len(pieces) == 7  # 3000 bytes of 甲 → 2 pieces; 9000 of 乙 plus "short" → 5


def test_trim_fits_and_says_so():
    trimmed = trim_text("说明" * 2000)
    assert len(trimmed.encode("utf-8")) <= 2048 and trimmed.endswith(channel_text(TRIMMED_SUFFIX))
    assert trim_text("短回答") == "短回答"


def test_reply_xml_survives_cdata_terminators():
    incoming = Incoming("o_1", "gh_1", "text", "ask")
    xml = render_text_reply(incoming, "a]]>b<c>&", now=1)
    fields = xml_fields(xml)
    assert fields["Content"] == "a]]>b<c>&" and fields["ToUserName"] == "o_1"
    assert fields["FromUserName"] == "gh_1" and fields["CreateTime"] == "1"
