"""Normalisation (bot/answer/normalize.py, pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.normalize import (
    MAX_CHARS,
    canonical,
    canonical_char,
    canonical_with_offsets,
    normalize,
    valid_unicode,
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


@pytest.mark.parametrize(
    "raw, expected",
    [
        # voice-input homophones of the notice's words
        ("申报的油箱是多少", "申报的邮箱是多少"),
        ("通知的付件都有啥", "通知的附件都有啥"),
        ("节制日期是哪天", "截止日期是哪天"),
        ("推荐文件要装订几分", "推荐文件要装订几份"),
        ("纸质材料交几分", "纸质材料交几份"),
        ("省级双窗示范基地", "省级双创示范基地"),
        ("带动返乡农名工创业", "带动返乡农民工创业"),
        # left alone where the word means what it says
        ("要等几分钟", "要等几分钟"),
        ("评审打几分", "评审打几分"),
        ("要节制一点", "要节制一点"),
    ],
)
def test_homophones_of_voice_input(raw, expected):
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


# -- valid_unicode: what every channel does first ----------------------------------


def _noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _expected(text: str) -> str:
    """Written out independently: a high surrogate + low surrogate is one character, any
    other surrogate goes, and so does every noncharacter."""
    out, index = [], 0
    while index < len(text):
        code = ord(text[index])
        nxt = ord(text[index + 1]) if index + 1 < len(text) else 0
        if 0xD800 <= code <= 0xDBFF and 0xDC00 <= nxt <= 0xDFFF:
            code = 0x10000 + ((code - 0xD800) << 10) + (nxt - 0xDC00)
            index += 1
        index += 1
        if not (0xD800 <= code <= 0xDFFF or _noncharacter(code)):
            out.append(chr(code))
    return "".join(out)


@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)))
def test_valid_unicode_can_always_be_encoded_and_keeps_every_valid_character(text):
    clean = valid_unicode(text)
    clean.encode("utf-8")  # never raises
    assert clean == _expected(text)


@given(st.lists(st.sampled_from(["截", "\ud800", "\udc00", "\ud83d", "\ude00", "\ufffe", "a"])))
def test_valid_unicode_on_surrogate_soup(pieces):
    text = "".join(pieces)
    assert valid_unicode(text) == _expected(text)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("截止\ud800时间", "截止时间"),
        ("\udc00截止", "截止"),
        ("\ud83d\ude00", "\U0001f600"),  # a surrogate pair (two JSON escapes) is one emoji
        ("a\ufffeb\uffffc\U0010fffe", "abc"),
        ("plain", "plain"),
    ],
)
def test_valid_unicode_examples(raw, clean):
    assert valid_unicode(raw) == clean


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            "我哋系长沙一间科研院所，可唔可以报呢个示范基地㗎？",
            "我们是长沙一间科研院所,可不可以报这个示范基地?",
        ),
        ("咁我哋应该揀边个方向啊？", "那我们应该选哪个方向啊?"),
        ("紙本要交幾多份？", "纸质版要交多少份?"),
        ("材料交去边度", "材料交去哪里"),
        ("有冇模板", "有没有模板"),
        # Mandarin words that only look alike stay
        ("联系人和体系", "联系人和体系"),
        ("我们系的老师", "我们系的老师"),
    ],
)
def test_cantonese_words_read_as_mandarin(raw, expected):
    assert normalize(raw) == expected
