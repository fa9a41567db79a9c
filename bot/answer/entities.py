"""Find 市州, applicant types and directions in a (normalised) question.

Rasa's regex/lookup extractor relies on word boundaries, which Chinese text
does not have, so matching is done here: leftmost-longest over the words in
the knowledge base's vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# Words that contain an entity word but mean something else.
NOT_ENTITIES = ("大学生", "学生", "企业家", "研究生", "院校长")


def english_plurals(word: str) -> Tuple[str, ...]:
    """The plural an English word does not contain (“university” → “universities”); a plural
    in -s or -es contains its singular, which the substring match finds already."""
    if word.isascii() and len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        return (word[:-1] + "ies",)
    return ()


@dataclass(frozen=True)
class EntityMatch:
    entity: str
    value: str
    start: int
    end: int
    text: str

    def as_rasa(self, extractor: str) -> Dict[str, object]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": 1.0,
            "extractor": extractor,
        }


class EntityMatcher:
    def __init__(self, vocabulary: Dict[str, Dict[str, str]]):
        words: Dict[str, Optional[Tuple[str, str]]] = {}
        for entity, mapping in vocabulary.items():
            for word, value in mapping.items():
                words[word.lower()] = (entity, value)
                for plural in english_plurals(word.lower()):
                    words.setdefault(plural, (entity, value))
        for word in NOT_ENTITIES:
            words[word] = None
        self._words = words
        self._lengths = sorted({len(w) for w in words}, reverse=True)

    def find(self, text: str) -> List[EntityMatch]:
        matches: List[EntityMatch] = []
        lowered = text.lower()
        position = 0
        while position < len(lowered):
            for length in self._lengths:
                candidate = lowered[position : position + length]
                if len(candidate) == length and candidate in self._words:
                    hit = self._words[candidate]
                    if hit:
                        matches.append(
                            EntityMatch(
                                hit[0],
                                hit[1],
                                position,
                                position + length,
                                text[position : position + length],
                            )
                        )
                    position += length
                    break
            else:
                position += 1
        return matches


def group_values(matches: List[EntityMatch]) -> Dict[str, List[str]]:
    grouped: Dict[str, List[str]] = {}
    for match in matches:
        values = grouped.setdefault(match.entity, [])
        if match.value not in values:
            values.append(match.value)
    return grouped
