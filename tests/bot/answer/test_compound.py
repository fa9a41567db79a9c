"""Several questions in one message, split in the order asked (bot/answer/compound.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.compound import MAX_PARTS, split_questions


@pytest.mark.parametrize(
    "text, parts",
    [
        ("纸质版要几份？电子版又发到哪", ["纸质版要几份", "电子版又发到哪"]),
        ("企业和高校分别报什么方向", ["企业报什么方向", "高校报什么方向"]),
        ("截止时间和报送地址是什么", ["截止时间是什么", "报送地址是什么"]),
        ("电子版发到哪，还有纸质的要几份", ["电子版发到哪", "纸质的要几份"]),
        (
            "老师您好，我是湘潭一所高校的，想问下我们学校适合报哪个方向，另外湘潭能推荐几家",
            ["老师您好，我是湘潭一所高校的，想问下我们学校适合报哪个方向", "湘潭能推荐几家"],
        ),
        (
            "我们是长沙的企业。截止时间是哪天？材料交到哪里？",
            ["我们是长沙的企业，截止时间是哪天", "材料交到哪里"],
        ),
        ("截止时间是什么时候以及联系电话是多少", ["截止时间是什么时候", "联系电话是多少"]),
        # Cantonese: 同 is “and” before 分别 (同时, 同一… stay words)
        ("截止日期同报送地址分别系乜？", ["截止日期系乜", "报送地址系乜"]),
        ("纸质版同时要发电子版吗", ["纸质版同时要发电子版吗"]),
    ],
)
def test_compound_messages_split_in_order(text, parts):
    assert split_questions(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "申报截止时间是什么时候？",
        "长沙和株洲加起来能推荐几个",  # asked together
        "企业和高校有什么区别",
        "还有几天截止",
        "截止时间还有多久",
        "材料交到哪里？谢谢",  # thanks is not a question
        "除了长沙，其余市州加起来能推荐几个",  # what is left out belongs to the question
        "你好",
        "",
    ],
)
def test_one_question_stays_whole(text):
    assert split_questions(text) == [text]


@given(st.text(max_size=300))
def test_any_text_splits_into_a_bounded_list_of_non_empty_parts(text):
    parts = split_questions(text)
    assert 1 <= len(parts) <= MAX_PARTS
    assert parts == [text] or all(part.strip() for part in parts)
