"""Marking questions as not covered by the notice: not_in_notice.yml through the checked write."""

from __future__ import annotations

from bot.kb.edit import AddSimilar, MarkNotInNotice, apply_edits
from bot.kb.load import load_knowledge


def topic(directory, topic_id):
    return next(t for t in load_knowledge(directory).not_in_notice.topics if t.id == topic_id)


def test_a_new_topic(knowledge_copy):
    result = apply_edits(
        knowledge_copy,
        [MarkNotInNotice("parking", "停车", ["停车"], ["现场能停车吗", "停车场在哪"])],
    )
    assert result.written and not result.problems
    parking = topic(knowledge_copy, "parking")
    assert parking.name == "停车" and parking.keywords == ["停车"] and len(parking.examples) == 2
    assert "topics:" in (knowledge_copy / "not_in_notice.yml").read_text(encoding="utf-8")
    assert (knowledge_copy / "not_in_notice.yml").read_text(encoding="utf-8").startswith("#")


def test_an_existing_topic_gets_new_keywords_and_examples_once(knowledge_copy):
    before = topic(knowledge_copy, "fee")
    edit = MarkNotInNotice(
        "fee", "ignored for an existing topic", ["报名费用", "收费"], ["报名费用多少"]
    )
    assert apply_edits(knowledge_copy, [edit]).written
    after = topic(knowledge_copy, "fee")
    assert after.name == before.name
    assert after.keywords == [*before.keywords, "报名费用"]
    assert after.examples == [*before.examples, "报名费用多少"]
    again = apply_edits(knowledge_copy, [edit])
    assert not again.written and again.skipped


def test_an_example_without_a_keyword_is_refused_and_nothing_is_written(knowledge_copy):
    before = (knowledge_copy / "not_in_notice.yml").read_text(encoding="utf-8")
    faq_before = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    result = apply_edits(
        knowledge_copy,
        [
            AddSimilar("deadline", ["到底哪天截止呀"]),
            MarkNotInNotice("parking", "停车", ["停车"], ["没有关键词的例句"]),
        ],
    )
    assert not result.written and any("关键词" in str(p) for p in result.problems)
    assert (knowledge_copy / "not_in_notice.yml").read_text(encoding="utf-8") == before
    assert (knowledge_copy / "faq.yml").read_text(encoding="utf-8") == faq_before


def test_markup_in_a_keyword_is_neutralised(knowledge_copy):
    apply_edits(
        knowledge_copy, [MarkNotInNotice("parking", "停车", ["[停车](city)"], ["停车\n方便吗"])]
    )
    parking = topic(knowledge_copy, "parking")
    assert parking.keywords == ["停车"] and parking.examples == ["停车 方便吗"]
