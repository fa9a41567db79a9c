"""Only choices that fit the question are offered (bot/answer/clarify.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.clarify import choice_fit, fitting_topics, numbered, terms
from bot.kb.load import load_knowledge

KB = load_knowledge()


def ranked(*names):
    return [{"name": name, "confidence": 0.3} for name in names]


@pytest.mark.parametrize(
    "question, ranking, expected",
    [
        ("窗口在综合楼几楼", ranked("attachments", "submission_address"), ["submission_address"]),
        (
            "评审流程是怎样的",
            ranked("selection", "procedure", "copies"),
            ["selection", "procedure"],
        ),
        (
            "截止几份找谁",
            ranked("deadline", "copies", "contact", "quota"),
            ["deadline", "copies", "contact"],
        ),
        ("窗口周几开门", ranked("attachments", "quota"), []),
        ("今天天气怎么样", ranked("deadline", "directions"), []),
    ],
)
def test_only_fitting_topics_are_offered(question, ranking, expected):
    assert fitting_topics(KB, question, ranking, floor=0.15) == expected


def test_a_topic_below_the_floor_or_not_in_the_faq_is_never_offered():
    ranking = [{"name": "deadline", "confidence": 0.1}, {"name": "greet", "confidence": 0.5}]
    assert fitting_topics(KB, "截止时间", ranking, floor=0.15) == []


def test_words_every_topic_uses_and_function_words_do_not_fit():
    fit = choice_fit(KB)
    assert {"申报", "材料"} <= fit.generic
    assert "那个" not in terms("那个什么时候")
    assert not fit.fits("submission_address", "那个是什么")


def test_choices_are_numbered_one_a_line():
    assert numbered(["甲？", "乙？"]) == "1. 甲？\n2. 乙？"


@given(st.text(max_size=60), st.lists(st.sampled_from([e.id for e in KB.faq]), max_size=6))
def test_offered_topics_are_ranked_faq_topics_that_share_a_term(question, names):
    chosen = fitting_topics(KB, question, ranked(*names), floor=0.15)
    assert len(chosen) <= 3 and len(set(chosen)) == len(chosen)
    assert all(name in names and choice_fit(KB).fits(name, question) for name in chosen)
