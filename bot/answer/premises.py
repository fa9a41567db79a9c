"""Questions about the quotas that the facts decide: yes or no first, then the fact.

“所有市州名额都一样吗” → 不是 + the quotas by size; “株洲和湘潭名额一样吗”, “长沙比衡阳多几个”,
“哪个市州名额最多”, “哪些市州能推3个”; “一定要推满吗” → the quota is a ceiling, not a target;
“株洲有4个名额吧” → 不是, 3. Pure functions: each returns the name of a messages.yml sentence
and its values, or None when the question is not of its kind. The numbers are the ones in
knowledge/cities.yml, never written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from bot.answer.derived import OTHERS_CUES, QUOTA_CUES, YES_NO_CUES, number, quota_breakdown
from bot.kb.facts import quota_list
from bot.kb.models import City, KnowledgeBase

EN_QUOTA_CUES = ("quota", "places", "slots", "recommend", "how many", "nominat")
SAME_CUES = ("一样", "相同", "同样多", "一致", "same", "equal")
ALL_CUES = (
    "所有",
    "每个",
    "每一个",
    "各个",
    "各市州",
    "全部",
    "都是",
    "都一样",
    "every",
    "all ",
    "each",
)
MORE_CUES = (
    "比",
    "相差",
    "差几",
    "差多少",
    "谁多",
    "谁少",
    "谁的名额多",
    "谁的名额少",
    "哪个多",
    "哪个少",
    "哪个的名额多",
    "more than",
    "fewer than",
    "difference",
    "which has more",
)
WHY_CUES = ("为什么", "为啥", "凭什么", "why")
# “有几个市州”: how many 市州 have a quota, not the quota
CITY_COUNT_CUES = ("几个市州", "多少个市州", "几个市", "多少市州", "how many cities")
# a reply already rendered (several sentences): ``values["text"]``
JOINED = ""
MOST_CUES = ("最多的", "最少的", "最多是哪", "最少是哪", "most", "fewest", "least")
EXTREME_WORDS = ("最多", "最少", "最大", "最小")
WHICH_CUES = ("哪", "which")
CITY_WORDS = ("市州", "城市", "地市", "which", "cities")
FEWEST = ("最少", "最小", "fewest", "least")
# the quota is a ceiling: “一定要推满吗”, “名额是必须完成的任务吗”
CEILING_CUES = (
    "推满",
    "报满",
    "用满",
    "用完",
    "推够",
    "报够",
    "凑够",
    "凑满",
    "满3",
    "满三",
    "满4",
    "满四",
    "满2",
    "满两",
    "满额",
    "足额",
    "完成",
    "任务",
    "硬性",
    "必须推",
    "必须报",
    "一定要推",
    "一定要报",
    "fill",
    "use up",
    "use all",
    "target",
    "must we",
    "have to recommend",
)
_NUMBER = r"(\d{1,2}|[一二两三四五六七八九十])"
# “每个市州都是2个名额吗”, “是不是每个市州都只能推两个”
_ALL_ARE = re.compile(rf"都(?:是|只能|只|能|可以)?(?:推荐|推|报)?\s*{_NUMBER}\s*(?:个|家)")
# “有4个名额”, “名额是3个”, “是2个吗”: a figure put forward to be confirmed
_CLAIMED = re.compile(rf"(?:有|是|就|只有|共有){_NUMBER}\s*(?:个|家)|{_NUMBER}\s*(?:个|家)名额")
_EN_COUNT = re.compile(
    r"recommend\s+(\d{1,2})\b|\b(\d{1,2})\s+(?:bases|applicants|entities|units|places)"
)
_EN_YES_NO = ("can ", "could ", "may ", "is it ok", "is it possible", "are we allowed")
_COPIES = re.compile(r"一式\s*(\d{1,2}|[一二两三四五六七八九十])\s*份")
_ASKED_COPIES = re.compile(r"(?:一式|交|要|是|送|准备)?\s*(\d{1,2}|[一二两三四五六七八九十])\s*份")
# the paper copies are meant (not “一份方案”)
COPIES_CUES = ("纸质", "一式", "份数", "纸版", "打印", "装订", "交", "送", "报送", "寄")
MORE_OTHERS_CUES = ("别的市州", "别的市", "其他市", "其余市")
_WHICH_COUNT = re.compile(rf"{_NUMBER}\s*(?:个|家)")


@dataclass(frozen=True)
class Derived:
    message: str  # the messages.yml sentence
    values: Dict[str, str]


def about_quota(text: str) -> bool:
    return any(cue in text for cue in QUOTA_CUES + EN_QUOTA_CUES) or "名额" in text


def grouped_quotas(kb: KnowledgeBase, render_own) -> str:
    """“长沙市不超过4个，株洲市、湘潭市各不超过3个，其他市州各不超过2个”: the quotas by
    size, the largest group of equal quotas last as “the other 市州” (as the notice puts it)."""
    by_quota: Dict[int, List[City]] = {}
    for city in kb.cities:
        by_quota.setdefault(city.quota, []).append(city)
    largest = max(by_quota.values(), key=len)
    parts = []
    for quota in sorted(by_quota, reverse=True):
        cities = by_quota[quota]
        if cities is largest and len(by_quota) > 1 and len(cities) > 1:
            continue
        if len(cities) == 1:
            parts.append(render_own("fact_quota_item", city=cities[0].name, quota=str(quota)))
        else:
            names = "、".join(c.name for c in cities)
            parts.append(render_own("fact_quota_group", cities=names, quota=str(quota)))
    if len(largest) > 1 and len(by_quota) > 1:
        parts.append(render_own("fact_quota_others", quota=str(largest[0].quota)))
    return "，".join(parts)


def compare_quotas(
    kb: KnowledgeBase, text: str, cities: Sequence[City], render_own
) -> Optional[Derived]:
    """Same or not, more by how many, the most or fewest, which have N."""
    if any(cue in text for cue in SAME_CUES) or _ALL_ARE.search(text):
        if len(cities) >= 2:
            return _same(kb, cities)
        if not cities and any(cue in text for cue in ALL_CUES):
            if len({c.quota for c in kb.cities}) == 1:
                return _same(kb, list(kb.cities))
            return Derived("quota_not_all_same", {"grouped": grouped_quotas(kb, render_own)})
    if len(cities) == 2 and any(cue in text for cue in MORE_CUES):
        first, second = cities
        if first.quota == second.quota:
            return _same(kb, cities)
        more, less = (first, second) if first.quota > second.quota else (second, first)
        return Derived(
            "quota_difference",
            {
                "more": more.name,
                "less": less.name,
                "difference": str(more.quota - less.quota),
                "breakdown": quota_list(kb, cities, "，"),
            },
        )
    if len(cities) == 1 and any(cue in text for cue in MORE_CUES + SAME_CUES):
        return _against_the_others(kb, text, cities[0], render_own)
    if not cities:
        asks_which = any(cue in text for cue in WHICH_CUES)
        extreme = any(cue in text for cue in MOST_CUES) or (
            asks_which and any(w in text for w in EXTREME_WORDS)
        )
        if extreme:
            return _extremes(kb, text, render_own)
        counts = [number(m.group(1)) for m in _WHICH_COUNT.finditer(text)]
        counting = any(cue in text for cue in CITY_COUNT_CUES)
        if (asks_which or counting) and len(counts) == 1 and any(w in text for w in CITY_WORDS):
            having = [c.name for c in kb.cities if c.quota == counts[0]]
            if having:
                values = {"cities": "、".join(having), "quota": str(counts[0])}
                return Derived("quota_with_value", {**values, "count": str(len(having))})
            return Derived("quota_with_value_none", {"quota": str(counts[0])})
    return None


def _against_the_others(kb: KnowledgeBase, text: str, city: City, render_own) -> Optional[Derived]:
    """“长沙比其他市州多几个”: one 市州 against the notice's “other 市州”."""
    if not any(cue in text for cue in OTHERS_CUES + MORE_OTHERS_CUES):
        return None
    grouped = {m for group in kb.cities_file.groups for m in group.members}
    others = [c for c in kb.cities if c.name not in grouped and c.name != city.name]
    if not others or len({c.quota for c in others}) != 1:
        return None
    other = others[0].quota
    mine = render_own("fact_quota_item", city=city.name, quota=str(city.quota))
    breakdown = f"{mine}，{render_own('fact_quota_others', quota=str(other))}"
    if city.quota == other:
        return Derived("quota_same_yes", {"cities": city.name, "quota": str(other)})
    name = "quota_more_than_others" if city.quota > other else "quota_fewer_than_others"
    values = {"city": city.name, "difference": str(abs(city.quota - other))}
    return Derived(name, {**values, "breakdown": breakdown})


