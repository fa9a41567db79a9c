"""What every action shares: the live knowledge base and today's date."""

from __future__ import annotations

import datetime as dt

from bot.answer.replies import render_message
from bot.kb.load import shared_cache
from bot.kb.models import KnowledgeBase
from bot.settings import get_settings


def knowledge() -> KnowledgeBase:
    return shared_cache(get_settings().knowledge_dir).get()


def today() -> dt.date:
    return get_settings().today_or_now()


def say(name: str, /, **values: str) -> str:
    """The fixed sentence ``name`` of knowledge/messages.yml, live, rendered for today."""
    return render_message(knowledge(), name, today(), **values)
