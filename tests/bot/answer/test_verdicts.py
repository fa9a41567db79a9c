"""Yes/no checks over the facts and their English first words (bot/answer/verdicts.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.entities import EntityMatcher, group_values
from bot.answer.lookup import lookup_question
from bot.answer.normalize import normalize
from bot.answer.verdicts import (
    ENGLISH_VERDICTS,
    deadline_claim,
    directions_compared,
    english_verdict,
    lookup_reply,
)

DAY = dt.date(2026, 12, 6)


def entities(kb, text):
    return group_values(EntityMatcher(kb.entity_vocabulary()).find(normalize(text)))


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("企业和高校的方向一样吗", "不一样。"),
        ("Do a company and a university have the same direction?", "不一样。"),
        ("企业和高校的截止时间一样吗", None),  # not about directions
    ],
)
def test_directions_of_two_types_compared(kb, text, verdict):
    found = directions_compared(kb, normalize(text), entities(kb, text), DAY)
    if verdict is None:
        assert found is None
    else:
        assert found is not None and verdict in found.text and found.topic == "directions"


@pytest.mark.parametrize("name", sorted(ENGLISH_VERDICTS))
def test_every_english_verdict_renders(kb, name):
    said = english_verdict(kb, "Is it so?", name, DAY, total="10", difference="2")
    assert said.endswith("\n") and not any("\u4e00" <= ch <= "\u9fff" for ch in said)


@pytest.mark.parametrize(
    "text, topic, start",
    [
        ("咨询电话是0731-89990919吗", "contact", "不是。"),
        ("材料是交到省政务服务中心吗", "submission_address", "是的。"),
        ("材料是交到湘府西路吗", "submission_address", "不是。"),
        ("0731-89991015是谁的电话", "contact", "0731-89991015是本次申报的咨询电话"),
    ],
)
def test_a_value_put_forward_or_asked_about(kb, text, topic, start):
    found = lookup_reply(kb, normalize(text), lookup_question(kb, text), DAY)
    assert found.topic == topic and found.text.startswith(start)


@pytest.mark.parametrize(
    "text, start",
    [
        ("截止日期是11月30号对吧", "不是。"),
        ("截止时间是12月1号吗", "不是。"),
        ("11月25号截止对不对", "不是。"),
        ("截止日期是11月28日吧", "是的。"),
        ("The deadline is November 30, right?", "No."),
    ],
)
def test_a_day_put_forward_as_the_deadline(kb, text, start):
    found = deadline_claim(kb, normalize(text), DAY)
    assert found is not None and found.topic == "deadline"
    assert start in found.text and "2021年11月28日" in found.text


@pytest.mark.parametrize(
    "text",
    [
        "11月30号交还来得及吗",  # a day to hand in on: deadline_check compares it
        "截止日期是哪天",  # no day put forward
        "截止前11月30号交可以吗",
        "截止日期是11月30号还是12月1号",  # two days
    ],
)
def test_no_day_put_forward_as_the_deadline(kb, text):
    assert deadline_claim(kb, normalize(text), DAY) is None
