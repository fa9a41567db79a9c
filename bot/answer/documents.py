"""Which of the notice's policy documents a question names, by number or by title.

Applicants write document numbers every possible way — 湘政发〔2019〕13号,
湘政发[2019]13号, (2019), 2019年, 第13号, “13号文” — and quote titles in part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Sequence

from bot.answer.normalize import MAX_CHARS, normalize
from bot.kb.models import PolicyDocument

_NUMBER = re.compile(
    r"^(?P<prefix>\D+?)\s*[〔\[(（【]\s*(?P<year>\d{4})\s*[〕\])）】]\s*(?P<seq>\d+)\s*号$"
)
_REFERENCE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{2,8})?\s*[〔\[(（【]?\s*(?P<year>(?:19|20)\d{2})?\s*"
    r"[〕\])）】年]?\s*第?\s*(?P<seq>\d{1,3})\s*号(?P<wen>文)?"
)
_QUOTES = re.compile(r"[“”\"'‘’《》〈〉「」]")
MIN_TITLE_FRAGMENT = 5


@dataclass(frozen=True)
class NumberParts:
    prefix: str
    year: str
    seq: str


def number_parts(number: str) -> Optional[NumberParts]:
    match = _NUMBER.match(normalize(number))
    if not match:
        return None
    return NumberParts(match["prefix"], match["year"], str(int(match["seq"])))


@lru_cache(maxsize=1024)
def _strip_quotes(text: str, limit: Optional[int] = MAX_CHARS) -> str:
    """``text`` normalised, without quotes — remembered: the same titles and the same long
    background text are stripped for every question the router reads."""
    return _QUOTES.sub("", normalize(text, limit))


def _by_number(question: str, documents: Sequence[PolicyDocument]) -> List[PolicyDocument]:
    found: List[PolicyDocument] = []
    for match in _REFERENCE.finditer(question):
        prefix, year, seq = match["prefix"] or "", match["year"], str(int(match["seq"]))
        if not (prefix or year or match["wen"]):
            continue  # "13号" alone is a day of the month, not a document
        for document in documents:
            parts = number_parts(document.number)
            if parts is None or parts.seq != seq or document in found:
                continue
            looks_like_code = prefix.endswith(("发", "技", "字"))
            prefix_ok = parts.prefix in prefix or not looks_like_code
            year_ok = not year or year == parts.year
            if prefix_ok and year_ok:
                found.append(document)
    return found


def _common_fragments(title: str, question: str) -> List[str]:
    """The maximal pieces of ``title`` that the question contains (titles and questions are
    short)."""
    fragments = []
    i = 0
    while i < len(title):
        j = i + 1
        while j <= len(title) and title[i:j] in question:
            j += 1
        if j - 1 > i:
            fragments.append(title[i : j - 1])
            i = j - 1
        else:
            i += 1
    return fragments


def _by_title(
    question: str, documents: Sequence[PolicyDocument], background: str
) -> List[PolicyDocument]:
    """A document whose title shares a piece of five or more characters with the question that is
    found in no other title and nowhere else in the notice or the FAQ (so not 双创示范基地建设)."""
    plain = _strip_quotes(question)
    found = []
    for document in documents:
        title = _strip_quotes(document.title)
        others = [_strip_quotes(d.title) for d in documents if d is not document]
        if any(
            len(fragment) >= MIN_TITLE_FRAGMENT
            and fragment not in background
            and not any(fragment in other for other in others)
            for fragment in _common_fragments(title, plain)
        ):
            found.append(document)
    return found


def documents_named(
    question: str, documents: Sequence[PolicyDocument], background: str = ""
) -> List[PolicyDocument]:
    """The documents a (normalised) question refers to, in the order of the notice.

    ``background`` is text a title fragment must not occur in to count (the notice and the FAQ
    without the lines that cite the documents)."""
    named = _by_number(question, documents)
    named += [
        d
        for d in _by_title(question, documents, _strip_quotes(background, limit=None))
        if d not in named
    ]
    return [d for d in documents if d in named]
