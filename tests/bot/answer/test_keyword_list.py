"""A bare keyword list read as one question per topic word (bot/answer/keyword_list.py); read
whole messages with lists in tests/bot/answer/test_reading.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.keyword_list import keyword_list
from bot.answer.normalize import normalize
from bot.answer.vocabulary import vocabulary
from bot.kb.load import load_knowledge

WORDS = vocabulary(load_knowledge())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("邮箱 份数 联系人", ["邮箱", "份数", "联系人"]),
        ("长沙 株洲 名额", ["长沙名额", "株洲名额"]),  # each 市州 with the topic word after it
        ("名额 长沙 株洲", ["长沙名额", "株洲名额"]),  # or with the last one
        ("请问一下：1.截止时间 2.报送地点", ["截止时间", "报送地点"]),  # markers, courtesy
        ("实施方案 有模板吗 邮箱", ["实施方案,有模板吗", "邮箱"]),  # pointing back: the word before
        ("方向 条件 流程", ["申报方向", "申报条件", "申报流程"]),  # bare words: matters of the call
    ],
)
def test_a_list_of_topic_words_is_one_question_each(text, expected):
    assert keyword_list(normalize(text), WORDS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "截止时间",  # one word: no list
        "我的电话是13800000000,截止时间",  # a statement about the applicant's own things
        "纸质材料要交几份",  # a question, not a list
    ],
)
def test_what_is_not_a_list_is_left_to_the_reading(text):
    assert keyword_list(normalize(text), WORDS) is None


@given(
    st.lists(
        st.sampled_from(["邮箱", "份数", "联系人", "长沙", "附件", "您好", "截止"]), max_size=6
    )
)
def test_a_list_gives_none_or_at_least_two_non_empty_questions(items):
    found = keyword_list(normalize(" ".join(items)), WORDS)
    assert found is None or (len(found) >= 2 and all(part.strip() for part in found))