def copies_claim(kb: KnowledgeBase, text: str) -> Optional[Derived]:
    """“纸质材料交一份就行吗”, “是一式两份对吧”: the number of paper copies put forward."""
    if "份" not in text or not any(cue in text for cue in YES_NO_CUES + ("对吧", "对不对")):
        return None
    if not any(cue in text for cue in COPIES_CUES):
        return None  # “评分细则能发一份吗”, “是要编一份实施方案吧”: not the paper copies
    copies = kb.notice.facts.get("copies")
    required = _COPIES.search(copies.text) if copies else None
    asked = [number(m.group(1)) for m in _ASKED_COPIES.finditer(text)]
    if required is None or len(asked) != 1:
        return None
    wanted = number(required.group(1))
    values = {"asked": str(asked[0])}
    return Derived("copies_claim_yes" if asked[0] == wanted else "copies_claim_no", values)


def _extremes(kb: KnowledgeBase, text: str, render_own) -> Derived:
    """The most, the fewest, or both (“最多能推几个，最少的又是几个”)."""
    wanted = []
    if any(word in text for word in ("最多", "最大", "most")):
        wanted.append(False)
    if any(cue in text for cue in FEWEST):
        wanted.append(True)
    parts = []
    for fewest in wanted or [False]:
        quota = (min if fewest else max)(c.quota for c in kb.cities)
        names = "、".join(c.name for c in kb.cities if c.quota == quota)
        name = "quota_least" if fewest else "quota_most"
        parts.append(render_own(name, cities=names, quota=str(quota)))
    return Derived(JOINED, {"text": "\n".join(parts)})


