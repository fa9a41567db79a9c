"""Read the self-check answers the way applicants type them (pure functions).

Numbers: ``120``, ``1.5万``, ``三百万``, ``百分之十五``, ``15%``, ``约200人``, ``2,000``, ``两千``.
Yes/no: 是/有/对/符合/已… and 没有/否/不是/尚未…; 不知道 is neither.
市州, applicant types and directions: ``bot.answer.entities.EntityMatcher`` over the knowledge
vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

import cn2an

from bot.answer.entities import EntityMatcher
from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase

MULTIPLIERS = {"千万": 1e7, "百万": 1e6, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}
MONEY_UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8}
CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERAL = f"[{CN_DIGITS}十百千万亿点]+"
ARABIC = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(千万|百万|亿|万|千|百)?")
CHINESE = re.compile(CN_NUMERAL)
PERCENT_WORDS = re.compile(rf"百分之\s*(\d+(?:\.\d+)?|{CN_NUMERAL})")
PERCENT_SIGN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|个百分点|个点)")
VAGUE = ("几", "若干", "好多", "很多", "不少", "一些")
ZERO_WORDS = {"没有", "无", "暂无", "零", "0", "没"}

SKIP_WORDS = ("跳过", "略过", "下一题", "下一个", "先不答", "不答", "不填", "pass", "skip")
UNKNOWN = (
    "不知道",
    "不清楚",
    "不确定",
    "不一定",
    "说不准",
    "不好说",
    "说不好",
    "不太清楚",
    "不了解",
)
NEGATIVE = (
    "没有",
    "没",
    "无",
    "否",
    "不是",
    "不符合",
    "不具备",
    "不满足",
    "尚未",
    "还没",
    "未",
    "不",
    "暂无",
    "暂时没有",
    "不对",
)
POSITIVE = (
    "是",
    "有",
    "对",
    "符合",
    "具备",
    "满足",
    "已",
    "已经",
    "嗯",
    "好",
    "可以",
    "当然",
    "肯定",
    "确定",
    "具有",
    "做到",
    "开展了",
    "没错",
    "没问题",
    "有的",
    "是的",
    "对的",
    "行",
)
WHOLE_WORD_YES = {"y", "yes", "ok", "true", "1"}
WHOLE_WORD_NO = {"n", "no", "false", "0"}
CORRECTION_CUES = (
    "不对",
    "不是",
    "改成",
    "改为",
    "换成",
    "换为",
    "其实",
    "应该是",
    "我们是",
    "改选",
    "更正",
    "重新选",
    "搞错",
    "错了",
    "改一下",
)


@dataclass(frozen=True)
class ParsedNumber:
    value: float
    scaled: bool  # the applicant wrote 万/亿/元 — the value is absolute, not in the asked unit


def clean(text: str | None) -> str:
    return normalize(text or "").strip(" 。.!！?？~～")


def _chinese_to_number(token: str) -> float | None:
    token = token.strip("点")
    if not token or all(ch in "万亿" for ch in token):
        return None
    try:
        if "点" in token and token[-1] in "万亿":
            return float(cn2an.cn2an(token[:-1], "smart")) * MULTIPLIERS[token[-1]]
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def _is_year(text: str, match: re.Match) -> bool:
    """近三年 / 2019年 are periods, not the answer."""
    return text[match.end() : match.end() + 1] == "年"


def parse_number(text: str | None) -> ParsedNumber | None:
    """The first number in ``text``; None when there is none or it is vague (几十、若干)."""
    cleaned = clean(text)
    if not cleaned or any(word in cleaned for word in VAGUE):
        return None
    if cleaned in ZERO_WORDS:
        return ParsedNumber(0.0, False)
    arabic = next((m for m in ARABIC.finditer(cleaned) if not _is_year(cleaned, m)), None)
    chinese = next(
        (
            m
            for m in CHINESE.finditer(cleaned)
            if not _is_year(cleaned, m) and _chinese_to_number(m.group(0)) is not None
        ),
        None,
    )
    if arabic and (chinese is None or arabic.start() <= chinese.start()):
        value = float(arabic.group(1).replace(",", "") + (arabic.group(2) or ""))
        suffix = arabic.group(3)
        if suffix:
            value *= MULTIPLIERS[suffix]
        rest = cleaned[arabic.end() :]
        return ParsedNumber(
            value, suffix in ("万", "亿", "千万", "百万") or rest.startswith(("元", "亿", "万"))
        )
    if chinese:
        token = chinese.group(0)
        value = _chinese_to_number(token)
        rest = cleaned[chinese.end() :]
        return ParsedNumber(
            float(value), any(ch in token for ch in "万亿") or rest.startswith("元")
        )
    return None


def parse_percent(text: str | None) -> float | None:
    """15%, 百分之十五, 15个百分点, or a bare 15 → 15.0 (percent points)."""
    cleaned = clean(text)
    words = PERCENT_WORDS.search(cleaned)
    if words:
        token = words.group(1)
        return float(token) if token[0].isdigit() else _chinese_to_number(token)
    sign = PERCENT_SIGN.search(cleaned)
    if sign:
        return float(sign.group(1))
    number = parse_number(cleaned)
    return None if number is None or number.scaled else number.value


def parse_amount(text: str | None, kind: str, unit: str | None) -> float | None:
    """An answer to an indicator of ``kind`` in the indicator's ``unit`` (e.g. 三百万 → 300 for
    万元)."""
    if kind == "percent":
        return parse_percent(text)
    number = parse_number(text)
    if number is None:
        return None
    if kind == "money" and number.scaled:
        return round(number.value / MONEY_UNITS.get(unit or "元", 1.0), 4)
    return number.value


def _scan(text: str, vocabulary: Dict[str, bool | None]) -> Tuple[str, bool | None] | None:
    lengths = sorted({len(w) for w in vocabulary}, reverse=True)
    for position in range(len(text)):
        for length in lengths:
            word = text[position : position + length]
            if word in vocabulary:
                return word, vocabulary[word]
    return None


_YES_NO: Dict[str, bool | None] = {
    **{w: True for w in POSITIVE},
    **{w: False for w in NEGATIVE},
    **{w: None for w in UNKNOWN},
}


def parse_yes_no(text: str | None) -> bool | None:
    """True / False from the first decisive word (有，没问题 → True; 还没有 → False); None when
    unclear."""
    cleaned = clean(text)
    if cleaned in WHOLE_WORD_YES:
        return True
    if cleaned in WHOLE_WORD_NO:
        return False
    hit = _scan(cleaned, _YES_NO)
    return hit[1] if hit else None


def is_skip(text: str | None) -> bool:
    cleaned = clean(text)
    return any(word in cleaned for word in SKIP_WORDS)


def is_correction(text: str | None) -> bool:
    cleaned = clean(text)
    return any(cue in cleaned for cue in CORRECTION_CUES)


_matchers: Dict[int, Tuple[KnowledgeBase, EntityMatcher]] = {}


def matcher_for(kb: KnowledgeBase) -> EntityMatcher:
    cached = _matchers.get(id(kb))
    if cached is None or cached[0] is not kb:
        _matchers.clear()
        cached = (kb, EntityMatcher(kb.entity_vocabulary()))
        _matchers[id(kb)] = cached
    return cached[1]


def find_values(kb: KnowledgeBase, text: str | None, entity: str) -> List[str]:
    """Canonical values of ``entity`` (city / applicant_type / direction) named in ``text``, in
    order."""
    values: List[str] = []
    for match in matcher_for(kb).find(clean(text)):
        if match.entity == entity and match.value not in values:
            values.append(match.value)
    return values


def parse_applicant_type(kb: KnowledgeBase, text: str | None) -> str | None:
    found = find_values(kb, text, "applicant_type")
    if len(found) == 1:
        return found[0]
    return kb.applicant_type(clean(text)).id if kb.applicant_type(clean(text)) else None


def parse_city(kb: KnowledgeBase, text: str | None) -> str | None:
    found = find_values(kb, text, "city")
    if len(found) == 1:
        return found[0]
    return kb.city(text).name if kb.city(text) else None


ORDINALS = {"1": 0, "2": 1, "3": 2, "4": 3, "一": 0, "二": 1, "三": 2, "四": 3}
ACCEPT_DEFAULT = ("默认", "就按", "按这个", "按通知", "就这个", "同意", "不换", "不改", "不用换")


def parse_direction(kb: KnowledgeBase, text: str | None, default: str | None) -> str | None:
    """A direction id: named, by number (1-4 / 第二个), or the default when the applicant agrees."""
    found = find_values(kb, text, "direction")
    if len(found) == 1:
        return found[0]
    if found:
        return None
    cleaned = clean(text)
    ordinal = re.fullmatch(r"(?:第|选)?\s*([1-4一二三四])\s*(?:个|项|号)?(?:方向)?", cleaned)
    if ordinal:
        return (
            kb.directions[ORDINALS[ordinal.group(1)]].id
            if ORDINALS[ordinal.group(1)] < len(kb.directions)
            else None
        )
    if default and (
        any(word in cleaned for word in ACCEPT_DEFAULT) or parse_yes_no(cleaned) is True
    ):
        return default
    return None
