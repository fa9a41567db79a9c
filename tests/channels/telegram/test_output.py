"""Telegram replies: message splitting, callback payloads, flood-control retries."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from channels.telegram.output import (
    MAX_CALLBACK_BYTES,
    CallbackPayloads,
    TelegramOutput,
    retry_after_seconds,
    split_message,
)
from channels.telegram.updates import SeenUpdates, command_text
from tests.support.telegram_fakes import PRIVATE_CHAT, TOKEN, FakeBotAPI


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("", 10, []),
        ("短", 10, ["短"]),
        ("a" * 10, 10, ["a" * 10]),
        ("aaaa\nbbbb\ncccc", 9, ["aaaa\nbbbb", "cccc"]),
        ("aaaa\nbbbb\ncccc", 4, ["aaaa", "bbbb", "cccc"]),
        ("a" * 25, 10, ["a" * 10, "a" * 10, "a" * 5]),
        ("x\n" + "a" * 12 + "\ny", 10, ["x", "a" * 10, "aa\ny"]),
        ("aaaa\n\n\n\n\nbbbb", 4, ["aaaa", "bbbb"]),  # blank chunks are not sent
        ("😀" * 6, 4, ["😀😀", "😀😀", "😀😀"]),  # emoji count twice, as Telegram counts
        ("申报" * 6, 5, ["申报申报申", "报申报申报", "申报"]),
    ],
    ids=[
        "empty",
        "short",
        "exact",
        "two-lines-fit",
        "one-line-each",
        "hard-split",
        "long-line-between",
        "blank-lines",
        "utf16",
        "chinese",
    ],
)
def test_split_message(text, limit, expected):
    assert split_message(text, limit) == expected


@pytest.mark.parametrize("size", [4095, 4096, 4097, 8192, 8193, 20000])
def test_split_message_at_the_real_limit(size):
    line = "申报材料须于截止日期前报送。"
    text = "\n".join([line] * (size // (len(line) + 1) + 1))[:size]
    chunks = split_message(text)
    assert all(units(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text
    assert (len(chunks) == 1) == (size <= 4096)


def test_callback_payloads_short_pass_long_are_mapped():
    table = CallbackPayloads()
    assert table.encode("是") == "是"
    exact = "a" * MAX_CALLBACK_BYTES
    assert table.encode(exact) == exact
    long_payload = "我想自测" * 10  # 120 bytes
    token = table.encode(long_payload)
    assert len(token.encode()) <= MAX_CALLBACK_BYTES
    assert table.encode(long_payload) == token  # same payload, same token
    assert table.decode(token) == long_payload
    assert table.decode("是") == "是"
    # something that merely looks like a token is not passed through as text
    tricky = table.encode("p:x")
    assert tricky != "p:x" and table.decode(tricky) == "p:x"
    assert table.decode("p:never-issued") is None


def test_callback_payloads_are_bounded():
    table = CallbackPayloads(max_size=3)
    tokens = [table.encode(f"{i}" * 70) for i in range(5)]
    assert [table.decode(t) for t in tokens] == [None, None, "2" * 70, "3" * 70, "4" * 70]


def test_seen_updates_are_bounded():
    seen = SeenUpdates(max_size=3)
    assert [seen.add(i) for i in (1, 2, 1, 3, 4)] == [True, True, False, True, True]
    assert seen.add(1) is True  # forgotten once four newer ids arrived
    assert seen.add(4) is False


@pytest.mark.parametrize(
    ("text", "username", "expected"),
    [
        ("/help", None, "你能回答哪些问题"),
        ("/help@shuangchuang_bot", None, None),  # we don't know our name: not for us
        ("/help@Shuangchuang_Bot", "shuangchuang_bot", "你能回答哪些问题"),
        ("/help@other_bot", "shuangchuang_bot", None),
        ("/helpme", "shuangchuang_bot", "你能回答哪些问题"),
        ("/申报", "shuangchuang_bot", "/申报"),  # not a Telegram command: plain text
        ("//deadline", "shuangchuang_bot", "//deadline"),
        ("截止 /deadline", "shuangchuang_bot", "截止 /deadline"),
    ],
)
def test_command_text(text, username, expected):
    assert command_text(text, username) == expected


@pytest.mark.parametrize("timedelta_mode", [True, False], ids=["PTB_TIMEDELTA", "int"])
def test_retry_after_seconds(monkeypatch, timedelta_mode):
    if timedelta_mode:
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
        exc = RetryAfter(dt.timedelta(seconds=3))
        assert retry_after_seconds(exc) == 3.0
    else:
        monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
        # PTB 22 announces the move to timedelta with a deprecation warning; the value still works
        with pytest.warns(DeprecationWarning, match="PTB_TIMEDELTA"):
            exc = RetryAfter(3)
            assert retry_after_seconds(exc) == 3.0


@pytest.fixture
async def api():
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


@pytest.mark.parametrize(
    ("failures", "retry_after", "attempts", "calls", "sleeps", "delivered"),
    [
        (1, 1, 5, 2, [1.0], True),
        (2, 2, 3, 3, [2.0, 2.0], True),
        (3, 1, 3, 3, [1.0, 1.0], False),  # gives up after max_attempts
        (1, 500, 5, 1, [], False),  # a wait longer than max_retry_wait is not waited out
    ],
    ids=["once", "twice", "gives-up", "too-long"],
)
async def test_output_retries_on_429(
    api, monkeypatch, failures, retry_after, attempts, calls, sleeps, delivered
):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    slept = []

    async def no_sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr("channels.telegram.output.asyncio.sleep", no_sleep)
    api.fail_next("sendMessage", retry_after=retry_after, times=failures)
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        output = TelegramOutput(bot, PRIVATE_CHAT, CallbackPayloads())
        output.max_attempts = attempts
        await output.send_text_message("te_x", "第一段\n第二段")
    assert len(api.sent()) == calls
    assert slept == sleeps
    assert api.sent_texts() == ["第一段\n第二段"] * calls
    assert (calls == failures + 1) is delivered


async def test_output_stops_after_a_lost_part(api, monkeypatch):
    """A later part is never sent after an earlier one was dropped (order matters)."""
    monkeypatch.setattr("channels.telegram.output.split_message", lambda text: ["一", "二", "三"])
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("sendMessage", retry_after=500)
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        output = TelegramOutput(bot, PRIVATE_CHAT, CallbackPayloads())
        await output.send_text_message("te_x", "一\n二\n三")
    assert api.sent_texts() == ["一"]


async def test_buttons_go_on_the_last_part_only(api, monkeypatch):
    monkeypatch.setattr("channels.telegram.output.split_message", lambda text: ["一", "二"])
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        output = TelegramOutput(bot, PRIVATE_CHAT, CallbackPayloads(), reply_to_message_id=8)
        await output.send_text_with_buttons("te_x", "一\n二", [{"title": "是", "payload": "是"}])
    first, second = api.sent()
    assert "reply_markup" not in first and first["reply_parameters"]["message_id"] == 8
    assert second["reply_markup"]["inline_keyboard"] == [[{"text": "是", "callback_data": "是"}]]
    assert "reply_parameters" not in second


@pytest.mark.parametrize(
    ("custom", "sent"),
    [({"text": "自定义文字"}, ["自定义文字"]), ({"blocks": [1, 2]}, [])],
)
async def test_custom_json_sends_only_its_text(api, custom, sent):
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        output = TelegramOutput(bot, PRIVATE_CHAT, CallbackPayloads())
        await output.send_response("te_x", {"custom": custom})
    assert api.sent_texts() == sent


async def test_buttons_without_text_still_carry_a_prompt(api):
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        output = TelegramOutput(bot, PRIVATE_CHAT, CallbackPayloads())
        await output.send_text_with_buttons(
            "te_x", "", [{"title": "是", "payload": "是"}, {"title": ""}]
        )
    (sent,) = api.sent()
    assert sent["text"] == "请选择："
    assert len(sent["reply_markup"]["inline_keyboard"]) == 1
