"""Entity matching (bot/answer/entities.py): 市州, applicant types and directions in what people
type."""

from __future__ import annotations

import pytest

from bot.answer.entities import EntityMatcher, english_plurals, group_values
from bot.answer.normalize import normalize


@pytest.fixture(scope="module")
def matcher(kb):
    return EntityMatcher(kb.entity_vocabulary())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("长沙市可以推荐几个", {"city": ["长沙市"]}),
        ("那株洲呢", {"city": ["株洲市"]}),
        ("湘西州几个名额", {"city": ["湘西土家族苗族自治州"]}),
        ("湘西土家族苗族自治州呢", {"city": ["湘西土家族苗族自治州"]}),
        ("我们是民营公司", {"applicant_type": ["enterprise"]}),
        ("湖南大学报什么方向", {"applicant_type": ["university"]}),
        ("中国科学院下属研究所", {"applicant_type": ["institute"]}),
        ("高新区能选几个方向", {"applicant_type": ["region"]}),
        ("带动大学生就业", {}),
        ("融通创新方向要求", {"direction": ["rongtong_chuangxin"]}),
        ("长沙和株洲各几个", {"city": ["长沙市", "株洲市"]}),
        ("今天天气", {}),
    ],
)
def test_entities(matcher, text, expected):
    assert group_values(matcher.find(normalize(text))) == expected


def test_entity_positions(matcher):
    [match] = matcher.find("那株洲呢")
    assert (match.start, match.end, match.text) == (1, 3, "株洲")


@pytest.mark.parametrize(
    "word, plurals",
    [("university", ("universities",)), ("company", ("companies",)), ("day", ()), ("大学", ())],
)
def test_english_plurals_the_substring_match_cannot_find(word, plurals):
    assert english_plurals(word) == plurals


@pytest.mark.parametrize(
    "text, value",
    [("And for universities?", "university"), ("What about companies?", "enterprise")],
)
def test_english_plural_applicant_types(matcher, text, value):
    found = group_values(matcher.find(normalize(text)))
    assert found.get("applicant_type") == [value]
