"""Normalisation (bot/answer/normalize.py, pure functions)."""

from __future__ import annotations

import pytest

from bot.answer.normalize import (
    MAX_CHARS,
    canonical,
    canonical_char,
    canonical_with_offsets,
    normalize,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("申報截止時間", "申报截止时间"),
        ("湖南省發展和改革委員會", "湖南省发展和改革委员会"),
        ("ＡＢＣ１２３？", "abc123?"),
        ("  长沙   能报  几个 ", "长沙 能报 几个"),
        ("/goodbye", "goodbye"),
        ("／greet", "greet"),
        ("截止时间😀👍", "截止时间"),
        ("截止\u200b时\u200d间\ufeff", "截止时间"),  # zero-width characters
        ("截止\x1b时间\u202e", "截止时间"),  # control and bidi characters
        ("１３９\u3000１２３４", "139 1234"),
        ("٣٤٥ ①", "345 1"),  # any decimal digit, circled numbers
        ("第一行\r\n\t第二行", "第一行 第二行"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["ａ\u200bｂ　 c", "x١٢y", "⑴", "\u200b", "  a  "])
def test_canonical_offsets_point_at_the_source(raw):
    text, origin = canonical_with_offsets(raw)
    assert len(text) == len(origin) and origin == sorted(origin)
    assert canonical(raw) == text.strip()
    for ch, index in zip(text, origin, strict=True):
        assert ch == " " or ch in canonical_char(raw[index])


def test_normalize_caps_huge_input():
    assert len(normalize("长" * 200_000)) == MAX_CHARS


def test_knowledge_text_is_normalised_whole():
    text = "申報材料　" * 200  # 1,000 characters: a clause, or all questions of a FAQ entry
    assert normalize(text, limit=None) == ("申报材料 " * 200).strip()
    assert normalize(text, limit=10) == "申报材料 申报材料 "[:10]
