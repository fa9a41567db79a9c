"""Grouping similar questions: character-bigram Jaccard on normalised text. Pure functions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Sequence, Tuple

DEFAULT_THRESHOLD = 0.4


def shingles(text: str) -> FrozenSet[str]:
    """Character bigrams of the letters/digits/汉字 in ``text`` (one char → that char)."""
    chars = [c for c in (text or "").lower() if c.isalnum()]
    if len(chars) < 2:
        return frozenset(chars)
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


def jaccard(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(x: str, y: str) -> float:
    return jaccard(shingles(x), shingles(y))


@dataclass
class Group:
    """Similar questions: ``key`` is the most frequent wording, ``examples`` the distinct texts shown."""

    key: str
    count: int = 0
    examples: List[str] = field(default_factory=list)
    members: Counter = field(default_factory=Counter)  # normalised text → count
    _shingles: FrozenSet[str] = frozenset()


def group_similar(
    items: Iterable[Tuple[str, str]], threshold: float = DEFAULT_THRESHOLD, max_examples: int = 5
) -> List[Group]:
    """Group (normalised text, display text) pairs; biggest groups first.

    Greedy and deterministic: distinct normalised texts, most frequent first,
    join the first group whose leading wording is at least ``threshold`` similar.
    """
    counts: Counter = Counter()
    display: Dict[str, List[str]] = {}
    for normalized, shown in items:
        key = (normalized or shown or "").strip()
        if not key:
            continue
        counts[key] += 1
        shown_list = display.setdefault(key, [])
        if shown and shown not in shown_list and len(shown_list) < max_examples:
            shown_list.append(shown)
    groups: List[Group] = []
    for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0])):
        grams = shingles(key)
        best: Group | None = None
        best_score = 0.0
        for group in groups:
            score = jaccard(grams, group._shingles)
            if score >= threshold and score > best_score:
                best, best_score = group, score
        if best is None:
            best = Group(key=key, _shingles=grams)
            groups.append(best)
        best.count += count
        best.members[key] += count
        for shown in display.get(key) or [key]:
            if shown not in best.examples and len(best.examples) < max_examples:
                best.examples.append(shown)
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups


def nearest(text: str, candidates: Sequence[Tuple[str, Sequence[str]]]) -> Tuple[str | None, float]:
    """(id, score) of the candidate whose wordings are most similar to ``text``.

    ``candidates`` are (id, [wording, …]) pairs, e.g. a FAQ id with its question and similar questions.
    """
    grams = shingles(text)
    best_id, best_score = None, 0.0
    for candidate_id, wordings in candidates:
        for wording in wordings:
            score = jaccard(grams, shingles(wording))
            if score > best_score:
                best_id, best_score = candidate_id, score
    return best_id, best_score
