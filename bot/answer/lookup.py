"""Reverse look-ups: a phone number, address, e-mail or date of the notice, asked about.

“0731-89991015是谁的电话”, “410004是什么”, “12号窗口在几楼”, “What is 0731-89990919 for?”
→ whose it is and what it is for (knowledge/lookups.yml), with the clause it comes from.
“咨询电话是0731-89990919吗” → no, what that number is, and the right fact. Every value is read
from the facts (``fact`` and its ``also`` parts, checked by ``kb check``); dates are compared
as dates, however they are written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bot.answer.english import is_english
from bot.answer.normalize import normalize
from bot.kb.facts import memoized, static_facts
from bot.kb.lookups import Lookup
from bot.kb.models import KnowledgeBase

# the part of a message asking what a value is (“是谁的”, “干什么用”, “在几楼”)
LOOKUP_CUES = (
    "什么",
    "多少",
    "啥",
    "干嘛",
    "谁",
    "哪",
    "几楼",
    "用途",
    "用来",
    "怎么回事",
    "what",
    "whose",
    "who",
    "which",
    "where",
)
# a date is asked about only with these (“11月28日是什么日子”), not “11月28号交来得及吗”
DATE_CUES = ("什么日子", "什么时间", "是什么", "是啥", "啥日子", "什么意思", "什么节点", "what")
# a yes/no check of a value (“咨询电话是0731-89990919吗”); not “…来得及吗”
CLAIM_MARKS = ("吗", "吧", "对不对", "是不是", "对么", "没错")
CLAIM_WORDS = ("是", "对")
NOT_CLAIMS = ("来得及", "赶得上", "能不能", "可不可以", "可以", "能否", "行不行")
EN_CLAIM_STARTS = ("is ", "is it ", "are ", "was ", "should ")
# a label asked with one of these asks for another fact of its owner (“网站技术支持电话”: a phone)
OTHER_KIND_WORDS = (
    "电话",
    "号码",
    "手机",
    "邮箱",
    "邮件",
    "地址",
    "邮编",
    "网址",
    "链接",
    "phone",
    "number",
    "mail",
    "address",
)
MAX_REST = 20  # what a look-up question says besides the value, at most
MAX_VALUES = 3
_CLAUSES = re.compile(r"[，,。；;！!？?\n]")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DATES: Tuple[Tuple[re.Pattern, Callable[[re.Match], Tuple[Optional[int], int, int]]], ...] = (
    (
        re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?"),
        lambda m: (int(m[1]) if m[1] else None, int(m[2]), int(m[3])),
    ),
    (
        re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})"),
        lambda m: (int(m[1]), int(m[2]), int(m[3])),
    ),
    (
        re.compile(
            r"\b("
            + "|".join(m[:3] for m in _MONTHS)
            + r")[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?"
        ),
        lambda m: (int(m[3]) if m[3] else None, _month(m[1]), int(m[2])),
    ),
    (
        re.compile(
            r"\b(\d{1,2})(?:st|nd|rd|th)?\s+("
            + "|".join(m[:3] for m in _MONTHS)
            + r")[a-z]*\.?(?:,?\s+(\d{4}))?"
        ),
        lambda m: (int(m[3]) if m[3] else None, _month(m[2]), int(m[1])),
    ),
)
# the facts that are dates, and where their date is
DATE_FACTS: Dict[str, Callable[[KnowledgeBase], dt.date]] = {
    "deadline_date": lambda kb: kb.notice.deadline.date,
    "published": lambda kb: kb.notice.notice.published,
}


def _month(name: str) -> int:
    return next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(name[:3]))


@dataclass(frozen=True)
class Found:
    lookup: Lookup
    start: int
    end: int


def value_words(kb: KnowledgeBase) -> List[Tuple[str, Lookup]]:
    """(normalised value, look-up), longest first: each fact's text and its ``also`` parts
    (a phone number also without its area code's dash)."""

    def compute() -> List[Tuple[str, Lookup]]:
        facts = static_facts(kb)
        words: List[Tuple[str, Lookup]] = []
        for lookup in kb.lookups.lookups if kb.lookups else []:
            if lookup.fact in DATE_FACTS or lookup.fact not in facts:
                continue
            text = facts[lookup.fact].text
            variants = [text, *lookup.also, *_parts(text)] if lookup.by_value else []
            variants += lookup.labels
            for variant in variants:
                value = normalize(variant, limit=None)
                if len(value) >= 2 and value not in [w for w, _ in words]:
                    words.append((value, lookup))
        return sorted(words, key=lambda pair: -len(pair[0]))

    return memoized(kb, "lookup_value_words", compute)


def _parts(text: str) -> List[str]:
    """What else names a fact: a phone number without its area code (or its dash), the name
    of an e-mail box, each name of a list."""
    parts = []
    phone = re.fullmatch(r"(\d{3,4})-(\d{7,8})", text)
    if phone:
        parts += [phone[1] + phone[2], phone[2]]
    if re.fullmatch(r"[\w.+-]+@[\w.-]+", text):
        parts.append(text.split("@")[0])
    if "、" in text:
        parts += text.split("、")
    return parts


def dates_written(text: str, default_year: int) -> List[dt.date]:
    """Every date a (normalised) text writes, in Chinese, ISO or English (“November 30”)."""
    found: List[dt.date] = []
    for pattern, parts in _DATES:
        for match in pattern.finditer(text):
            try:
                year, month, day = parts(match)
                found.append(dt.date(year or default_year, month, day))
            except (StopIteration, ValueError):
                continue
    return found


def _dates_in(kb: KnowledgeBase, text: str) -> List[Found]:
    lookups = {x.fact: x for x in (kb.lookups.lookups if kb.lookups else [])}
    found: List[Found] = []
    for pattern, parts in _DATES:
        for match in pattern.finditer(text):
            try:
                year, month, day = parts(match)
            except (StopIteration, ValueError):
                continue
            for fact, date_of in DATE_FACTS.items():
                date = date_of(kb)
                same_day = (month, day) == (date.month, date.day) and year in (None, date.year)
                if fact in lookups and same_day:
                    found.append(Found(lookups[fact], match.start(), match.end()))
        if found:
            break
    return found


def values_in(kb: KnowledgeBase, text: str) -> List[Found]:
    """The notice's values a (normalised) text names, in order, without overlaps."""
    found: List[Found] = []
    taken = [False] * len(text)
    for value, lookup in value_words(kb):
        start = text.find(value)
        while start >= 0:
            end = start + len(value)
            if not any(taken[start:end]):
                found.append(Found(lookup, start, end))
                taken[start:end] = [True] * (end - start)
            start = text.find(value, end)
    for date in _dates_in(kb, text):
        if not any(taken[date.start : date.end]):
            found.append(date)
    return sorted(found, key=lambda f: f.start)


def _rest(text: str, found: Sequence[Found]) -> str:
    """The clauses of ``text`` that hold a value, without the values."""
    pieces = []
    position = 0
    for item in found:
        pieces.append(text[position : item.start])
        pieces.append("\x00")
        position = item.end
    pieces.append(text[position:])
    marked = "".join(pieces)
    clauses = [c for c in _CLAUSES.split(marked) if "\x00" in c]
    return "".join(clauses).replace("\x00", "").strip()


@dataclass(frozen=True)
class LookupQuestion:
    lookups: Tuple[Lookup, ...]  # the values asked about, in order, each once
    claim: bool  # asked yes or no (“是…吗”)
    english: bool


def lookup_question(kb: KnowledgeBase, text: str) -> Optional[LookupQuestion]:
    """The values a message asks about, or None when it only mentions one in passing."""
    text = normalize(text)
    found = values_in(kb, text)
    rest = _rest(text, found)
    found = [item for item in found if not _label_for_something_else(text, rest, item)]
    if not found:
        return None
    lookups: List[Lookup] = []
    for item in found:
        if item.lookup not in lookups:
            lookups.append(item.lookup)
    if len(lookups) > MAX_VALUES:
        return None
    rest = _rest(text, found)
    english = is_english(text) or (
        bool(re.search(r"[a-z]{3}", rest)) and not re.search(r"[\u4e00-\u9fff]", rest)
    )
    if len(rest) > MAX_REST * (3 if english else 1):
        return None
    claim = is_claim(rest, english)
    dated = all(x.fact in DATE_FACTS for x in lookups)
    cues = DATE_CUES if dated else LOOKUP_CUES
    bare = len(re.sub(r"[\W_]", "", rest)) <= (0 if dated else 2)
    if claim or bare or any(cue in rest for cue in cues):
        return LookupQuestion(tuple(lookups), claim, english)
    return None


def _label_for_something_else(text: str, rest: str, item: Found) -> bool:
    """Whether ``item`` is only a label (“技术支持”, not the value itself) that the message does
    not use for the value: a label that needs a word the message lacks (``labels_need``: 技术支持
    is the website's only with 网站), or one asked with another kind of fact in the ``rest`` of
    the message (“…技术支持电话”)."""
    word = text[item.start : item.end]
    labels = [normalize(label, limit=None) for label in item.lookup.labels]
    if word not in labels:
        return False
    needs = [normalize(need, limit=None) for need in item.lookup.labels_need]
    if needs and not any(need in text for need in needs):
        return True
    return any(kind in rest for kind in OTHER_KIND_WORDS)


def is_claim(rest: str, english: bool = False) -> bool:
    """“…是X吗” / “Is it X?”: a value put forward to be confirmed."""
    if english:
        return rest.lstrip().startswith(EN_CLAIM_STARTS)
    return (
        any(mark in rest for mark in CLAIM_MARKS)
        and any(word in rest for word in CLAIM_WORDS)
        and not any(word in rest for word in NOT_CLAIMS)
    )


def rest_of(kb: KnowledgeBase, text: str) -> str:
    """The message without the values it names (to find the topic asked about)."""
    text = normalize(text)
    found = values_in(kb, text)
    pieces, position = [], 0
    for item in found:
        pieces.append(text[position : item.start])
        position = item.end
    pieces.append(text[position:])
    return " ".join(pieces)
