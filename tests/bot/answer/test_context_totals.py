"""Totals and comparisons over the quotas read from new wordings (bot/answer/context.py,
bot/answer/premises.py, knowledge/messages.yml): English whole-province totals, comparisons
answered in the direction they are asked."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.context import understood
from bot.answer.entities import EntityMatcher, group_values
from bot.answer.normalize import normalize

DAY = dt.date(2026, 12, 6)


def entities(kb, text):
    return group_values(EntityMatcher(kb.entity_vocabulary()).find(normalize(text)))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("How many bases can be recommended across the whole province at most?", "32个"),
        ("How many can the entire province recommend?", "32个"),
        ("岳阳比长沙少几个名额", "岳阳市比长沙市少2个"),
        ("长沙比衡阳多几个名额", "长沙市比衡阳市多2个"),
        ("长沙和湘潭加一块能推几个", "合计最多可推荐7个"),
    ],
)
def test_totals_and_comparisons(kb, text, expected):
    found = understood(kb, normalize(text), entities(kb, text), None, {}, DAY)
    assert found is not None and found.topic == "quota" and expected in found.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("是不是每个市州都只能推两个", "不"),
        ("每个市州都是2个名额吗", "不"),
    ],
)
def test_a_premise_about_every_city(kb, text, expected):
    found = understood(kb, normalize(text), entities(kb, text), None, {}, DAY)
    assert found is not None and found.text.startswith(expected) and "长沙市不超过4个" in found.text
