"""Corrections, follow-ups, totals over what was asked before (bot/answer/context.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer.context import (
    attribute_follow_up,
    follow_up,
    is_correction,
    only_names_entities,
    remembered,
    understood,
)
from bot.answer.entities import EntityMatcher, group_values
from bot.answer.normalize import normalize
from tests.support.tiers import examples

DAY = dt.date(2026, 12, 6)


def entities(kb, text):
    return group_values(EntityMatcher(kb.entity_vocabulary()).find(normalize(text)))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("说错了，是衡阳", True),
        ("那株洲呢", True),
        ("And Xiangtan?", True),
        ("What about Yueyang?", True),
        ("不是高校，是科研院所", True),
        ("那高校呢？", True),
        ("长沙的也一样吗", True),
        ("哦不好意思，我们单位其实在湘潭", True),
        ("长沙能推荐几个", False),
        ("长沙的截止时间", False),
        ("截止时间是哪天", False),
        ("And the deadline for Changsha?", False),
    ],
)
def test_a_message_that_only_names_an_entity(kb, text, expected):
    assert only_names_entities(kb, text) is expected


@pytest.mark.parametrize(
    "text, last_topic, expected",
    [
        ("说错了，是衡阳", "quota", ("quota", True)),
        ("那株洲呢", "quota", ("quota", False)),
        ("And Xiangtan?", "quota", ("quota", False)),
        ("说错了，是高校", "directions", ("directions", True)),
        ("那株洲呢", "deadline", ("deadline", False)),  # the same for every 市州
        ("说错了，是衡阳", None, None),  # nothing asked before
    ],
)
def test_follow_up_asks_the_previous_question_again(kb, text, last_topic, expected):
    assert follow_up(kb, normalize(text), entities(kb, text), last_topic) == expected


@pytest.mark.parametrize(
    "text, correcting",
    [("说错了，是衡阳", True), ("搞错了", True), ("其实在衡阳", True), ("那衡阳呢", False)],
)
def test_corrections(text, correcting):
    assert is_correction(text) is correcting


@pytest.mark.parametrize(
    "last_topic, last, topic, new, replaces, expected",
    [
        ("quota", {"city": ["衡阳市"]}, "quota", {"city": ["长沙市"]}, False, ["衡阳市", "长沙市"]),
        ("quota", {"city": ["湘潭市"]}, "quota", {"city": ["衡阳市"]}, True, ["衡阳市"]),
        ("deadline", {"city": ["湘潭市"]}, "quota", {"city": ["衡阳市"]}, False, ["衡阳市"]),
        ("quota", {"city": ["湘潭市"]}, "quota", {}, False, ["湘潭市"]),
        (None, {}, "deadline", {}, False, None),
    ],
)
def test_what_is_remembered(last_topic, last, topic, new, replaces, expected):
    memory = remembered(last_topic, last, topic, new, replaces)
    assert memory.get("city") == expected


@pytest.mark.parametrize(
    "turns, expected",
    [
        (
            [("湘潭能报几个", "quota", {"city": ["湘潭市"]}), "说错了，是衡阳"],
            "衡阳市推荐不超过2个",
        ),
        (
            [("衡阳名额", "quota", {"city": ["衡阳市", "长沙市"]}), "两个加起来呢"],
            "合计最多可推荐6个",
        ),
        (
            [("湘潭几个名额", "quota", {"city": ["湘潭市"]}), "加上株洲一共多少"],
            "合计最多可推荐6个",
        ),
        (
            [("邵阳名额", "quota", {"city": ["邵阳市"]}), "长沙株洲湘潭三个加起来呢"],
            "合计最多可推荐10个",
        ),
        ([("长沙能推几个", "quota", {"city": ["长沙市"]}), "那能推5个吗"], "不能。长沙市"),
        ([("株洲几个名额", "quota", {"city": ["株洲市"]}), "一定要推满吗"], "上限"),
        (
            [("How many can Hengyang recommend?", "quota", {"city": ["衡阳市"]}), "And Xiangtan?"],
            "湘潭市推荐不超过3个",
        ),
    ],
)
def test_in_context(kb, turns, expected):
    (_, last_topic, last), text = turns
    found = understood(kb, text, entities(kb, text), last_topic, last, DAY)
    assert found is not None and expected in found.text and found.topic == "quota"


@pytest.mark.parametrize(
    "text", ["申报截止时间是什么时候？", "企业报什么方向", "材料交到哪里", "长沙能推荐几个"]
)
def test_plain_questions_are_left_to_their_intent(kb, text):
    assert understood(kb, text, entities(kb, text), None, {}, DAY) is None


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=40), st.sampled_from([None, "quota", "directions", "deadline"]))
def test_any_message_is_understood_or_left_alone_without_failing(kb, text, last_topic):
    found = understood(kb, text, entities(kb, text), last_topic, {"city": ["长沙市"]}, DAY)
    assert found is None or (found.text and kb.faq_entry(found.topic))


@pytest.mark.parametrize(
    "text, topic, expected",
    [
        ("Could we still submit on November 30, 2021?", "deadline", "来不及"),
        ("Can we submit on 20 November?", "deadline", "在截止时间之前"),
        ("园区、企业、高校、科研院所，这几类是不是都能报", "eligibility", "是的"),
    ],
)
def test_checks_of_dates_in_english_and_of_every_type(kb, text, topic, expected):
    found = understood(kb, text, entities(kb, text), None, {}, DAY)
    assert found is not None and found.topic == topic and expected in found.text


@pytest.mark.parametrize(
    "text, last_topic, last, expected",
    [
        ("那这个方向主要支持哪些人群", "directions", {"applicant_type": ["university"]}, "大学生"),
        ("错了，我要问的是韶山那边，湘潭市", "quota", {"city": ["邵阳市"]}, "湘潭市推荐不超过3个"),
        ("名额是两个的市州一共有几个市州", None, {}, "有11个"),
    ],
)
def test_what_the_previous_answer_was_about(kb, text, last_topic, last, expected):
    found = understood(kb, text, entities(kb, text), last_topic, last, DAY)
    assert found is not None and expected in found.text


@pytest.mark.parametrize(
    "text, last_topic, expected",
    [
        ("在几楼", "submission_address", "二楼12号窗口"),
        ("Which floor?", "submission_address", "二楼12号窗口"),
        ("在几楼", "deadline", None),
        ("在几楼呢，我们第一次去那边不熟悉路怎么走", "submission_address", None),
    ],
)
def test_a_detail_of_the_previous_answer(kb, text, last_topic, expected):
    found = attribute_follow_up(kb, text, last_topic, DAY)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found.text and found.topic == last_topic


@pytest.mark.parametrize(
    "text, last_topic, start",
    [
        ("这个日子是我们企业交的时间吗", "deadline", "不是。"),
        ("11月28号前是我们企业交，还是市里报到省里的时间", None, "是市里报到省里的时间"),
        ("只要市里推荐了，省里就一定认定吗", None, "不一定。"),
        ("结果是省发改委评审以后定的吗", None, "是的。"),
        ("截止时间我们企业还能交吗", "deadline", None),
        ("省里评审要现场考察吗", None, None),
    ],
)
def test_premises_about_the_deadline_and_the_selection(kb, text, last_topic, start):
    found = understood(kb, text, entities(kb, text), last_topic, {}, DAY)
    if start is None:
        assert found is None or not found.text.startswith(("不是。", "是的。"))
    else:
        assert found is not None and found.text.startswith(start)


@pytest.mark.parametrize(
    "text, first_lines",
    [
        ("Is the deadline November 28?", ["Yes."]),
        (
            "How many can Changsha, Zhuzhou and Xiangtan recommend in total?",
            ["Together: at most 10."],
        ),
        (
            "Could we still submit on November 30, 2021?",
            ["Too late: the deadline was 28 November 2021."],
        ),
        ("Is every city's quota the same?", ["No."]),
        (
            "Do we have to fill all of Zhuzhou's places?",
            ["No: the quota is a ceiling, not a target."],
        ),
        ("Is 0731-89990919 the hotline for applications?", ["No."]),
    ],
)
def test_english_verdicts_come_first(kb, text, first_lines):
    found = understood(kb, text, entities(kb, text), None, {}, DAY)
    assert found is not None
    lines = found.text.split("\n")
    assert lines[0] == kb.english.lead and all(line in lines[1:3] for line in first_lines)
