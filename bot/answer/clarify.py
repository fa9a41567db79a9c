"""Which questions may be offered when the assistant is not sure: only those that fit.

When the intent model is not sure, the assistant offers the standard questions of the topics
it found possible (``fallback_suggest``). A topic the model merely ranked is not a choice: asked
where in the building the window is, an applicant must not be offered “通知有哪些附件？”. A
candidate fits when the question shares a *specific* word with it — one of its keywords, or a
two-character term of its standard and similar questions that few other topics use
(“窗口”, “邮箱”, “名额”; not “申报”, “材料”, “什么”). With no fitting candidate the assistant says
honestly that it is not sure (the plain fallback) instead of offering unrelated questions.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z]{3,}")
GENERIC_SHARE = 0.2  # a term in more than this share of the FAQ topics is not specific
# Function characters: a two-character term with one of them says nothing about a topic
# (“那个”, “是谁”, “么时”); a keyword with them (“几份”, “找谁”) still counts whole.
FUNCTION_CHARACTERS = frozenset(
    "的了吗呢吧啊呀是在有和与及或那这个些么什怎样哪谁几多少要能可以会把被给到从对就都也还又再很太最更啥咋请问我们你您他她它"
)


def terms(text: str) -> FrozenSet[str]:
    """Two-character terms of the Chinese runs and the Latin words of ``text``."""
    lowered = normalize(text, limit=None)
    found = set(_LATIN_WORD.findall(lowered))
    for run in _CJK_RUN.findall(lowered):
        pairs = (run[i : i + 2] for i in range(len(run) - 1))
        found.update(p for p in pairs if not FUNCTION_CHARACTERS.intersection(p))
    return frozenset(found)


class ChoiceFit:
    """The specific terms of each FAQ topic, from knowledge/faq.yml."""

    def __init__(self, kb: KnowledgeBase):
        self.keywords: Dict[str, Tuple[str, ...]] = {
            e.id: tuple(normalize(k) for k in e.keywords if normalize(k)) for e in kb.faq
        }
        own = {e.id: terms("\n".join([e.question, *e.similar, *e.keywords])) for e in kb.faq}
        counts = Counter(term for found in own.values() for term in found)
        most = max(2, int(len(own) * GENERIC_SHARE))
        self.generic = frozenset(term for term, n in counts.items() if n > most)
        self.specific: Dict[str, FrozenSet[str]] = {
            topic: found - self.generic for topic, found in own.items()
        }

    def shared(self, topic: str, question: str) -> FrozenSet[str]:
        """The specific terms ``question`` shares with ``topic`` (its keywords count whole)."""
        text = normalize(question)
        by_keyword = {k for k in self.keywords.get(topic, ()) if k in text}
        return frozenset(by_keyword) | (terms(question) & self.specific.get(topic, frozenset()))

    def fits(self, topic: str, question: str) -> bool:
        return bool(self.shared(topic, question))


_FITS: Dict[int, Tuple[KnowledgeBase, ChoiceFit]] = {}


def choice_fit(kb: KnowledgeBase) -> ChoiceFit:
    """The :class:`ChoiceFit` of ``kb``, built once per knowledge base object."""
    cached = _FITS.get(id(kb))
    if cached is None or cached[0] is not kb:
        if len(_FITS) > 4:
            _FITS.clear()
        cached = (kb, ChoiceFit(kb))
        _FITS[id(kb)] = cached
    return cached[1]


def fitting_topics(
    kb: KnowledgeBase,
    question: str,
    ranking: Sequence[Mapping],
    floor: float,
    limit: int = 3,
    skip: Optional[FrozenSet[str]] = None,
) -> List[str]:
    """FAQ topics of the model's ``ranking`` (confidence ≥ ``floor``) that fit ``question``,
    in the model's order, at most ``limit``."""
    fit = choice_fit(kb)
    faq_ids = {e.id for e in kb.faq}
    chosen: List[str] = []
    for candidate in ranking:
        name = candidate.get("name")
        if name not in faq_ids or name in (skip or frozenset()) or name in chosen:
            continue
        if float(candidate.get("confidence") or 0.0) < floor:
            continue
        if fit.fits(name, question):
            chosen.append(name)
    return chosen[:limit]


def numbered(questions: Sequence[str]) -> str:
    """The choices as the reply text shows them: “1. …” one a line (WeChat makes them links)."""
    return "\n".join(f"{number}. {question}" for number, question in enumerate(questions, 1))
