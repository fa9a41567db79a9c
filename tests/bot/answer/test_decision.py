"""The one decision (bot/answer/decision.py): parsed message + context → reply, per branch."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from bot.answer.decision import (
    ACTION_OF_INTENT,
    CLAUSE,
    DIALOGUE,
    DIALOGUE_INTENTS,
    FALLBACK,
    FAQ,
    REFUSED,
    SILENT,
    Context,
    action_for,
    decide,
    off_the_footer,
)
from bot.answer.replies import blocked_words
from bot.names import (
    ACTION_ANSWER,
    ACTION_FALLBACK_ANSWER,
    FEEDBACK,
    LAST_ENTITIES,
    LAST_TOPIC,
    NLU_FALLBACK,
    SELFCHECK_FORM,
)
from tests.conftest import PROJECT_DIR

DAY = dt.date(2026, 11, 26)


def parsed(text, intent, confidence=0.99, entities=(), ranking=None):
    top = {"name": intent, "confidence": confidence}
    return {
        "text": text,
        "intent": top,
        "intent_ranking": ranking or [top],
        "entities": [{"entity": k, "value": v} for k, v in entities],
    }


def rule_table():
    """intent → action of every rule without a condition that starts with an intent."""
    table = {}
    for name in ("rules.yml", "selfcheck.yml"):
        data = yaml.safe_load((PROJECT_DIR / "nlu" / "data" / name).read_text("utf-8"))
        for rule in data.get("rules") or []:
            steps = rule.get("steps") or []
            if rule.get("condition") or len(steps) < 2 or "intent" not in steps[0]:
                continue
            table[steps[0]["intent"]] = steps[1].get("action")
    return table


def test_the_seam_picks_the_action_the_rules_pick(kb):
    faq_ids = [e.id for e in kb.faq]
    for intent, action in rule_table().items():
        if action == SELFCHECK_FORM or intent in DIALOGUE_INTENTS:
            assert action_for(intent, faq_ids) is None, intent
        else:
            assert action_for(intent, faq_ids) == action, intent
    assert set(ACTION_OF_INTENT) <= set(rule_table())
    assert action_for(faq_ids[0], faq_ids) == ACTION_ANSWER
    assert action_for("affirm", faq_ids) == ACTION_FALLBACK_ANSWER  # no rule: the core fallback
    assert action_for(FEEDBACK, faq_ids) is None


@pytest.mark.parametrize(
    "message, mechanism, topic, must",
    [
        (parsed("申报截止时间是什么时候", "deadline"), FAQ, "deadline", "11月28日"),
        (parsed("长沙能报几个", "quota", entities=[("city", "长沙市")]), FAQ, "quota", "4"),
        (parsed("你好", "greet"), DIALOGUE, "greet", "自测"),
        (parsed("会不会下雨", "out_of_scope"), FALLBACK, "out_of_scope", "0731-89991015"),
        (
            parsed("获批有奖金吗", "not_in_notice", entities=[("unknown_term", "奖金")]),
            SILENT,
            "not_in_notice",
            "通知中没有",
        ),
    ],
)
def test_each_branch(kb, message, mechanism, topic, must):
    decision = decide(kb, message, Context(), DAY)
    assert (decision.mechanism, decision.topic) == (mechanism, topic)
    assert must in decision.text


def test_a_clause_the_router_found_is_quoted_with_its_number(kb):
    quote = kb.clause("二（三）").text[:30]
    entities = [("notice_clause", "二（三）"), ("notice_quote", quote)]
    decision = decide(kb, parsed("什么是专精特新", NLU_FALLBACK, entities=entities), Context(), DAY)
    assert (decision.mechanism, decision.topic, decision.clause) == (
        CLAUSE,
        "notice_clause",
        "二（三）",
    )
    assert quote in decision.text
    assert decision.slots == {LAST_TOPIC: "notice_clause", LAST_ENTITIES: {}}


def test_an_answer_sets_the_topic_and_offers_feedback_once(kb):
    first = decide(kb, parsed("长沙几个", "quota", entities=[("city", "长沙市")]), Context(), DAY)
    assert first.slots == {LAST_TOPIC: "quota", LAST_ENTITIES: {"city": ["长沙市"]}}
    assert first.clause
    assert len(first.buttons) == 2 and all("/feedback" in b["payload"] for b in first.buttons)
    follow = decide(
        kb,
        parsed("那株洲呢", "inform", entities=[("city", "株洲市")]),
        Context(last_topic="quota"),
        DAY,
    )
    assert follow.topic == "quota" and "株洲市" in follow.text
    assert follow.buttons == ()  # the same topic again: no second question about helpfulness


def test_no_feedback_buttons_inside_the_self_check(kb):
    decision = decide(kb, parsed("截止日期", "deadline"), Context(in_form=True), DAY)
    assert decision.mechanism == FAQ and decision.buttons == ()


def test_a_blocked_word_gets_the_fixed_refusal_and_nothing_repeated(kb):
    word = blocked_words(kb)[0]
    message = parsed(f"{word}截止时间", NLU_FALLBACK, entities=[("blocked", "1")])
    decision = decide(kb, message, Context(), DAY)
    assert decision.mechanism == REFUSED and word not in decision.text


def test_unsure_model_offers_the_topics_it_considered(kb):
    ranking = [
        {"name": NLU_FALLBACK, "confidence": 0.6},
        {"name": "deadline", "confidence": 0.4},
        {"name": "submission_address", "confidence": 0.3},
    ]
    message = parsed("那个什么时候交，交到哪里", NLU_FALLBACK, 0.6, ranking=ranking)
    decision = decide(kb, message, Context(), DAY)
    assert decision.mechanism == FALLBACK and len(decision.choices) == 2
    assert [b["title"] for b in decision.buttons] == list(decision.choices)
    assert decision.slots == {}
    # the choices are in the text too (REST shows no buttons)
    assert all(f"{n}. {q}" in decision.text for n, q in enumerate(decision.choices, 1))


def test_unsure_model_offers_no_topic_the_question_does_not_fit(kb):
    ranking = [
        {"name": NLU_FALLBACK, "confidence": 0.6},
        {"name": "attachments", "confidence": 0.4},
        {"name": "quota", "confidence": 0.3},
    ]
    message = parsed("窗口周几开门", NLU_FALLBACK, 0.6, ranking=ranking)
    decision = decide(kb, message, Context(), DAY)
    assert decision.mechanism == FALLBACK and decision.choices == () and decision.buttons == ()


def test_dialogue_steps_are_left_to_the_dialogue(kb):
    assert decide(kb, parsed("帮我自测", "selfcheck"), Context(), DAY) is None


def test_the_action_rasa_chose_wins_over_the_intent(kb):
    # a rule's fallback may run the honest fallback for an intent with an answer of its own
    message = parsed("截止", "deadline", confidence=0.2)
    decision = decide(kb, message, Context(), DAY, action=ACTION_FALLBACK_ANSWER)
    assert decision.mechanism == FALLBACK


@pytest.mark.parametrize("part, short", [(0, False), (1, False), (2, True), (3, True)])
def test_later_answers_of_several_questions_name_their_clause_briefly(kb, part, short):
    decision = decide(kb, parsed("纸质材料要交几份", "copies"), Context(question_part=part), DAY)
    title = kb.notice.notice.title
    assert decision.clause and (title not in decision.text) == short
    assert decision.clause in decision.text.splitlines()[-1]  # the source is always named


@pytest.mark.parametrize(
    "intent, last_topic, question, topic",
    [
        # after the website's own phone, a follow-up about the application: its contacts
        ("inform", "website_support", "那申报上的问题呢,打哪个", "contact"),
        ("inform", "website_support", "那附件呢", "inform"),  # still about the web page
        ("inform", "quota", "那申报上的问题呢", "inform"),  # no footer answer before
        ("deadline", "website_support", "申报截止时间", "deadline"),  # not a follow-up
    ],
)
def test_a_follow_up_about_the_application_leaves_the_footer(
    kb, intent, last_topic, question, topic
):
    assert off_the_footer(kb, intent, last_topic, question) == topic