def why_more(text: str, on_quota: bool) -> Optional[Derived]:
    """“为什么长沙比别的市多”: the notice's reason."""
    more_or_fewer = any(word in text for word in ("多", "少", "more", "fewer"))
    if on_quota and more_or_fewer and any(cue in text for cue in WHY_CUES):
        return Derived("quota_why", {})
    return None


def _same(kb: KnowledgeBase, cities: Sequence[City]) -> Derived:
    if len({c.quota for c in cities}) == 1:
        names = "、".join(c.name for c in cities)
        return Derived("quota_same_yes", {"cities": names, "quota": str(cities[0].quota)})
    return Derived("quota_same_no", {"breakdown": quota_list(kb, cities, "，")})


def ceiling(kb: KnowledgeBase, text: str, city: Optional[City], render_own) -> Optional[Derived]:
    """“一定要推满吗”: the quota is a ceiling, not a target."""
    if not any(cue in text for cue in CEILING_CUES):
        return None
    if city is not None:
        limit = render_own("fact_quota_item", city=city.name, quota=str(city.quota))
    else:
        limit = quota_list(kb, kb.cities, "，")
    return Derived("quota_ceiling", {"limit": limit})


def claimed_quota(text: str, city: Optional[City]) -> Optional[Derived]:
    """“株洲有4个名额吧”: a figure for one 市州 put forward to be confirmed."""
    if city is None or not any(cue in text for cue in YES_NO_CUES + ("对", "是")):
        return None
    figures = [number(g) for m in _CLAIMED.finditer(text) for g in m.groups() if g]
    if len(figures) != 1:
        return None
    values = {"city": city.name, "quota": str(city.quota), "asked": str(figures[0])}
    return Derived("quota_claim_yes" if figures[0] == city.quota else "quota_claim_no", values)


def english_check(text: str, city: Optional[City]) -> Optional[Derived]:
    """“Can Hengyang recommend 3?”"""
    if city is None or not text.lstrip().startswith(_EN_YES_NO):
        return None
    figures = [int(g) for m in _EN_COUNT.finditer(text) for g in m.groups() if g]
    if len(figures) != 1:
        return None
    name = "quota_check_yes" if figures[0] <= city.quota else "quota_check_no"
    return Derived(name, {"city": city.name, "quota": str(city.quota), "asked": str(figures[0])})


def total_values(kb: KnowledgeBase, cities: Sequence[City]) -> Dict[str, str]:
    return {"total": str(sum(c.quota for c in cities)), **quota_breakdown(kb, cities)}
