"""Yes/no checks over the facts and their English first words (bot/answer/verdicts.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.entities import EntityMatcher, group_values
from bot.answer.lookup import lookup_question
from bot.answer.normalize import normalize
from bot.answer.verdicts import (
    ENGLISH_VERDICTS,
    date_claim,
    direction_supports,
    directions_compared,
    english_verdict,
    lookup_reply,
    selection_premise,
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
    found = date_claim(kb, normalize(text), DAY)
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
    assert date_claim(kb, normalize(text), DAY) is None


@pytest.mark.parametrize(
    "text, start",
    [
        ("通知是11月28号印发的吧？", "不是。"),
        ("这个通知是2021年11月8日发布的对吗", "是的。"),
        ("The notice was issued on November 28, right?", "No."),
    ],
)
def test_a_day_put_forward_as_the_notices_date(kb, text, start):
    found = date_claim(kb, normalize(text), DAY)
    assert found is not None and found.topic == "notice_info"
    assert start in found.text and "2021年11月8日" in found.text


@pytest.mark.parametrize(
    "text, start",
    [
        ("省里是不是按照材料报送先后顺序，先到先得来定名单？", "不是。"),
        ("名单是抽签定的吗", "不是。"),
        ("只要市里推荐了，省里就一定认定吗", "不一定"),
    ],
)
def test_a_way_of_selecting_put_forward(kb, text, start):
    found = selection_premise(kb, normalize(text), DAY)
    assert found is not None and found.topic == "selection"
    assert found.text.startswith(start) and "择优" in found.text


@pytest.mark.parametrize(
    "text, start, clause",
    [
        ("退役军人创业算不算创业就业方向支持的对象", "是的。", "二（一）"),
        ("返乡农民工创业应该是全球化创业方向重点支持的吧", "不是。", "二（一）"),
        ("专精特新企业是不是精益创业方向的", "是的。", "二（三）"),
        ("大学生创业属不属于融通创新方向", "不是。", "二（一）"),
    ],
)
def test_whom_a_direction_supports(kb, text, start, clause):
    found = direction_supports(kb, normalize(text), entities(kb, text), DAY)
    assert found is not None and found.text.startswith(start) and found.clause == clause


@pytest.mark.parametrize(
    "text",
    [
        "创业就业方向支持哪些人",  # no yes/no: the direction's answer
        "退役军人可以申报吗",  # no direction named
        "创业就业和精益创业都支持大学生吗",  # two directions
    ],
)
def test_no_support_check(kb, text):
    assert direction_supports(kb, normalize(text), entities(kb, text), DAY) is None
