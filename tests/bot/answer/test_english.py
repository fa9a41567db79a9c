"""English questions (bot/answer/english.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.english import english_date, english_topic, is_english


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


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Where do the paper copies go", "submission_address"),  # the longest keyword decides
        ("Is the call still open?", "deadline"),
        ("The website is down, who do I call?", "website_support"),  # a tie: the first topic
        ("Which documents is this notice based on?", "policy_basis"),
        ("Is there an application fee?", None),  # english.yml › silent
        ("When was the notice published?", "notice_info"),
    ],
)
def test_every_topic_by_its_longest_keyword(kb, text, topic):
    assert english_topic(text, kb.english) == topic


def test_every_faq_topic_is_reachable_in_english(kb):
    reachable = {t.faq for t in kb.english.topics if t.keywords}
    assert {e.id for e in kb.faq} <= reachable


def test_dates_in_english():
    assert english_date(dt.date(2021, 11, 28)) == "28 November 2021"
