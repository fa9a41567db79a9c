"""The assistant in-process (bot/ops/in_process.py): split as channels split, context per sender."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List

from bot.ops.in_process import NOT_PLAYED, InProcessAssistant

DAY = dt.date(2026, 11, 26)
INTENTS = {
    "名额": "quota",
    "截止": "deadline",
    "窗口": "submission_address",
    "株洲": "inform",
    "自测": "selfcheck",
}


def parse_by_keyword(questions: List[str]) -> List[Dict]:
    """Stands in for the trained model: the intent of the first keyword in the question."""
    parsed = []
    for question in questions:
        intent = next((i for k, i in INTENTS.items() if k in question), "out_of_scope")
        entities = [{"entity": "city", "value": "株洲市"}] if "株洲" in question else []
        top = {"name": intent, "confidence": 0.99}
        parsed.append(
            {"text": question, "intent": top, "intent_ranking": [top], "entities": entities}
        )
    return parsed


def assistant(kb) -> InProcessAssistant:
    return InProcessAssistant(lambda: kb, parse_by_keyword, lambda: DAY)


def test_two_questions_are_two_answers_in_order(kb):
    replies = assistant(kb).say("a", "截止日期是哪天？材料交到哪个窗口")
    assert len(replies) == 2
    assert "11月28日" in replies[0] and "银杏路6号" in replies[1]


def test_a_follow_up_continues_the_senders_own_topic(kb):
    bot = assistant(kb)
    bot.say("a", "长沙名额有几个")
    bot.say("b", "截止日期是哪天")
    assert "株洲市推荐不超过3个" in bot.say("a", "那株洲呢")[0]
    assert "11月28日" in bot.say("b", "那株洲呢")[0]


def test_personal_data_is_masked_before_the_model_sees_it(kb):
    seen: List[str] = []

    def parse(questions):
        seen.extend(questions)
        return parse_by_keyword(questions)

    InProcessAssistant(lambda: kb, parse, lambda: DAY).say("a", "我手机13912345678，截止是哪天")
    assert seen and all("13912345678" not in q for q in seen)


def test_the_self_check_starts_with_its_first_question_and_later_steps_say_so(kb):
    bot = assistant(kb)
    first = bot.say("a", "我想自测")[0]
    assert all(t.name in first for t in kb.applicant_types)
    assert NOT_PLAYED.split("：")[1][:6] not in first
