"""Real servers: questions the FAQ does not cover are answered from the notice, or honestly
declined."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.client import say, say_text

pytestmark = pytest.mark.e2e
PHONE = "0731-89991015"


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    "question, must_contain, must_not_contain",
    [
        # what the notice does not regulate: said so, with the contacts, never a neighbour
        ("申报书有没有字数上限", ["通知中没有", PHONE], ["编制提纲", "银杏路"]),
        ("获批以后省里给不给奖补资金", ["通知中没有", PHONE], ["择优"]),
        ("评审需要现场路演吗", ["通知中没有", PHONE], ["评审等相关程序"]),
        # a clause only the notice text answers, quoted with its number
        ("什么是专精特新", ["二（三）", "“专精特新”中小企业", PHONE], []),
        # documents, derived facts, the footer, English, the assistant itself
        (
            "国办发〔2020〕26号是什么文件",
            ["提升大众创业万众创新示范基地带动作用", "国办发〔2020〕26号"],
            [],
        ),
        ("株洲和湘潭加起来最多推荐几个", ["6个"], []),
        ("衡阳推荐三个行吗", ["不能", "2个"], []),
        ("附件下载不了找谁", ["0731-89990919"], []),
        ("What is the email address for the electronic copy?", ["hnfgwhzc@126.com"], []),
        ("Can I bring my dog to the office?", ["does not cover", PHONE], ["银杏路"]),
        ("你是机器人吗", ["自动"], []),
    ],
)
def test_right_or_honest(assistant_url, question, must_contain, must_not_contain):
    reply = say_text(assistant_url, sender(), question)
    for fact in must_contain:
        assert fact in reply, reply
    for wrong in must_not_contain:
        assert wrong not in reply, reply


def test_two_questions_answered_in_order_each_with_its_source(assistant_url):
    replies = say(assistant_url, sender(), "截止日期是哪天？材料交到哪个窗口")
    text = "\n".join(replies)
    assert "11月28日" in text and "银杏路6号" in text
    assert text.index("11月28日") < text.index("银杏路6号")
    assert text.count("（依据：") >= 2


def test_follow_up_about_an_attribute_of_the_last_answer(assistant_url):
    user = sender()
    assert "11月28日" in say_text(assistant_url, user, "材料最晚哪天报")
    assert "11月28日" in say_text(assistant_url, user, "电子版也是这个时间吗")
