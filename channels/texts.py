"""The channels' fixed replies, from knowledge/messages.yml (live, like every answer).

One knowledge cache for every channel module: a staff edit is picked up on the next
message, and a broken edit keeps the last good version (``KnowledgeCache``).
"""

from __future__ import annotations

import logging

from bot.answer.replies import render_message
from bot.kb.load import KnowledgeCache, shared_cache
from bot.kb.problems import KnowledgeError
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def knowledge_cache() -> KnowledgeCache:
    """The process's knowledge cache (``bot.kb.load.shared_cache``) for the configured folder."""
    return shared_cache(get_settings().knowledge_dir)


def channel_text(name: str, /, **values: str) -> str:
    """The fixed sentence ``name`` of messages.yml; "" when no knowledge could ever be loaded."""
    try:
        kb = knowledge_cache().get()
    except KnowledgeError:
        logger.exception("channels: knowledge/ cannot be loaded, no text for %s", name)
        return ""
    return render_message(kb, name, get_settings().today_or_now(), **values)
