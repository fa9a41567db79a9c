"""Held-out paraphrases through the decision (bot/ops/heldout.py): reading and judging."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List

import pytest

from bot.ops import heldout
from bot.ops.heldout import HONEST, RIGHT, WRONG, Gold, Reply
from bot.ops.in_process import InProcessAssistant

DEADLINE = Gold("deadline", "申报截止时间是什么时候？", "四、2")
DIRECTIONS = Gold("directions", "各类主体聚焦什么方向？", "二")


@pytest.mark.parametrize(
    "gold, replies, outcome",
    [
        (DEADLINE, [Reply("deadline", "faq", "四、2")], RIGHT),
        (DEADLINE, [Reply("greet", "dialogue"), Reply("deadline", "faq")], RIGHT),
        (DEADLINE, [Reply("notice_clause", "clause", "四、2")], RIGHT),
        (DIRECTIONS, [Reply("notice_clause", "clause", "二（三）")], RIGHT),
        (DEADLINE, [Reply("notice_clause", "clause", "二（一）")], WRONG),
        (DEADLINE, [Reply("quota", "faq", "三")], WRONG),
        (DEADLINE, [Reply("not_in_notice", "silent")], HONEST),
        (DEADLINE, [Reply("nlu_fallback", "fallback")], HONEST),
        (
            DEADLINE,
            [Reply("nlu_fallback", "fallback", choices=("申报截止时间是什么时候？",))],
            HONEST,
        ),
        (DEADLINE, [Reply("nlu_fallback", "fallback", choices=("纸质材料要交几份？",))], WRONG),
        (DEADLINE, [Reply("deadline", "fallback")], HONEST),  # fell back: not an answer
        (DEADLINE, [Reply("bot_identity", "dialogue")], WRONG),
        (DEADLINE, [], WRONG),
        (Gold("selfcheck"), [Reply("selfcheck", "dialogue")], RIGHT),
        (Gold("greet"), [Reply("greet", "dialogue")], RIGHT),
        (Gold("greet"), [Reply("nlu_fallback", "fallback")], HONEST),
        (Gold("inform"), [Reply("quota", "faq", "三")], RIGHT),
        (Gold("human_handoff"), [Reply("contact", "faq")], RIGHT),
        (Gold("out_of_scope"), [Reply("out_of_scope", "fallback")], RIGHT),
        (Gold("out_of_scope"), [Reply("not_in_notice", "silent")], RIGHT),
        (Gold("out_of_scope"), [Reply("notice_clause", "clause", "二（三）")], WRONG),
    ],
)
def test_judge(gold, replies, outcome):
    assert heldout.judge(gold, replies)[0] == outcome


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"nlu": [{"intent": "deadline", "examples": "- 几号截止\n- 最晚哪天\n"}]}, True),
        ([{"id": "a", "turns": []}], False),
        ({"version": "3.1"}, False),
    ],
)
def test_an_nlu_file_is_told_from_a_cases_file(data, expected):
    assert heldout.is_nlu_file(data) is expected


def test_paraphrases_are_read_in_order_with_their_gold():
    data = {
        "nlu": [
            {"intent": "deadline", "examples": "- 几号截止\n-  最晚哪天 \n"},
            {"intent": "quota", "examples": "- 长沙几个\n"},
        ]
    }
    assert heldout.paraphrases(data) == [
        ("deadline", "几号截止"),
        ("deadline", "最晚哪天"),
        ("quota", "长沙几个"),
    ]


def test_the_gold_of_an_faq_topic_carries_its_question_and_clause(kb):
    gold = heldout.gold_of(kb, "deadline")
    assert gold.question == kb.faq_entry("deadline").question
    assert gold.clause == kb.faq_entry("deadline").clause
    assert heldout.gold_of(kb, "greet") == Gold("greet")


def parse_by_keyword(questions: List[str]) -> List[Dict]:
    parsed = []
    for question in questions:
        intent = "deadline" if "截止" in question else "nlu_fallback"
        top = {"name": intent, "confidence": 0.99}
        parsed.append({"text": question, "intent": top, "intent_ranking": [top], "entities": []})
    return parsed


def test_a_paraphrase_is_judged_on_what_the_decision_answered(kb):
    bot = InProcessAssistant(lambda: kb, parse_by_keyword, lambda: dt.date(2026, 12, 6))
    answers = bot.answers("a", "截止日期是哪天")
    replies = [heldout.reply_of(a.intent, a.decision) for a in answers]
    assert heldout.judge(heldout.gold_of(kb, "deadline"), replies)[0] == RIGHT
    assert heldout.judge(heldout.gold_of(kb, "quota"), replies)[0] == WRONG


def test_the_report_lists_wrong_and_honest_paraphrases():
    rows = [
        ("deadline", "几号截止", RIGHT, "deadline"),
        ("quota", "长沙几个", WRONG, "faq deadline"),
        ("copies", "几份", HONEST, "fallback"),
    ]
    report = heldout.format_report("h.yml", rows)
    assert "right 1  honest 1  wrong 1" in report
    assert "[quota] 长沙几个  → faq deadline" in report and "[copies] 几份" in report
