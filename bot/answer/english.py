"""English questions: recognise them and map them to a FAQ topic with the words in
knowledge/english.yml."""

from __future__ import annotations

import datetime as dt
import re
from typing import Dict, Optional

from bot.kb.models import EnglishFile

_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z][a-z'-]*")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# the dates an English answer (knowledge/english.yml › answer) may cite, besides the facts
ENGLISH_DATE_NAMES = ("deadline_en", "published_en")


def is_english(text: str) -> bool:
    """Mostly Latin letters, at least two words, and hardly any Chinese."""
    lowered = text.lower()
    latin = len(_LATIN.findall(lowered))
    return latin >= 6 and len(_WORD.findall(lowered)) >= 2 and len(_CJK.findall(text)) * 4 < latin


def english_topic(text: str, english: Optional[EnglishFile]) -> Optional[str]:
    """The FAQ id of the topic whose keyword occurs as whole words in ``text`` — the longest
    keyword found (“where do the … copies go” asks where, not how many), the first topic on a
    tie; None for a matter of ``silent`` (or no topic)."""
    if english is None:
        return None
    words = " " + " ".join(_WORD.findall(text.lower())) + " "
    if any(_has_phrase(words, keyword) for keyword in english.silent):
        return None  # a matter the notice does not regulate: the honest reply
    best, best_length = None, 0
    for topic in english.topics:
        for keyword in topic.keywords:
            length = len(_WORD.findall(keyword.lower()))
            if length > best_length and _has_phrase(words, keyword):
                best, best_length = topic.faq, length
    return best


def _has_phrase(words: str, keyword: str) -> bool:
    phrase = " " + " ".join(_WORD.findall(keyword.lower())) + " "
    return bool(phrase.strip()) and phrase in words


def english_date(day: dt.date) -> str:
    """28 November 2021."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def english_dates(deadline: dt.date, published: dt.date) -> Dict[str, str]:
    """The values of ``ENGLISH_DATE_NAMES``."""
    return {"deadline_en": english_date(deadline), "published_en": english_date(published)}


def english_answer(text: str, english: Optional[EnglishFile]) -> Optional[str]:
    """The English answer template of the topic an English question asks about."""
    topic = english_topic(text, english)
    if english is None or topic is None:
        return None
    return next((t.answer for t in english.topics if t.faq == topic and t.answer), None)
