"""Facts that follow from facts: quota totals and yes/no checks against quotas and the deadline.

Pure functions over the knowledge base and the (normalised) question; each
returns the values a message template in messages.yml needs, or None when the
question is not of its kind.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from bot.kb.facts import quota_list
from bot.kb.models import City, KnowledgeBase

TOTAL_CUES = (
    "加起来",
    "一共",
    "总共",
    "合计",
    "总计",
    "共计",
    "合起来",
    "总数",
    "加在一起",
    "加一块",
    "加在一块",
    "合在一起",
    "加到一起",
    "算在一起",
    "共能",
    "共可",
    "一起",
    "两个市",
    "两市",
    "三个市",
    "三市",
    "几个市加",
)
PROVINCE_CUES = ("全省", "所有市州", "各市州加起来", "14个市州", "十四个市州", "全部市州")
# “the other 市州” of the notice: all but the group it names (长株潭)
OTHERS_CUES = (
    "其他市州",
    "其他每个市州",
    "其余市州",
    "其他的市州",
    "以外的市州",
    "之外的市州",
    "除了长株潭",
    "除长株潭",
)
_EXCLUDING = re.compile(r"(?:除了|除去|除开|不算|不包括|不含)([^，,。；;？?！!]*)")
YES_NO_CUES = (
    "吗",
    "么",
    "吧",
    "能不能",
    "可不可以",
    "行不行",
    "可以不",
    "是否",
    "来得及",
    "赶得上",
    "行不",
    "没超",
    "超没超",
    "超不超",
    "够不够",
)
_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
# a number of applicants right after a verb of recommending (“推3个”, “报四家”, “推荐两个”)
_COUNT = re.compile(
    r"(?:推荐|推|申报|报送|报)\s*(\d{1,2}|[一二两三四五六七八九十])\s*(?:个|家|所|项|名)"
)
QUOTA_CUES = ("推荐", "推", "名额", "报几", "几个", "几家", "多少")
_FULL_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_DAY_ONLY = re.compile(r"(?<![\d月路街巷楼栋室区道])(\d{1,2})[日号](?![文楼院])")
_MONTH_ONLY = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(?:份|初|中旬|中|底|末|下旬|上旬)?(?!\d)")


def number(token: str) -> int:
    """A count written in digits or one Chinese numeral (“3”, “两”)."""
    return int(token) if token.isdigit() else _DIGITS[token]


@dataclass(frozen=True)
class QuotaTotal:
    cities: List[City]

    @property
    def total(self) -> int:
        return sum(c.quota for c in self.cities)


def quota_total(
    kb: KnowledgeBase, question: str, city_names: Sequence[str], about_quota: bool = False
) -> Optional[QuotaTotal]:
    """Several 市州 together (named, a group such as 长株潭, or the whole province);
    ``about_quota``: the conversation is about quotas already (“三个加起来呢”)."""
    if not about_quota and not any(cue in question for cue in QUOTA_CUES):
        return None
    cities = group_members(kb, question)
    wants_total = any(cue in question for cue in TOTAL_CUES)
    left_out = excluded_cities(kb, question)
    if left_out and wants_total:  # “除了长沙，其余市州加起来”: every 市州 but those
        return QuotaTotal([c for c in kb.cities if c not in left_out])
    if any(cue in question for cue in OTHERS_CUES):
        if not wants_total:
            return None  # “除了长株潭其他市州推荐几个”: each of the others, not the group's total
        named = {m for group in kb.cities_file.groups for m in group.members}
        return QuotaTotal([c for c in kb.cities if c.name not in named])
    if any(cue in question for cue in PROVINCE_CUES) or (
        wants_total and not cities and not city_names and "市州" in question
    ):
        return QuotaTotal(list(kb.cities))
    cities += [c for name in city_names if (c := kb.city(name)) and c not in cities]
    if len(cities) >= 2 and (wants_total or any(g.name in question for g in kb.cities_file.groups)):
        return QuotaTotal(cities)
    return None


def excluded_cities(kb: KnowledgeBase, question: str) -> List[City]:
    """The 市州 a question leaves out (“除了长沙”, “不算长株潭”), up to the end of its clause."""
    found: List[City] = []
    for match in _EXCLUDING.finditer(question):
        part = match.group(1)
        found += [c for c in group_members(kb, part) if c not in found]
        found += [
            c for c in kb.cities if c not in found and any(w in part for w in [c.name, *c.aliases])
        ]
    return found


def group_members(kb: KnowledgeBase, text: str) -> List[City]:
    """The 市州 of the groups (长株潭) a text names, each once."""
    cities: List[City] = []
    for group in kb.cities_file.groups:
        if any(word in text for word in [group.name, *group.aliases]):
            cities += [c for name in group.members if (c := kb.city(name)) and c not in cities]
    return cities


@dataclass(frozen=True)
class QuotaCheck:
    city: City
    asked: int

    @property
    def allowed(self) -> bool:
        return self.asked <= self.city.quota


def quota_check(
    kb: KnowledgeBase, question: str, city_names: Sequence[str]
) -> Optional[QuotaCheck]:
    """“衡阳能推荐3个吗”: one 市州 and a number, asked yes or no."""
    if len(city_names) != 1 or not any(cue in question for cue in YES_NO_CUES):
        return None
    city = kb.city(city_names[0])
    counts = [number(m.group(1)) for m in _COUNT.finditer(question)]
    if city is None or len(counts) != 1:
        return None
    return QuotaCheck(city, counts[0])


@dataclass(frozen=True)
class DeadlineCheck:
    asked: dt.date
    deadline: dt.date
    exact_day: bool

    @property
    def in_time(self) -> bool:
        return self.asked <= self.deadline


def _safe_date(year: int, month: int, day: int) -> Optional[dt.date]:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def deadline_check(kb: KnowledgeBase, question: str) -> Optional[DeadlineCheck]:
    """“11月30号交还来得及吗”: a date compared with the deadline (the notice's year unless
    given)."""
    if not any(cue in question for cue in YES_NO_CUES):
        return None
    deadline = kb.notice.deadline.date
    match = _FULL_DATE.search(question)
    if match:
        year = int(match.group(1) or deadline.year)
        asked = _safe_date(year, int(match.group(2)), int(match.group(3)))
        return DeadlineCheck(asked, deadline, True) if asked else None
    match = _DAY_ONLY.search(question)
    if match:
        asked = _safe_date(deadline.year, deadline.month, int(match.group(1)))
        return DeadlineCheck(asked, deadline, True) if asked else None
    match = _MONTH_ONLY.search(question)
    if match:
        year, month = int(match.group(1) or deadline.year), int(match.group(2))
        if not 1 <= month <= 12 or (year, month) == (deadline.year, deadline.month):
            return None  # the deadline's own month: which day decides
        first = dt.date(year, month, 1)
        return DeadlineCheck(first, deadline, False)
    return None


def quota_breakdown(kb: KnowledgeBase, cities: Sequence[City]) -> Dict[str, str]:
    return {"cities": "、".join(c.name for c in cities), "breakdown": quota_list(kb, cities, "，")}
