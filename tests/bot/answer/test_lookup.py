"""Reverse look-ups of the notice's values (bot/answer/lookup.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.lookup import is_claim, lookup_question, values_in


@pytest.mark.parametrize(
    "text, facts",
    [
        ("0731-89991015是谁的电话", ["phone"]),
        ("89990919这个号码是干嘛的", ["website_phone"]),
        ("hnfgwhzc@126.com这个邮箱是干什么用的", ["email"]),
        ("410004是什么", ["postcode"]),
        ("12号窗口在几楼", ["submission_address"]),
        ("综合楼在谁的院子里", ["submission_address"]),
        ("湘府西路8号是哪里", ["office_address"]),
        ("发展改革综合服务窗口是干什么的", ["submission_window"]),
        ("11月28日是什么日子", ["deadline_date"]),
        ("2021年11月8日是什么时间", ["published"]),
        ("陈求生是谁", ["contact_people"]),
        ("What is 0731-89990919 for?", ["website_phone"]),
        ("0731-89991015和89990919分别是什么", ["phone", "website_phone"]),
    ],
)
def test_a_value_asked_about(kb, text, facts):
    question = lookup_question(kb, text)
    assert question is not None and [x.fact for x in question.lookups] == facts


@pytest.mark.parametrize(
    "text",
    [
        "11月28号交来得及吗",  # a date to hand in: the deadline check, not a look-up
        "11月28号之前要交什么材料",
        "长沙市天心区银杏路6号怎么走，我们开车去有停车位吗，大概要多久能到那边呢",
        "申报截止时间是什么时候？",
        "电子版发到哪个邮箱",
    ],
)
def test_a_value_in_passing_is_no_look_up(kb, text):
    assert lookup_question(kb, text) is None


@pytest.mark.parametrize(
    "text, claim",
    [
        ("咨询电话是0731-89990919吗", True),
        ("电子版是发hnfgwhzc@126.com吗", True),
        ("截止时间是11月28号吗", True),
        ("0731-89991015是谁的电话", False),
    ],
)
def test_claims(kb, text, claim):
    question = lookup_question(kb, text)
    assert question is not None and question.claim is claim


@pytest.mark.parametrize(
    "rest, english, claim",
    [("咨询电话是吗", False, True), ("交来得及吗", False, False), ("is it the phone", True, True)],
)
def test_is_claim(rest, english, claim):
    assert is_claim(rest, english) is claim


@pytest.mark.parametrize(
    "text, count", [("打0731-89991015还是073189991015", 2), ("2021-11-28截止", 1), ("Nov 28", 1)]
)
def test_values_are_found_however_written(kb, text, count):
    assert len(values_in(kb, text.lower())) == count


@given(st.text(max_size=60))
def test_any_text_is_read_without_failing(kb, text):
    question = lookup_question(kb, text)
    assert question is None or 1 <= len(question.lookups) <= 3


@pytest.mark.parametrize(
    "text, fact",
    [
        ("这个网站的主办单位是谁", "website_sponsor"),
        ("网站的备案号是多少", "website_icp"),
        ("湘ICP备16020788号-2是什么", "website_icp"),
        ("4300000011这串数字是什么", "website_code"),
        ("43010302000885号是什么号", "website_police_record"),
        ("湖南省人民政府发展研究中心在这个网站上是什么角色", "website_tech_support"),
    ],
)
def test_the_footer_asked_about(kb, text, fact):
    question = lookup_question(kb, text)
    assert question is not None and [x.fact for x in question.lookups] == [fact]


def test_a_name_known_by_its_label_only_is_no_value(kb):
    assert lookup_question(kb, "湖南省发展和改革委员会的地址在哪") is None


@pytest.mark.parametrize(
    "text, fact",
    [
        ("网站技术支持是哪个单位", "website_tech_support"),
        ("官网页脚写的技术支持是谁", "website_tech_support"),
    ],
)
def test_a_label_with_the_word_it_needs(kb, text, fact):
    question = lookup_question(kb, text)
    assert question is not None and [x.fact for x in question.lookups] == [fact]


@pytest.mark.parametrize(
    "text",
    [
        "省里对示范基地有哪些技术支持",  # labels_need: not the website's technical support
        "网站技术支持电话是多少",  # another kind of fact of the same owner: its phone
        "主办单位的地址是什么",
        "网站主办单位的邮箱是哪个",
    ],
)
def test_a_label_for_something_else_is_no_look_up(kb, text):
    assert lookup_question(kb, text) is None
