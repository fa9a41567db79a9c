"""Real servers, requests built as WeChat builds them: answers, retries, the question log.

The server runs in 安全模式 (WECHAT_AES_KEY set), so every message is encrypted; plaintext is
refused there (tests/channels/test_wechat_modes.py)."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_question_log_e2e import log_rows
from tests.support.wechat_fakes import AES_KEY, WeChatServer, open_reply, payload, reply_content

pytestmark = pytest.mark.e2e


def openid() -> str:
    return f"oE2E{uuid.uuid4().hex[:20]}"


async def test_answer_and_follow_up(wechat_url):
    wechat, user = WeChatServer(wechat_url, aes_key=AES_KEY), openid()  # the server is in 安全模式
    status, body = await wechat.post(payload("text.xml", openid=user, content="长沙可以推荐几家"))
    assert status == 200 and "长沙市推荐不超过4个" in reply_content(body)
    status, body = await wechat.post(payload("text.xml", openid=user, content="那湘西州呢"))
    assert "湘西土家族苗族自治州推荐不超过2个" in reply_content(body)


async def test_safe_mode_reply_is_encrypted_and_correct(wechat_url):
    wechat = WeChatServer(wechat_url)
    status, body, crypto = await wechat.post_encrypted(
        payload("text.xml", openid=openid(), content="纸质材料交几份")
    )
    assert status == 200 and "<Encrypt>" in body
    assert "一式两份" in open_reply(body, crypto).findtext("Content")


async def test_retried_msgid_is_answered_and_logged_once(wechat_url, assistant_server):
    wechat, user = WeChatServer(wechat_url, aes_key=AES_KEY), openid()  # the server is in 安全模式
    msg_id = random.randint(10**15, 10**16)
    xml = payload("text.xml", openid=user, content="电子版发哪个邮箱", msg_id=msg_id)
    first, retry = await asyncio.gather(wechat.post(xml), wechat.post(xml))
    assert first[0] == retry[0] == 200
    replies = [reply_content(body) or "" for _, body in (first, retry)]
    assert any("hnfgwhzc@126.com" in r for r in replies)

    database = Path(assistant_server["DATABASE_URL"].removeprefix("sqlite:///"))
    rows = [r for r in log_rows(database, 1) if r[0] and str(msg_id) in r[0]]
    assert len(rows) == 1 and rows[0][3] == "electronic_copy"
    for store in (database, Path(assistant_server["TRACKER_DB"]), Path(assistant_server["LOG"])):
        assert user.encode() not in store.read_bytes(), store


# Vague questions the model may be unsure of; which ones it is unsure of and which topics it
# offers depend on the model, so the test takes the first that gets the honest fallback with
# numbered suggestions (tappable bizmsgmenu links too) and checks that “1” answers suggestion 1.
VAGUE = ("谁来定", "这个呢", "咋弄啊", "然后呢", "那个怎么说", "谁审", "啥时候", "材料")


async def test_unsure_fallback_offers_numbered_topics_that_a_digit_answers(wechat_url):
    for vague in VAGUE:
        wechat, user = (
            WeChatServer(wechat_url, aes_key=AES_KEY),
            openid(),
        )  # the server is in 安全模式
        status, body = await wechat.post(payload("text.xml", openid=user, content=vague))
        first = reply_content(body)
        assert status == 200, first
        if "0731-89991015" in first and "\n1. " in first:  # not sure, and suggestions offered
            break
    else:
        pytest.fail("no vague question got numbered suggestions")
    status, body = await wechat.post(payload("text.xml", openid=user, content="1"))
    assert "（依据：" in reply_content(body)  # the suggested topic's answer, with its source
