"""Which answers offer 有帮助 / 没帮助 (actions/answers.py), and the thanks for the feedback — on
real rasa_sdk Trackers and the project's knowledge/."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer, ActionFallbackAnswer, ActionFeedback
from actions.knowledge import knowledge, today
from bot import feedback as fb
from bot.answer.replies import render_message

DEADLINE = "申报截止时间是什么时候？"


def tracker(
    text: str,
    intent: str,
    *,
    last_topic: Optional[str] = None,
    loop: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    message_id: Optional[str] = "rasa-1",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": entities or [],
        "message_id": message_id,
        "metadata": metadata or {},
    }
    return Tracker(
        "sender",
        {"last_topic": last_topic},
        latest,
        [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {"name": loop} if loop else {},
        "action_listen",
    )


def run(action, current: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, current, {})
    return dispatcher.messages


def words() -> Dict[str, str]:
    kb = knowledge()
    return {value: kb.message(fb.WORD_MESSAGES[value]) for value in fb.VALUES}


@pytest.mark.parametrize(
    "situation, offered, answer_id",
    [
        (dict(metadata={"channel_message_id": "wx-9"}), True, "wx-9"),  # the channel's id
        (dict(), True, "rasa-1"),  # else Rasa's message id (what the question log keeps)
        (dict(message_id=None), True, None),  # no id at all: the latest answer is meant
        (dict(last_topic="submission_address"), True, "rasa-1"),  # another topic before
        (dict(last_topic="deadline"), False, None),  # same topic again: no second ask
        (dict(loop="selfcheck_form"), False, None),  # mid self-check: its question follows
    ],
    ids=["channel-id", "rasa-id", "no-id", "new-topic", "same-topic", "selfcheck"],
)
def test_faq_answer_offers_feedback_unless_it_would_be_noise(situation, offered, answer_id):
    (message,) = run(ActionAnswer(), tracker(DEADLINE, "deadline", **situation))
    assert message["text"]
    if offered:
        assert message["buttons"] == fb.buttons(words(), answer_id)
        assert [b["title"] for b in message["buttons"]] == ["有帮助", "没帮助"]
    else:
        assert message["buttons"] == []


def test_a_quoted_notice_clause_offers_feedback_but_a_fallback_does_not():
    clause = knowledge().clauses[2]
    quote = clause.text[:12]
    entities = [
        {"entity": "notice_clause", "value": clause.clause},
        {"entity": "notice_quote", "value": quote},
    ]
    (quoted,) = run(ActionFallbackAnswer(), tracker("……", "nlu_fallback", entities=entities))
    assert quote in quoted["text"] and [b["title"] for b in quoted["buttons"]] == [
        "有帮助",
        "没帮助",
    ]
    (fallback,) = run(ActionFallbackAnswer(), tracker("食堂几点开饭", "out_of_scope"))
    assert fallback["buttons"] == []


@pytest.mark.parametrize(
    "text, entities, thanks",
    [
        ('/feedback{"helpful":"yes"}', [{"entity": "helpful", "value": "yes"}], "yes"),
        ('/feedback{"helpful":"no"}', [{"entity": "helpful", "value": "no"}], "no"),
        ("没帮助", [], "no"),  # the model's intent for a bare word (no entity): the word decides
        ("有帮助", [], "yes"),
    ],
)
def test_feedback_is_thanked_with_the_matching_words(text, entities, thanks):
    (message,) = run(ActionFeedback(), tracker(text, fb.INTENT, entities=entities))
    assert message["text"] == render_message(knowledge(), fb.THANKS_MESSAGES[thanks], today())


@pytest.mark.parametrize(
    "text, intent, answered",
    [
        ("有没有自评工具", "selfcheck", False),  # asked for the self-check while in it
        ("食堂几点开饭", "out_of_scope", True),
        ("……", "nlu_fallback", True),
    ],
)
def test_a_fallback_during_the_self_check_goes_back_to_the_form(text, intent, answered):
    """The form refused the message; without going back to it Rasa predicts the fallback
    again until its circuit breaker ends the conversation."""
    dispatcher = CollectingDispatcher()
    current = tracker(text, intent, loop="selfcheck_form")
    events = ActionFallbackAnswer().run(dispatcher, current, {})
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "selfcheck_form"}
    assert bool(dispatcher.messages) == answered
    outside = ActionFallbackAnswer().run(CollectingDispatcher(), tracker(text, intent), {})
    assert all(e["event"] != "followup" for e in outside)
