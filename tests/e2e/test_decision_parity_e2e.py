"""The running assistant and the decision seam (bot/answer/decision.py, played in-process by
bot/ops/in_process.py for kb try and bot eval) give identical replies to the same messages."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from bot import settings as bot_settings
from bot.answer.replies import blocked_words
from bot.kb.load import load_knowledge
from bot.ops.in_process import InProcessAssistant
from bot.ops.preview import ModelParser
from tests.e2e.client import say

pytestmark = pytest.mark.e2e

CONVERSATIONS = [
    ["申报截止时间是什么时候？"],
    ["纸质材料送到哪里", "那要几份"],
    ["长沙能推荐几个", "那株洲呢", "湘潭呢"],
    ["截止日期是哪天？材料交到哪个窗口"],
    ["电子版发哪个邮箱，纸质版几份，联系人是谁"],
    ["你好"],
    ["谢谢"],
    ["再见"],
    ["你是机器人吗"],
    ["你能回答哪些问题"],
    ["我要找人工"],
    ["申报书有没有字数上限"],
    ["什么是专精特新"],
    ["国办发〔2020〕26号是什么文件"],
    ["株洲和湘潭加起来最多推荐几个"],
    ["衡阳推荐三个行吗"],
    ["附件下载不了找谁"],
    ["What is the email address for the electronic copy?"],
    ["Can I bring my dog to the office?"],
    ["高校适合哪个方向", "那企业呢"],
    ["今天天气怎么样"],
    ["我的手机13912345678，申报要什么条件"],
    ["啊啊啊"],
    ["老师您好，我们是常德的一家企业，想问下材料最晚什么时候交"],
    ["申报截止时间是什么时候？", "截止时间跟地址是同一天吗"],
    # context (slots last_topic and last_entities through the tracker), premises, look-ups
    ["湘潭能报几个", "说错了，是衡阳"],
    ["衡阳名额", "那长沙呢", "两个加起来呢"],
    ["How many can Hengyang recommend?", "And Xiangtan?"],
    ["所有市州名额都一样吗", "一定要推满吗"],
    ["0731-89990919是干什么的", "咨询电话是0731-89990919吗"],
    ["报送地址在哪", "在几楼"],
]


@pytest.fixture(scope="module")
def in_process(assistant_server, trained_model, monkeypatch_module):
    """The assistant in this process, reading the same knowledge folder as the server."""
    knowledge_dir = Path(assistant_server["KNOWLEDGE_DIR"])
    monkeypatch_module.setenv("KNOWLEDGE_DIR", str(knowledge_dir))
    bot_settings.get_settings.cache_clear()
    today = dt.date.fromisoformat(assistant_server["BOT_TODAY"])
    parser = ModelParser(trained_model)
    yield InProcessAssistant(lambda: load_knowledge(knowledge_dir), parser.parse_all, lambda: today)
    bot_settings.get_settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def conversations(knowledge_dir: Path):
    blocked = blocked_words(load_knowledge(knowledge_dir))
    extra = [[f"{blocked[0]}，截止时间是哪天"]] if blocked else []
    return CONVERSATIONS + extra


def test_the_server_and_the_seam_reply_alike(assistant_server, assistant_url, in_process):
    compared = 0
    for conversation in conversations(Path(assistant_server["KNOWLEDGE_DIR"])):
        sender = f"parity-{uuid.uuid4().hex[:8]}"
        for message in conversation:
            served = say(assistant_url, sender, message)
            seam = in_process.say(sender, message)
            assert served == seam, (message, served, seam)
            compared += 1
    assert compared >= len(CONVERSATIONS)
