"""The NLU components (nlu/components.py) that need no model: what the TextNormalizer hands
Rasa's own RegexMessageHandler."""

from __future__ import annotations

import pytest
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import names
from nlu.components import TextNormalizer

DOMAIN = Domain.from_yaml(
    f"""
version: "3.1"
intents: [{names.FEEDBACK}, greet]
entities: [{names.HELPFUL}, {names.ANSWER}, city, sc_type, sc_city, sc_direction]
"""
)


def parsed(text: str) -> Message:
    message = Message({TEXT: text})
    TextNormalizer().process([message])
    (message,) = RegexMessageHandler().process([message], DOMAIN)
    return message


@pytest.mark.parametrize(
    "text",
    [
        '/feedback{"helpful":"yes","answer":"m1#ab","city":"长沙","sc_type":"高校"}',
        '/feedback{"sc_city":"株洲","helpful":"yes","sc_direction":"x","answer":"m1#ab"}',
    ],
)
def test_feedback_carries_its_verdict_and_nothing_that_could_set_a_slot(text):
    message = parsed(text)
    assert message.get(INTENT)["name"] == names.FEEDBACK
    entities = {e["entity"]: e["value"] for e in message.get(ENTITIES)}
    assert entities == {names.HELPFUL: "yes", names.ANSWER: "m1#ab"}


@pytest.mark.parametrize(
    "text", ['/feedback{"city":"长沙"}', '/feedback{"helpful":"maybe","city":"长沙"}', "/feedback"]
)
def test_a_trigger_without_a_verdict_is_plain_text(text):
    message = parsed(text)
    assert message.get(INTENT) is None and not message.get(ENTITIES)
    assert not message.get(TEXT).startswith("/")


def test_another_forced_intent_is_plain_text():
    message = parsed('/greet{"city":"长沙"}')
    assert message.get(INTENT) is None and not message.get(ENTITIES)
