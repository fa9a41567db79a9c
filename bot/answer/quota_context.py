"""Totals, comparisons, ceilings and yes/no checks about the quotas, in a conversation.

“两个加起来呢”, “加上株洲一共多少”, “长沙株洲湘潭三个加起来呢”: totals over the 市州 named now and
before; “跟长沙比少几个”: a comparison with the 市州 asked about before; “那能推5个吗”: a check
against its quota. Computed from knowledge/cities.yml (``premises``), never typed into an answer.
Asked by :func:`bot.answer.context.understood`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List, Mapping, Optional, Sequence, Tuple

from bot.answer.derived import TOTAL_CUES, QuotaTotal, quota_check, quota_total
from bot.answer.english import english_topic, is_english
from bot.answer.premises import (
    CITY_COUNT_CUES,
    Derived,
    about_quota,
    ceiling,
    claimed_quota,
    compare_quotas,
    english_check,
    total_values,
    why_more,
)
from bot.answer.replies import render_message
from bot.kb.models import City, KnowledgeBase
from bot.names import CITY

QUOTA = "quota"
EN_TOTAL_CUES = (
    "in total",
    "together",
    "combined",
    "altogether",
    "total",
    "sum",
    "whole province",
    "entire province",
    "across the province",
)
SUM_CUES = ("总名额", "名额总", "总共", "加一起")
EN_PROVINCE_CUES = ("whole province", "entire province", "all cities", "every city", "province")
_HOW_MANY_NAMED = re.compile(r"(两|二|三|四|2|3|4)个")
_COUNTS = {"两": 2, "二": 2, "三": 3, "四": 4, "2": 2, "3": 3, "4": 4}
_PERMISSION = re.compile(r"(?:推荐|推|申报|报送|报)\s*(?:\d{1,2}|[一二两三四五六七八九十])")


def own_messages(kb: KnowledgeBase, today: dt.date):
    return lambda name, **values: render_message(kb, name, today, **values)


def _cities(kb: KnowledgeBase, names: Sequence[str]) -> List[City]:
    return [c for name in names if (c := kb.city(name))]


def _total_cities(
    kb: KnowledgeBase, text: str, here: List[City], remembered_cities: List[City]
) -> List[City]:
    """The 市州 of a total: named now; with fewer than two, added to those named before
    (“两个加起来呢” → the last two)."""
    if len(here) >= 2:
        return here
    named = _HOW_MANY_NAMED.search(text)
    before = [c for c in remembered_cities if c not in here]
    if named and not here:
        before = before[-_COUNTS[named.group(1)] :]
    return before + here


def _wants_total(text: str, named: int = 0) -> bool:
    """A total is asked (“加起来”, “in total”, “加上株洲”, with two 市州 “湘潭+娄底”)."""
    return (
        any(cue in text for cue in TOTAL_CUES + EN_TOTAL_CUES + SUM_CUES)
        or text.startswith("加上")
        or (named >= 2 and "+" in text)
    )


def quota_reply(
    kb: KnowledgeBase,
    text: str,
    entities: Mapping[str, Sequence[str]],
    last_topic: Optional[str],
    last_entities: Mapping[str, Sequence[str]],
    today: dt.date,
) -> Optional[Tuple[Derived, List[City]]]:
    """A total, comparison, ceiling or yes/no about the quotas (and the 市州 it was about)."""
    english = is_english(text)
    on_quota = last_topic == QUOTA
    here = _cities(kb, entities.get(CITY) or [])
    asked = (
        about_quota(text)
        or on_quota
        or (english and english_topic(text, kb.english) == QUOTA)
        or (len(here) >= 2 and _wants_total(text, len(here)))
    )
    if not asked:
        return None
    before = _cities(kb, last_entities.get(CITY) or []) if on_quota else []
    own = own_messages(kb, today)
    counting = any(cue in text for cue in CITY_COUNT_CUES)  # “一共有几个市州”: not a total
    if _wants_total(text, len(here)) and not counting:
        cities = _total_cities(kb, text, here, before)
        if english and not here and any(cue in text for cue in EN_PROVINCE_CUES):
            cities = list(kb.cities)
        names = [c.name for c in cities]
        total = quota_total(kb, text, names, about_quota=True)
        if total is None and len(cities) >= 2:
            total = QuotaTotal(cities)
        if total is not None:
            return Derived("quota_total", total_values(kb, total.cities)), total.cities
    compared = compare_quotas(kb, text, here, own)
    if compared is None and len(here) == 1 and before and before[-1] != here[0]:
        compared = compare_quotas(kb, text, [before[-1], here[0]], own)  # “跟长沙比少几个”
        here = [before[-1], here[0]] if compared else here
    if compared:
        return compared, here
    why = why_more(text, on_quota or about_quota(text))
    if why:
        return why, here
    city = here[0] if len(here) == 1 else (before[-1] if not here and before else None)
    for derived in (ceiling(kb, text, city, own), english_check(text, city)):
        if derived:
            return derived, [city] if city else []
    if not _PERMISSION.search(text):
        claimed = claimed_quota(text, city)
        if claimed:
            return claimed, [city] if city else []
    if city is not None and not here:  # “那能推5个吗” about the 市州 asked before
        check = quota_check(kb, text, [city.name])
        if check:
            name = "quota_check_yes" if check.allowed else "quota_check_no"
            values = {"city": city.name, "quota": str(city.quota), "asked": str(check.asked)}
            return Derived(name, values), [city]
    return None
