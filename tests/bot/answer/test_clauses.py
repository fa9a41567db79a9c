"""What each clause of a message does (bot/answer/clauses.py): asks, greets or thanks, announces,
sets a condition, or tells who asks and why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.clauses import (
    ASIDE,
    ASK,
    CONDITION,
    COURTESY,
    PREAMBLE,
    classify,
    clauses,
    is_set_apart,
)
from bot.answer.normalize import normalize


@pytest.mark.parametrize(
    "clause, kind",
    [
        ("老师您好", COURTESY),
        ("麻烦老师百忙之中回复一下", COURTESY),
        ("万分感谢", COURTESY),
        ("不好意思这么晚打扰您", COURTESY),
        ("想问两个问题", PREAMBLE),
        ("简单问一句", PREAMBLE),
        ("我是邵阳经开区管委会的小刘", ASIDE),
        ("因为我们市里想早点定下来报哪几家", ASIDE),  # a reason, though it has 哪/几
        ("连门朝哪开都不知道", ASIDE),  # a figure of speech
        ("学校让我咨询", ASIDE),  # a request with nothing to ask
        ("园区申报的话", CONDITION),
        ("材料交到哪里", ASK),
        ("窗口星期六开不开", ASK),  # A不A
        ("想跟您确认下省里收材料的地点和窗口", ASK),
        ("编制提纲是干嘛用的", ASK),
    ],
)
def test_each_clause_is_sorted(clause, kind):
    assert classify(normalize(clause)) == kind


@pytest.mark.parametrize(
    "clause, set_apart",
    [
        ("我是邵阳经开区管委会的小刘", True),  # who asks
        ("领导催得紧", True),  # why
        ("我们12月3号才能送过去", False),  # may be what the question is about
    ],
)
def test_introductions_and_reasons_are_set_apart(clause, set_apart):
    assert is_set_apart(normalize(clause)) is set_apart


@given(st.text(max_size=200))
def test_every_clause_is_non_empty_and_has_one_of_the_five_kinds(text):
    for clause in clauses(normalize(text)):
        assert clause.text and clause.text == clause.text.strip()
        assert clause.kind in (ASK, COURTESY, PREAMBLE, CONDITION, ASIDE)
