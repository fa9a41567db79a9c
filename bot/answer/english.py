"""English questions: recognise them and map them to a FAQ topic with the words in
knowledge/english.yml."""

from __future__ import annotations

import re
from typing import Optional

from bot.kb.models import EnglishFile

_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z][a-z'-]*")


def is_english(text: str) -> bool:
    """Mostly Latin letters, at least two words, and hardly any Chinese."""
    lowered = text.lower()
    latin = len(_LATIN.findall(lowered))
    return latin >= 6 and len(_WORD.findall(lowered)) >= 2 and len(_CJK.findall(text)) * 4 < latin


def english_topic(text: str, english: Optional[EnglishFile]) -> Optional[str]:
    """The FAQ id of the topic whose keyword occurs as whole words in ``text``: the longest
    keyword found (“where do the … copies go” asks where, not how many); on a tie, the first."""
    if english is None:
        return None
    words = " " + " ".join(_WORD.findall(text.lower())) + " "
    best, best_length = None, 0
    for topic in english.topics:
        for keyword in topic.keywords:
            phrase = " " + " ".join(_WORD.findall(keyword.lower())) + " "
            length = len(phrase.split())
            if phrase.strip() and phrase in words and length > best_length:
                best, best_length = topic.faq, length
    return best
