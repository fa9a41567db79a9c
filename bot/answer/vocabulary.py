"""What reading a message (``bot.answer.reading``, ``bot.answer.keyword_list``) knows from
knowledge/: the FAQ's topic keywords and questions, and the 市州 / applicant type / direction
words — built once per knowledge base object.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from bot.answer.entities import EntityMatcher
from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase

KIND_OF_ENTITY = ("city", "applicant_type", "direction")
_NON_WORD = re.compile(r"[^a-z\u4e00-\u9fff]+")


class Vocabulary:
    """What the reading needs from knowledge/: topic words and the entity words."""

    def __init__(self, kb: Optional[KnowledgeBase] = None):
        self.topic_keywords: List[Tuple[str, str]] = []
        self.faq_text = ""
        self.entities: Optional[EntityMatcher] = None
        if kb is not None:
            self.topic_keywords = [
                (normalize(k), e.id) for e in kb.faq for k in e.keywords if normalize(k)
            ]
            english = kb.english.topics if kb.english else []
            self.topic_keywords += [
                (normalize(k), t.faq) for t in english for k in t.keywords if normalize(k)
            ]
            self.faq_text = "\n".join(
                normalize(q, limit=None) for e in kb.faq for q in [e.question, *e.similar]
            )
            self.entities = EntityMatcher(kb.entity_vocabulary())

    def topics_of(self, text: str) -> List[str]:
        """FAQ topics whose keywords the text contains, in keyword order (an English keyword
        as whole words: “procedure” does not contain “due”)."""
        found: List[str] = []
        padded = f" {_NON_WORD.sub(' ', text)} "
        for keyword, topic in self.topic_keywords:
            if topic in found:
                continue
            if keyword.isascii() and keyword.replace(" ", "").isalpha():
                if f" {keyword} " in padded:
                    found.append(topic)
            elif keyword in text:
                found.append(topic)
        return found

    def entity_words(self, text: str) -> List[Tuple[str, str]]:
        """(kind, surface word) of the 市州 / applicant types / directions the text names."""
        if self.entities is None:
            return []
        return [(m.entity, m.text) for m in self.entities.find(text) if m.entity in KIND_OF_ENTITY]

    def is_topic_word(self, segment: str) -> bool:
        """A short segment that names a topic: a FAQ keyword, or words of the FAQ's questions."""
        if self.topics_of(segment):
            return True
        return len(segment) >= 2 and segment in self.faq_text

    def is_entity_only(self, segment: str) -> bool:
        words = self.entity_words(segment)
        return bool(words) and sum(len(w) for _, w in words) >= len(segment) - 2

    def names_something(self, text: str) -> bool:
        """Names a FAQ topic or a 市州 / applicant type / direction."""
        return bool(self.topics_of(text) or self.entity_words(text))


_VOCABULARIES: Dict[int, Tuple[KnowledgeBase, Vocabulary]] = {}


def vocabulary(kb: Optional[KnowledgeBase]) -> Vocabulary:
    """The vocabulary of ``kb``, built once per knowledge base object."""
    if kb is None:
        return Vocabulary()
    cached = _VOCABULARIES.get(id(kb))
    if cached is None or cached[0] is not kb:
        if len(_VOCABULARIES) > 4:
            _VOCABULARIES.clear()
        cached = (kb, Vocabulary(kb))
        _VOCABULARIES[id(kb)] = cached
    return cached[1]
