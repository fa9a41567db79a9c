"""English questions (bot/answer/english.py)."""

from __future__ import annotations

import pytest

from bot.answer.english import english_topic, is_english


@pytest.mark.parametrize(
    "text, english",
    [
        ("Which email address should the electronic copy go to?", True),
        ("what is the deadline", True),
        ("截止时间是什么时候", False),
        ("deadline是哪天", False),
        ("ok", False),
        ("", False),
    ],
)
def test_is_english(text, english):
    assert is_english(text) is english


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Which email address should the electronic copy go to?", "electronic_copy"),
        ("When is the deadline for applications?", "deadline"),
        ("Where do we submit the documents?", "submission_address"),
        ("What is the phone number for questions?", "contact"),
        ("How many applicants can Changsha recommend?", "quota"),
        ("Which direction should a university choose?", "directions"),
        ("Who is eligible to apply?", "eligibility"),
        ("How many copies of the paper documents?", "copies"),
        ("Where do the paper copies go", "submission_address"),  # the longest keyword wins
        ("Also, where should the soft copy be emailed?", "electronic_copy"),
        ("What's the weather like in Changsha?", None),
    ],
)
def test_english_topics(kb, text, topic):
    assert english_topic(text, kb.english) == topic
