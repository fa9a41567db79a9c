"""Totals and yes/no answers computed from cities.yml and the deadline (bot/answer/derived.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.derived import deadline_check, quota_check, quota_total
from bot.answer.normalize import normalize


@pytest.mark.parametrize(
    "question, cities, total",
    [
        ("长株潭三个市加起来最多推荐几个", [], 10),
        ("长株潭能推荐几个", [], 10),
        ("长沙和株洲一共能推荐多少个", ["长沙市", "株洲市"], 7),
        ("全省最多能推荐多少个", [], 32),
        ("14个市州合计能推荐几个", [], 32),
        ("所有市州总共推荐多少", [], 32),
        ("长株潭以外的市州加起来能推荐多少个", [], 22),
        ("其他市州一共能推荐多少", [], 22),
        ("长沙和湘潭加一块能推几个", ["长沙市", "湘潭市"], 7),
        ("株洲湘潭算在一起能推荐多少", ["株洲市", "湘潭市"], 6),
        # every 市州 but those left out
        ("全省14个市州里，除了长沙，其余13个市州加起来最多能推荐几个", ["长沙市"], 28),
        ("不算株洲和湘潭，全省一共能推荐多少个", ["株洲市", "湘潭市"], 26),
        ("除了长株潭，其他市州加起来推几个", [], 22),
    ],
)
def test_totals(kb, question, cities, total):
    result = quota_total(kb, normalize(question), cities)
    assert result is not None and result.total == total


@pytest.mark.parametrize(
    "question, cities",
    [
        ("长沙能推荐几个", ["长沙市"]),
        ("长沙和株洲分别能推荐几个", ["长沙市", "株洲市"]),
        ("名额是多少", []),
        ("除了长株潭其他市州推荐几个", []),  # each of the others, not 长株潭's total
    ],
)
def test_no_total_when_none_is_asked(kb, question, cities):
    assert quota_total(kb, normalize(question), cities) is None


@pytest.mark.parametrize(
    "question, city, allowed",
    [
        ("衡阳能推荐3个吗", "衡阳市", False),
        ("衡阳推荐两个可以吗", "衡阳市", True),
        ("长沙推4家行不行", "长沙市", True),
        ("长沙能不能推五个", "长沙市", False),
        ("株洲能报3个吗", "株洲市", True),
    ],
)
def test_quota_yes_no(kb, question, city, allowed):
    result = quota_check(kb, normalize(question), [city])
    assert result is not None and result.allowed is allowed


@pytest.mark.parametrize("question", ["衡阳能推荐几个", "衡阳能推荐3个", "推荐3个可以吗"])
def test_no_yes_no_without_one_city_a_number_and_a_question(kb, question):
    assert quota_check(kb, normalize(question), ["衡阳市"] if "衡阳" in question else []) is None


@pytest.mark.parametrize(
    "question, asked, in_time",
    [
        ("11月30号交还来得及吗", dt.date(2021, 11, 30), False),
        ("11月25日交可以吗", dt.date(2021, 11, 25), True),
        ("11月28号当天交行不行", dt.date(2021, 11, 28), True),
        ("30号送过去来得及吗", dt.date(2021, 11, 30), False),
        ("12月交还赶得上吗", dt.date(2021, 12, 1), False),
        ("10月底交可以吗", dt.date(2021, 10, 1), True),
        ("2021年12月1日提交还行吗", dt.date(2021, 12, 1), False),
    ],
)
def test_deadline_yes_no(kb, question, asked, in_time):
    result = deadline_check(kb, normalize(question))
    assert result is not None and result.asked == asked and result.in_time is in_time


@pytest.mark.parametrize(
    "question", ["截止时间是哪天", "11月交吗", "2月30号交可以吗", "11月30号截止"]
)
def test_no_deadline_check_without_a_usable_date_and_question(kb, question):
    assert deadline_check(kb, normalize(question)) is None
