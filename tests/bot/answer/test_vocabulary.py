"""What reading a message knows from knowledge/ (bot/answer/vocabulary.py)."""

from __future__ import annotations

from bot.answer.vocabulary import vocabulary
from bot.kb.load import load_knowledge

KB = load_knowledge()


def test_english_keywords_are_whole_words():
    words = vocabulary(KB)
    assert "deadline" in words.topics_of("what is the deadline")
    assert "deadline" not in words.topics_of("what is the procedure")  # no “due” in it


def test_the_vocabulary_is_built_once_per_knowledge_base():
    assert vocabulary(KB) is vocabulary(KB)
    assert vocabulary(None).topics_of("截止时间") == []  # no knowledge base: no topic words


def test_a_city_names_something_and_is_entity_only():
    words = vocabulary(KB)
    assert words.names_something("长沙") and words.is_entity_only("长沙")
    assert not words.names_something("今天天气")
