"""bot/feedback.py: the ``/feedback{…}`` trigger, the typed words, and how Rasa reads the trigger
after the project's NLU pipeline (nlu.components) and the generated domain (bot/ops/generate.py)."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import feedback as fb
from bot.kb.load import load_knowledge
from bot.ops import generate
from nlu.components import TextNormalizer

WORDS = {fb.YES: "有帮助", fb.NO: "没帮助"}


@pytest.mark.parametrize(
    "helpful, answer, text",
    [
        ("yes", None, '/feedback{"helpful":"yes"}'),
        ("no", "4711", '/feedback{"helpful":"no","answer":"4711"}'),
        ("no", "wx#2", '/feedback{"helpful":"no","answer":"wx#2"}'),
    ],
)
def test_trigger_round_trip(helpful, answer, text):
    assert fb.trigger(helpful, answer) == text
    assert fb.parse_trigger(text) == fb.Feedback(helpful, answer)
    assert len(text.encode()) <= 64  # fits Telegram's callback_data for a Telegram update id


@pytest.mark.parametrize(
    "text",
    [
        "/feedback",  # no verdict
        '/feedback{"helpful":"maybe"}',
        "/feedback{not json}",
        '/feedback["yes"]',
        '/greet{"helpful":"yes"}',
        "有帮助",
        None,
    ],
)
def test_not_a_usable_trigger(text):
    assert fb.parse_trigger(text) is None


def test_trigger_refuses_an_unknown_verdict():
    with pytest.raises(ValueError):
        fb.trigger("maybe")


@pytest.mark.parametrize(
    "text, value",
    [
        ("有帮助", "yes"),
        (" 没帮助！", "no"),
        ("有帮助。", "yes"),
        ("没帮助吗", None),
        ("这个回答有帮助", None),  # a sentence is a message, not a button
        ("", None),
        (None, None),
    ],
)
def test_typed_word(text, value):
    assert fb.typed_word(text, WORDS) == value


@pytest.mark.parametrize(
    "entities, expected",
    [
        ([{"entity": "helpful", "value": "yes"}], fb.Feedback("yes")),
        (
            [{"entity": "helpful", "value": "no"}, {"entity": "answer", "value": 17}],
            fb.Feedback("no", "17"),
        ),
        ([{"entity": "city", "value": "长沙"}], None),
        ("not a list", None),
    ],
)
def test_from_entities(entities, expected):
    assert fb.from_entities(entities) == expected


def test_the_pipeline_keeps_the_trigger_for_rasas_regex_message_handler():
    """TextNormalizer strips a leading "/" from anything else (no intent forcing)."""
    text = fb.trigger(fb.NO, "4711")
    message, other = Message({TEXT: text}), Message({TEXT: '/greet{"x":1}'})
    TextNormalizer().process([message, other])
    assert message.get(TEXT) == text and not other.get(TEXT).startswith("/")
    domain = Domain.from_dict(generate.feedback_domain())
    parsed = YAMLStoryReader.unpack_regex_message(message, domain)
    assert parsed.get("intent")["name"] == fb.INTENT
    assert {(e["entity"], e["value"]) for e in parsed.get("entities")} == {
        ("helpful", "no"),
        ("answer", "4711"),
    }


def test_generated_training_data_for_feedback():
    kb = load_knowledge()
    assert generate.feedback_examples(kb) == ["有帮助", "没帮助"]
    assert generate.feedback_rule()["steps"] == [{"intent": "feedback"}, {"action": fb.ACTION}]
    # mid self-check the trigger interrupts the form instead of being taken as an answer
    assert generate.INTERRUPTING_INTENTS[fb.INTENT] == fb.ACTION
    domain = generate.domain_with_faq_interruptions([fb.INTENT])
    assert fb.INTENT in domain["slots"]["sc_type"]["mappings"][1]["not_intent"]
