"""What every action shares: the live knowledge base and today's date."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List

from bot.answer.replies import render_message
from bot.kb.load import shared_cache
from bot.kb.models import KnowledgeBase
from bot.names import ENTITIES
from bot.settings import get_settings

# the knowledge entities, and what bot.answer.routing adds
# (see nlu.components.QuestionRouterComponent)
ENTITY_KINDS = (
    *ENTITIES,
    "silent_topic",
    "unknown_term",
    "notice_clause",
    "notice_quote",
    "policy_document",
    "language",
    "blocked",
)


def knowledge() -> KnowledgeBase:
    return shared_cache(get_settings().knowledge_dir).get()


def today() -> dt.date:
    return get_settings().today_or_now()


def say(name: str, /, **values: str) -> str:
    """The fixed sentence ``name`` of knowledge/messages.yml, live, rendered for today."""
    return render_message(knowledge(), name, today(), **values)


def entities_of(latest_message: Dict) -> Dict[str, List[str]]:
    """Entity values of the latest user message, grouped by kind, in order of mention."""
    grouped: Dict[str, List[str]] = {}
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") in ENTITY_KINDS:
            values = grouped.setdefault(entity["entity"], [])
            if entity.get("value") not in values:
                values.append(entity["value"])
    return grouped
