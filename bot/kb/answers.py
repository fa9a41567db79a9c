"""Compose the reply to a FAQ topic from the knowledge base (pure functions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from bot.kb.facts import (
    FactValue,
    context_facts,
    deadline_status,
    memoized,
    render,
    static_facts,
    tidy,
)
from bot.kb.models import KnowledgeBase

ENTITY_PRIORITY = ("city", "applicant_type", "direction")


@dataclass(frozen=True)
class Answer:
    text: str
    faq_id: str
    clause: str
    variant: Optional[str] = None  # which entity kind the answer was specific to


def _base_facts(kb: KnowledgeBase, today: dt.date) -> Dict[str, FactValue]:
    facts = static_facts(kb)
    facts["deadline_status"] = FactValue(deadline_status(kb, today), kb.notice.deadline.clause)
    return facts


def source_note(kb: KnowledgeBase, clause: str) -> str:
    """“（依据：…《通知》二）” in the wording of messages.yml (source_note)."""
    facts = static_facts(kb)
    facts["clause"] = FactValue(clause, clause)
    return tidy(render(kb.message("source_note"), facts))


def answer_faq(
    kb: KnowledgeBase,
    faq_id: str,
    entities: Optional[Dict[str, Sequence[str]]] = None,
    today: Optional[dt.date] = None,
) -> Optional[Answer]:
    """The answer to ``faq_id``, specific to the 市州/type/direction asked about if it has one."""
    entry = kb.faq_entry(faq_id)
    if entry is None:
        return None
    today = today or dt.date.today()
    entities = entities or {}
    facts = _base_facts(kb, today)
    for kind in ENTITY_PRIORITY:
        template = getattr(entry.when, kind, None) if entry.when else None
        values: List[str] = list(dict.fromkeys(entities.get(kind) or []))
        if template and values:
            parts = [
                render(template, {**facts, **context_facts(kb, **{kind: value})})
                for value in values
            ]
            text = "\n".join(parts)
            return Answer(f"{text}\n{source_note(kb, entry.clause)}", entry.id, entry.clause, kind)
    text = render(entry.answer, facts)
    return Answer(f"{text}\n{source_note(kb, entry.clause)}", entry.id, entry.clause)


def topics_overview(kb: KnowledgeBase, limit: int = 8) -> str:
    """A short list of what the assistant can answer, from the FAQ's standard questions."""
    return "\n".join(f"· {entry.question}" for entry in kb.faq[:limit])


def human_contacts(kb: KnowledgeBase) -> str:
    """``{contacts}``: people, phone and e-mail in the wording of messages.yml (contacts)."""
    return memoized(
        kb, "human_contacts", lambda: tidy(render(kb.message("contacts"), static_facts(kb)))
    )
