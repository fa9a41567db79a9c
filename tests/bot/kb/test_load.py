"""bot/kb/load.py: one knowledge cache per process and folder, shared by every reader."""

from __future__ import annotations

from actions import knowledge as action_knowledge
from bot.kb.load import DEFAULT_KNOWLEDGE_DIR, shared_cache
from channels.texts import knowledge_cache
from nlu.components import KnowledgeEntityExtractor
from tests.conftest import KNOWLEDGE_DIR


def test_one_cache_per_folder(knowledge_copy):
    assert shared_cache() is shared_cache(DEFAULT_KNOWLEDGE_DIR) is shared_cache(KNOWLEDGE_DIR)
    assert shared_cache(knowledge_copy) is shared_cache(knowledge_copy / ".." / "knowledge")
    assert shared_cache(knowledge_copy) is not shared_cache()


def test_channels_actions_and_nlu_read_the_same_cache(knowledge_copy, monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    get_settings.cache_clear()
    try:
        cache = shared_cache(knowledge_copy)
        assert knowledge_cache() is cache
        assert action_knowledge.knowledge() is cache.get()
        assert KnowledgeEntityExtractor(str(knowledge_copy))._cache is cache
    finally:
        get_settings.cache_clear()
