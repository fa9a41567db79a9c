"""Real servers, Telegram updates posted with the secret, replies read from the fake Bot API."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support.telegram_fakes import SECRET, message_update

pytestmark = pytest.mark.e2e

_update_ids = itertools.count(9_000_000)
_chat_ids = itertools.count(700_000)


def post_update(url: str, update: dict, secret: str = SECRET) -> int:
    request = urllib.request.Request(
        url,
        json.dumps(update).encode(),
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def replies(telegram_api, chat_id: int, count: int, timeout: float = 30.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = telegram_api.api.sent_texts(chat_id)
        if len(texts) >= count:
            return texts
        time.sleep(0.2)
    return telegram_api.api.sent_texts(chat_id)


def test_question_and_follow_up_are_answered_through_the_bot_api(telegram_url, telegram_api):
    chat = next(_chat_ids)
    assert (
        post_update(
            telegram_url, message_update(next(_update_ids), "株洲能推荐几个主体", chat_id=chat)
        )
        == 200
    )
    assert "株洲市推荐不超过3个" in replies(telegram_api, chat, 1)[0]
    assert (
        post_update(telegram_url, message_update(next(_update_ids), "那邵阳呢", chat_id=chat))
        == 200
    )
    assert "邵阳市推荐不超过2个" in replies(telegram_api, chat, 2)[1]


def test_commands_map_to_questions(telegram_url, telegram_api):
    chat = next(_chat_ids)
    assert (
        post_update(telegram_url, message_update(next(_update_ids), "/deadline", chat_id=chat))
        == 200
    )
    assert "11月28日" in replies(telegram_api, chat, 1)[0]


def test_wrong_secret_is_refused_and_nothing_is_sent(telegram_url, telegram_api):
    chat = next(_chat_ids)
    assert (
        post_update(
            telegram_url,
            message_update(next(_update_ids), "截止时间", chat_id=chat),
            secret="forged",
        )
        == 403
    )
    time.sleep(1)
    assert telegram_api.api.sent_texts(chat) == []


def test_duplicate_update_is_answered_once(telegram_url, telegram_api):
    chat, update_id = next(_chat_ids), next(_update_ids)
    update = message_update(update_id, "纸质材料几份", chat_id=chat)
    assert post_update(telegram_url, update) == 200
    assert post_update(telegram_url, update) == 200
    assert "一式两份" in replies(telegram_api, chat, 1)[0]
    time.sleep(1.5)
    assert len(telegram_api.api.sent_texts(chat)) == 1
