"""Real servers: applicants say whether an answer helped — a Telegram button and a typed word,
a tapped WeChat link (safe mode, with and without bizmsgmenuid) — and the report counts it per
topic."""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import time
import uuid
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.questionlog import report
from tests.e2e.test_telegram_e2e import _chat_ids, _update_ids, post_update, replies
from tests.support.telegram_fakes import SECRET, callback_update, message_update
from tests.support.wechat_fakes import AES_KEY, WeChatServer, payload, reply_content

pytestmark = pytest.mark.e2e

THANKS_YES, THANKS_NO = "谢谢您的反馈", "谢谢反馈"
LINK = re.compile(
    r'<a href="weixin://bizmsgmenu\?msgmenucontent=(有帮助|没帮助)&msgmenuid=([0-9_]+)">\1</a>'
)


def telegram_buttons(telegram_api, chat: int) -> dict:
    (answer,) = [m for m in telegram_api.api.sent(chat) if m.get("reply_markup")]
    (row,) = answer["reply_markup"]["inline_keyboard"]
    return {button["text"]: button["callback_data"] for button in row}


def feedback_table(database_url: str, out: Path) -> dict:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    arguments = ["--since", str(today - dt.timedelta(days=1)), "--until", str(today)]
    assert cli_main(["report", *arguments, "--database-url", database_url, "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    start = lines.index(["【回答是否有帮助（按问答条目）】"])
    assert lines[start + 1] == report.FEEDBACK_HEADER
    table = {}
    for row in lines[start + 2 :]:
        if not row:
            break
        table[row[0]] = dict(zip(report.FEEDBACK_HEADER, row, strict=True))
    return table


async def test_feedback_on_telegram_and_wechat_is_counted_per_topic(
    telegram_url, telegram_api, wechat_url, assistant_server, tmp_path
):
    run = uuid.uuid4().hex[:6]
    copies_tg, email_tg = "纸质申报材料要几份", "电子版发哪个邮箱"
    copies_wx, email_wx = "纸质材料交几份呢", "电子版材料发到哪个邮箱"

    # Telegram: 没帮助 pressed under one answer (a callback), 有帮助 typed after another
    chat = next(_chat_ids)
    assert post_update(telegram_url, message_update(next(_update_ids), copies_tg, chat_id=chat))
    assert "一式两份" in replies(telegram_api, chat, 1)[0]
    buttons = telegram_buttons(telegram_api, chat)
    assert list(buttons) == ["有帮助", "没帮助"]
    pressed = callback_update(next(_update_ids), buttons["没帮助"], chat_id=chat, query_id=run)
    assert post_update(telegram_url, pressed, secret=SECRET) == 200
    assert THANKS_NO in replies(telegram_api, chat, 2)[1]

    chat = next(_chat_ids)
    post_update(telegram_url, message_update(next(_update_ids), email_tg, chat_id=chat))
    assert "hnfgwhzc@126.com" in replies(telegram_api, chat, 1)[0]
    post_update(telegram_url, message_update(next(_update_ids), "有帮助", chat_id=chat))
    assert THANKS_YES in replies(telegram_api, chat, 2)[1]

    # WeChat (safe mode): the answer ends with two tappable words; a tap sends the word back
    wechat = WeChatServer(wechat_url, aes_key=AES_KEY)
    user, msg_id = f"oFB{uuid.uuid4().hex[:20]}", random.randint(10**15, 10**16)
    _, body = await wechat.post(payload("text.xml", openid=user, content=copies_wx, msg_id=msg_id))
    content = reply_content(body)
    assert "一式两份" in content
    links = dict(LINK.findall(content))
    assert links == {"有帮助": str(msg_id), "没帮助": str(msg_id)}
    tap = payload("text.xml", openid=user, content="没帮助", msg_id=msg_id + 1).replace(
        "</xml>", f"<bizmsgmenuid>{links['没帮助']}</bizmsgmenuid></xml>"
    )
    _, body = await wechat.post(tap)
    assert THANKS_NO in reply_content(body)

    user = f"oFB{uuid.uuid4().hex[:20]}"
    _, body = await wechat.post(payload("text.xml", openid=user, content=email_wx))
    assert "hnfgwhzc@126.com" in reply_content(body)
    _, body = await wechat.post(payload("text.xml", openid=user, content="有帮助"))  # test account
    assert THANKS_YES in reply_content(body)
    _, body = await wechat.post(payload("text.xml", openid=user, content="有帮助"))  # again
    assert THANKS_YES in reply_content(body)

    time.sleep(2)  # the broker writes off the reply path
    table = feedback_table(assistant_server["DATABASE_URL"], tmp_path / "report.csv")
    copies, email = table["copies"], table["electronic_copy"]
    assert (copies["反馈次数"], copies["有帮助"], copies["没帮助"]) == ("2", "0", "2")
    assert copies["有帮助比例"] == "0.0%"
    assert {copies_tg, copies_wx} <= set(copies["标为没帮助的提问"].split(" / "))
    # the second 有帮助 on the same answer is not counted again
    assert (email["反馈次数"], email["有帮助"], email["有帮助比例"]) == ("2", "2", "100.0%")
