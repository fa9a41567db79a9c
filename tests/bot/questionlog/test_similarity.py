"""Grouping of similar questions (pure functions)."""

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.questionlog.similarity import (
    Group,
    group_similar,
    jaccard,
    nearest,
    shingles,
    similarity,
)
from tests.support.tiers import examples


def test_shingles_ignore_punctuation_and_case():
    assert shingles("截止？") == {"截止"}
    assert shingles("A") == {"a"}
    assert shingles("") == frozenset()


def test_similarity_bounds():
    assert similarity("截止时间", "截止时间") == 1.0
    assert similarity("截止时间", "停车场") == 0.0
    assert jaccard(frozenset(), frozenset({"x"})) == 0.0


def test_groups_most_frequent_first_with_examples():
    items = [
        ("食堂几点开饭", "食堂几点开饭"),
        ("请问食堂几点开饭", "请问食堂几点开饭？"),
        ("食堂几点开饭", "食堂几点开饭"),
        ("怎么停车", "怎么停车"),
    ]
    groups = group_similar(items)
    assert [(g.key, g.count) for g in groups] == [("食堂几点开饭", 3), ("怎么停车", 1)]
    assert groups[0].examples == ["食堂几点开饭", "请问食堂几点开饭？"]


def test_nearest_faq():
    faq = [
        ("deadline", ["申报截止时间是什么时候？", "截止日期是哪天"]),
        ("copies", ["纸质材料交几份？"]),
    ]
    assert nearest("截止日期是几号", faq)[0] == "deadline"
    assert nearest("纸质版交几份", faq)[0] == "copies"
    assert nearest("", faq) == (None, 0.0)


# -- the index gives exactly the groups of a comparison with every group -------------------


def group_by_comparing_all(items, threshold=0.4, max_examples=5):
    """The original quadratic grouping, kept as the reference."""
    counts: Counter = Counter()
    display: dict = {}
    for normalized, shown in items:
        key = (normalized or shown or "").strip()
        if not key:
            continue
        counts[key] += 1
        shown_list = display.setdefault(key, [])
        if shown and shown not in shown_list and len(shown_list) < max_examples:
            shown_list.append(shown)
    groups = []
    for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0])):
        grams = shingles(key)
        best, best_score = None, 0.0
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


def summary(groups):
    return [(g.key, g.count, g.examples, dict(g.members)) for g in groups]


WORDS = [
    "食堂",
    "几点",
    "开饭",
    "请问",
    "截止",
    "时间",
    "补贴",
    "资金",
    "停车",
    "长沙",
    "材料",
    "哪里",
    "a",
    "b",
    "1",
]


@settings(max_examples=examples(300), deadline=None)
@given(
    texts=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map("".join), max_size=40
    ),
    threshold=st.sampled_from([0.0, 0.2, 0.4, 0.5, 0.75, 1.0, 1.2]),
)
def test_index_groups_exactly_like_comparing_every_group(texts, threshold):
    items = [(t, t + "？") for t in texts]
    assert summary(group_similar(items, threshold)) == summary(
        group_by_comparing_all(items, threshold)
    )


def distinct_questions(count: int, seed: int = 7):
    """Plausible, all different unanswered questions."""
    rng = random.Random(seed)
    pool = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
        "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
        "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
        "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
        "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
        "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
        "几九区强放决西被干做必战先回则任取据处府研"
    )
    seen = set()
    while len(seen) < count:
        length = rng.randint(6, 24)
        seen.add("".join(rng.choice(pool) for _ in range(length)))
    return sorted(seen)


def test_a_mixed_corpus_groups_like_comparing_every_group():
    rng = random.Random(3)
    base = distinct_questions(300, seed=11)
    texts = []
    for text in base:  # each with a few near-copies
        texts.append(text)
        for _ in range(rng.randint(0, 3)):
            chars = list(text)
            chars[rng.randrange(len(chars))] = rng.choice("问请吗呢")
            texts.append("".join(chars))
    items = [(t, t) for t in texts]
    grouped = group_similar(items)
    assert summary(grouped) == summary(group_by_comparing_all(items))
    assert len(grouped) < len(set(texts))  # near-copies did join their originals
