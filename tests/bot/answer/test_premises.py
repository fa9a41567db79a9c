"""Quota comparisons, ceilings and claims: yes or no first (bot/answer/premises.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.normalize import normalize
from bot.answer.premises import (
    JOINED,
    ceiling,
    claimed_quota,
    compare_quotas,
    copies_claim,
    english_check,
    grouped_quotas,
    why_more,
)
from bot.answer.replies import render_message

DAY = dt.date(2026, 12, 6)


def own(kb):
    return lambda name, **values: render_message(kb, name, DAY, **values)


def cities(kb, *names):
    return [kb.city(n) for n in names]


def test_the_quotas_grouped_by_size(kb):
    assert grouped_quotas(kb, own(kb)) == (
        "长沙市不超过4个，株洲市、湘潭市各不超过3个，其他市州各不超过2个"
    )


@pytest.mark.parametrize(
    "question, named, message, value",
    [
        ("所有市州名额都一样吗", [], "quota_not_all_same", ("grouped", "长沙市不超过4个")),
        ("每个市州都是2个名额吗", [], "quota_not_all_same", ("grouped", "其他市州")),
        ("株洲和湘潭名额一样吗", ["株洲市", "湘潭市"], "quota_same_yes", ("quota", "3")),
        (
            "岳阳和长沙的名额一样多吗",
            ["岳阳市", "长沙市"],
            "quota_same_no",
            ("breakdown", "长沙市不超过4个"),
        ),
        ("长沙比衡阳多几个名额", ["长沙市", "衡阳市"], "quota_difference", ("difference", "2")),
        ("株洲比湘潭多几个", ["株洲市", "湘潭市"], "quota_same_yes", ("quota", "3")),
        ("哪个市州名额最多", [], JOINED, ("text", "名额最多的是长沙市")),
        ("名额最少的市州能推几个", [], JOINED, ("text", "不超过2个")),
        ("一个市州最多能推几个，最少的又是几个", [], JOINED, ("text", "不超过4个")),
        ("湘潭和株洲谁的名额多", ["湘潭市", "株洲市"], "quota_same_yes", ("quota", "3")),
        ("名额是两个的市州一共有几个市州", [], "quota_with_value", ("count", "11")),
        ("哪些市州能推3个", [], "quota_with_value", ("cities", "株洲市、湘潭市")),
        ("哪个市州能推5个", [], "quota_with_value_none", ("quota", "5")),
        ("Which city has the most places?", [], JOINED, ("text", "长沙市")),
        ("Is every city's quota the same?", [], "quota_not_all_same", ("grouped", "长沙市")),
    ],
)
def test_comparisons(kb, question, named, message, value):
    derived = compare_quotas(kb, normalize(question), cities(kb, *named), own(kb))
    assert derived is not None and derived.message == message
    assert value[1] in derived.values[value[0]]


@pytest.mark.parametrize(
    "question, named",
    [
        ("长沙最多推荐几个", ["长沙市"]),
        ("一个市最多推荐几个", []),
        ("所有市州都是按属地原则推荐吗", []),
    ],
)
def test_no_comparison_where_none_is_asked(kb, question, named):
    assert compare_quotas(kb, normalize(question), cities(kb, *named), own(kb)) is None


@pytest.mark.parametrize(
    "question, city, limit",
    [
        ("一定要推满吗", "株洲市", "株洲市不超过3个"),
        ("湘潭必须报满三个吗", "湘潭市", "湘潭市不超过3个"),
        ("推荐名额是必须完成的任务吗", None, "长沙市不超过4个"),
    ],
)
def test_a_quota_is_a_ceiling(kb, question, city, limit):
    derived = ceiling(kb, normalize(question), kb.city(city) if city else None, own(kb))
    assert derived is not None and derived.message == "quota_ceiling"
    assert limit in derived.values["limit"]


@pytest.mark.parametrize(
    "question, city, message",
    [
        ("长沙有4个名额对吗", "长沙市", "quota_claim_yes"),
        ("株洲有4个名额吧", "株洲市", "quota_claim_no"),
        ("衡阳名额是两个吗", "衡阳市", "quota_claim_yes"),
    ],
)
def test_a_claimed_quota_is_confirmed_or_corrected(kb, question, city, message):
    derived = claimed_quota(normalize(question), kb.city(city))
    assert derived is not None and derived.message == message


@pytest.mark.parametrize(
    "question, city, message",
    [
        ("Can Hengyang recommend 3?", "衡阳市", "quota_check_no"),
        ("Can Changsha recommend 4 bases?", "长沙市", "quota_check_yes"),
    ],
)
def test_english_yes_no_about_a_quota(kb, question, city, message):
    derived = english_check(normalize(question), kb.city(city))
    assert derived is not None and derived.message == message


@pytest.mark.parametrize(
    "question, on_quota, asked",
    [
        ("为什么比别的市多", True, True),
        ("为什么比别的市多", False, False),
        ("长沙几个", True, False),
    ],
)
def test_why_some_have_more(question, on_quota, asked):
    assert (why_more(question, on_quota) is not None) is asked


@pytest.mark.parametrize(
    "question, message",
    [
        ("纸质材料交一份就行吗", "copies_claim_no"),
        ("纸质版是一式两份对吧", "copies_claim_yes"),
        ("要交三份吗", "copies_claim_no"),
    ],
)
def test_the_copies_put_forward(kb, question, message):
    derived = copies_claim(kb, normalize(question))
    assert derived is not None and derived.message == message


@pytest.mark.parametrize(
    "question",
    ["纸质材料要交几份？", "份数是多少", "评分细则能发一份吗", "是要编一份建设实施方案吧"],
)
def test_no_copies_claim_without_a_figure(kb, question):
    assert copies_claim(kb, normalize(question)) is None


@pytest.mark.parametrize(
    "question, city, message, difference",
    [
        ("长沙比其他市州多几个", "长沙市", "quota_more_than_others", "2"),
        ("株洲比别的市多几个名额", "株洲市", "quota_more_than_others", "1"),
    ],
)
def test_one_against_the_others(kb, question, city, message, difference):
    derived = compare_quotas(kb, normalize(question), [kb.city(city)], own(kb))
    assert derived is not None and derived.message == message
    assert derived.values["difference"] == difference
