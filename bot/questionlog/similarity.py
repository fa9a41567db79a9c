"""Grouping similar questions: character-bigram Jaccard on normalised text. Pure functions."""

from __future__ import annotations

import math
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
    """Similar questions: ``key`` is the most frequent wording, ``examples`` the distinct texts
    shown."""

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

    Only groups that can reach ``threshold`` are compared (prefix filtering): with the
    bigrams of every text ordered rarest first, two sets whose Jaccard similarity is at
    least t share a bigram among the first ``n - ceil(t·n) + 1`` of each. An inverted index
    over those prefixes of the groups' leading wordings gives the candidates; where the
    first shared bigram sits bounds how many can be shared (positional filter). So 50,000
    distinct texts group in seconds, with exactly the groups a comparison with every group
    would give (tests/bot/questionlog/test_similarity.py compares the two).
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
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    grams_of = [shingles(key) for key, _ in ordered]
    frequency: Counter = Counter(gram for grams in grams_of for gram in grams)
    rank = {gram: i for i, gram in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}
    groups: List[Group] = []
    sizes: List[int] = []
    # bigram → (group, position of the bigram in the group's ordered leading wording)
    index: Dict[str, List[Tuple[int, int]]] = {}
    share = threshold / (1 + threshold) if threshold > 0 else 0.0
    for (key, count), grams in zip(ordered, grams_of, strict=True):
        tokens = sorted(grams, key=rank.__getitem__)  # rarest first
        size = len(tokens)
        prefix = tokens[: _prefix_length(size, threshold)]
        # The first bigram two sets share lies in both prefixes, and every other shared one
        # comes after it in both orders: at most 1 + min(what follows in each) are shared,
        # and reaching the threshold needs share·(|x|+|y|) of them (positional filter).
        possible: Dict[int, bool] = {}
        for position, gram in enumerate(prefix):
            for number, other_position in index.get(gram, ()):
                if number in possible:
                    continue
                other_size = sizes[number]
                most = min(size - position, other_size - other_position)
                need = max(1, math.ceil(share * (size + other_size) - 1e-9))
                possible[number] = most >= need
        best: Group | None = None
        best_score = 0.0
        for number in sorted(n for n, ok in possible.items() if ok):  # ties: the older group
            group = groups[number]
            other_size = sizes[number]
            if min(size, other_size) <= best_score * max(size, other_size):
                continue  # cannot beat the best so far
            shared = len(grams & group._shingles)
            score = shared / (size + other_size - shared)  # = jaccard(grams, group._shingles)
            if score >= threshold and score > best_score:
                best, best_score = group, score
        if best is None:
            best = Group(key=key, _shingles=grams)
            for position, gram in enumerate(prefix):
                index.setdefault(gram, []).append((len(groups), position))
            groups.append(best)
            sizes.append(size)
        best.count += count
        best.members[key] += count
        for shown in display.get(key) or [key]:
            if shown not in best.examples and len(best.examples) < max_examples:
                best.examples.append(shown)
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest bigrams any set at least ``threshold`` similar must hit.

    A match needs at least one shared bigram (score > 0) and ``ceil(t·size)`` of them;
    rounding down the need (the 1e-9) only lengthens the prefix, never loses a match.
    """
    need = max(1, math.ceil(threshold * size - 1e-9))
    return max(0, size - need + 1)


def nearest(text: str, candidates: Sequence[Tuple[str, Sequence[str]]]) -> Tuple[str | None, float]:
    """(id, score) of the candidate whose wordings are most similar to ``text``.

    ``candidates`` are (id, [wording, …]) pairs, e.g. a FAQ id with its question and similar
    questions.
    """
    grams = shingles(text)
    best_id, best_score = None, 0.0
    for candidate_id, wordings in candidates:
        for wording in wordings:
            score = jaccard(grams, shingles(wording))
            if score > best_score:
                best_id, best_score = candidate_id, score
    return best_id, best_score
