"""Answers rendered from knowledge: the facts, the clause, the deadline status."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.decision import choose_topic, suggested_questions
from bot.kb.answers import answer_faq
from bot.kb.facts import FactValue, deadline_status, render

AFTER = dt.date(2026, 11, 26)


def test_every_faq_renders_without_placeholders_or_website_phone(kb):
    for entry in kb.faq:
        text = answer_faq(kb, entry.id, {}, AFTER).text
        assert "{" not in text, (entry.id, text)
        assert (
            entry.footer or "89990919" not in text
        )  # the website's phone answers website questions only
        assert f"》{entry.clause}）" in text  # traceable to its clause


@pytest.mark.parametrize(
    "city, quota",
    [
        ("长沙市", "4"),
        ("株洲市", "3"),
        ("湘潭市", "3"),
        ("衡阳市", "2"),
        ("湘西土家族苗族自治州", "2"),
    ],
)
def test_quota_for_the_city_asked(kb, city, quota):
    text = answer_faq(kb, "quota", {"city": [city]}, AFTER).text
    assert f"{city}推荐不超过{quota}个" in text


def test_quota_for_two_cities(kb):
    text = answer_faq(kb, "quota", {"city": ["长沙市", "株洲市"]}, AFTER).text
    assert "长沙市推荐不超过4个" in text and "株洲市推荐不超过3个" in text


@pytest.mark.parametrize(
    "kind, direction",
    [("enterprise", "融通创新"), ("university", "创业就业"), ("institute", "精益创业")],
)
def test_direction_for_the_type_asked(kb, kind, direction):
    text = answer_faq(kb, "directions", {"applicant_type": [kind]}, AFTER).text
    assert f"原则上聚焦{direction}方向" in text


def test_region_chooses_one_of_four(kb):
    text = answer_faq(kb, "directions", {"applicant_type": ["region"]}, AFTER).text
    assert "选择一个方向" in text
    for name in ("创业就业", "融通创新", "精益创业", "全球化创业"):
        assert name in text


@pytest.mark.parametrize(
    "today, expected",
    [
        (dt.date(2021, 11, 20), "距截止还有8天"),
        (dt.date(2021, 11, 27), "距截止还有1天"),
        (dt.date(2021, 11, 28), "今天（2021年11月28日）是截止日"),
        (dt.date(2021, 11, 29), "2021年度申报已截止"),
        (dt.date(2026, 11, 26), "2021年度申报已截止"),
    ],
)
def test_deadline_status_follows_the_date(kb, today, expected):
    status = deadline_status(kb, today)
    assert expected in status
    if today > kb.notice.deadline.date:
        assert "0731-89991015" in status


def test_deadline_answer_gives_the_date(kb):
    text = answer_faq(kb, "deadline", {}, AFTER).text
    assert "2021年11月28日前" in text and "已截止" in text


def test_render_resolves_nested_facts_and_leaves_unknown_names():
    facts = {"a": FactValue("甲{b}", "一"), "b": FactValue("乙", "二")}
    assert render("{a}/{c}", facts) == "甲乙/{c}"


@pytest.mark.parametrize(
    "intent, last_topic, entities, expected",
    [
        ("deadline", None, {}, "deadline"),
        ("inform", "quota", {"city": ["株洲市"]}, "quota"),
        ("inform", None, {"city": ["株洲市"]}, "quota"),
        ("inform", None, {"applicant_type": ["university"]}, "directions"),
        ("inform", "directions", {"applicant_type": ["university"]}, "directions"),
        ("inform", None, {}, None),
    ],
)
def test_follow_up_topic(kb, intent, last_topic, entities, expected):
    assert choose_topic(intent, last_topic, entities, {e.id for e in kb.faq}) == expected


def parse(*ranking, text="评审流程是怎样的，截止几份找谁"):
    return {
        "text": text,
        "intent": {"name": "nlu_fallback"},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}]
        + [{"name": name, "confidence": confidence} for name, confidence in ranking],
    }


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            parse(("selection", 0.4), ("procedure", 0.3), ("greet", 0.2), ("quota", 0.1)),
            ["怎么确定示范基地名单？", "申报流程是怎样的？"],
        ),
        (parse(("out_of_scope", 0.45), ("deadline", 0.3)), []),
        (parse(("greet", 0.4), ("thanks", 0.3)), []),
        (
            parse(("deadline", 0.3), ("copies", 0.2), ("contact", 0.2), ("quota", 0.2)),
            ["申报截止时间是什么时候？", "纸质材料要交几份？", "咨询电话和联系人是谁？"],
        ),
        ({}, []),
        # a topic the question shares no specific word with is no choice
        (
            parse(("attachments", 0.4), ("submission_address", 0.3), text="窗口在几楼"),
            ["申报材料交到哪里？"],
        ),
        (parse(("attachments", 0.4), ("quota", 0.3), text="窗口周几开门"), []),
    ],
)
def test_fallback_offers_likely_topics_without_choosing(kb, message, expected):

    assert suggested_questions(kb, message) == expected
