"""Grouping of similar questions (pure functions)."""

from bot.questionlog.similarity import group_similar, jaccard, nearest, shingles, similarity


def test_shingles_ignore_punctuation_and_case():
    assert shingles("截止？") == {"截止"}
    assert shingles("A") == {"a"}
    assert shingles("") == frozenset()


def test_similarity_bounds():
    assert similarity("截止时间", "截止时间") == 1.0
    assert similarity("截止时间", "停车场") == 0.0
    assert jaccard(frozenset(), frozenset({"x"})) == 0.0


def test_groups_most_frequent_first_with_examples():
    items = [("食堂几点开饭", "食堂几点开饭"), ("请问食堂几点开饭", "请问食堂几点开饭？"), ("食堂几点开饭", "食堂几点开饭"), ("怎么停车", "怎么停车")]
    groups = group_similar(items)
    assert [(g.key, g.count) for g in groups] == [("食堂几点开饭", 3), ("怎么停车", 1)]
    assert groups[0].examples == ["食堂几点开饭", "请问食堂几点开饭？"]


def test_nearest_faq():
    faq = [("deadline", ["申报截止时间是什么时候？", "截止日期是哪天"]), ("copies", ["纸质材料交几份？"])]
    assert nearest("截止日期是几号", faq)[0] == "deadline"
    assert nearest("纸质版交几份", faq)[0] == "copies"
    assert nearest("", faq) == (None, 0.0)
