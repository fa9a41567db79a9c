"""What the conversation so far makes of a message: corrections, follow-ups, look-ups, and
totals, comparisons and yes/no checks over the facts.

- “湘潭能报几个” → “说错了，是衡阳” / “And Xiangtan?” / “那高校呢”: a message that only names a
  市州, a type of applicant or a direction (with “那…呢”, “说错了”, “And …?”) asks the previous
  question about it; a correction replaces the entity, a follow-up adds it.
- “两个加起来呢”, “加上株洲一共多少”, “长沙株洲湘潭三个加起来呢”: totals over the 市州 named
  now and before (``premises``).
- “所有市州名额都一样吗”, “一定要推满吗”, “株洲有4个名额吧”: yes or no first (``premises``).
- “0731-89991015是谁的电话”: what a value of the notice is (``lookup``).

:func:`understood` is asked by :func:`bot.answer.decision.decide` before the intent's own
branch; ``None`` leaves the message to it. The entities remembered between turns travel in the
``last_entities`` slot (:func:`remembered`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from bot.answer.derived import TOTAL_CUES, QuotaTotal, quota_check, quota_total
from bot.answer.english import english_topic, is_english
from bot.answer.entities import EntityMatcher
from bot.answer.lookup import LookupQuestion, dates_written, lookup_question, rest_of
from bot.answer.normalize import normalize
from bot.answer.premises import (
    CITY_COUNT_CUES,
    JOINED,
    Derived,
    about_quota,
    ceiling,
    claimed_quota,
    compare_quotas,
    copies_claim,
    english_check,
    total_values,
    why_more,
)
from bot.answer.replies import (
    faq_reply,
    render_message,
    render_template,
    with_english_lead,
)
from bot.kb.answers import answer_faq, source_note
from bot.kb.facts import chinese_date, memoized, static_facts
from bot.kb.models import City, KnowledgeBase
from bot.names import APPLICANT_TYPE, CITY, DIRECTION

KINDS = (CITY, APPLICANT_TYPE, DIRECTION)
QUOTA = "quota"
MEMORY = 4  # values of each kind remembered
CORRECTION_CUES = (
    "说错了",
    "错了",
    "打错字",
    "错字",
    "我要问的是",
    "搞错了",
    "打错了",
    "写错了",
    "弄错了",
    "口误",
    "不对",
    "不是这个",
    "我问的是",
    "我想问的是",
    "我是说",
    "我说的是",
    "我的意思是",
    "应该是",
    "更正",
    "sorry",
    "i meant",
    "i mean",
    "actually",
)
# what a follow-up may say besides the entity (longest first when removed)
FOLLOW_UP_WORDS = tuple(
    sorted(
        (
            *CORRECTION_CUES,
            "不好意思",
            "抱歉",
            "那么",
            "那",
            "呢",
            "的话",
            "如果是",
            "换成",
            "改成",
            "换",
            "不是",
            "是",
            "问",
            "一下",
            "再",
            "还有",
            "请问",
            "想",
            "我",
            "的",
            "呀",
            "啊",
            "哦",
            "噢",
            "嗯",
            "了",
            "又",
            "对于",
            "关于",
            "同样",
            "一样",
            "也",
            "市",
            "州",
        ),
        key=len,
        reverse=True,
    )
)
EN_FOLLOW_UP_WORDS = frozenset(
    [
        "and",
        "what",
        "about",
        "how",
        "for",
        "the",
        "a",
        "an",
        "then",
        "sorry",
        "i",
        "meant",
        "mean",
        "no",
        "not",
        "actually",
        "in",
        "of",
        "is",
        "it",
        "case",
        "same",
        "question",
        "instead",
        "ok",
        "okay",
        "oh",
        "please",
        "there",
        "that",
        "one",
        "with",
        "s",
        "as",
        "well",
        "too",
        "also",
        "city",
        "prefecture",
        "type",
        "applicant",
        "applicants",
    ]
)
EN_TOTAL_CUES = ("in total", "together", "combined", "altogether", "total", "sum")
SUM_CUES = ("总名额", "名额总", "总共", "加一起")
EN_PROVINCE_CUES = ("whole province", "entire province", "all cities", "every city", "province")
# “园区、企业、高校、科研院所，这几类是不是都能报”
ALL_CAN_CUES = ("都能", "都可以", "是不是都", "都有资格", "都可", "all of them", "all apply")
# A short follow-up about a detail of the previous answer (“在几楼” after the address), even
# when the model took it for small talk.
ATTRIBUTE_CUES: Dict[str, Tuple[str, ...]] = {
    "submission_address": (
        "几楼",
        "几层",
        "哪一层",
        "哪层",
        "楼层",
        "几号窗口",
        "哪个窗口",
        "floor",
    ),
    "contact": ("打给谁", "找谁", "哪位", "谁接", "手机"),
    "deadline": ("几号截止", "哪天截止", "几点"),
}
MAX_ATTRIBUTE_FOLLOW_UP = 12  # characters: longer messages say what they ask themselves
# “材料是交到…吗”, “申报材料送…对不对”: a place put forward for the materials
_HANDING_IN = re.compile(r"(材料|文件|纸质).{0,3}(交|送|寄|报)|(交|送|寄|报)(到|至|给|去)")
SUBMISSION_PLACE = "submission_address"
# “这个方向”: the direction the previous answer was about
THIS_DIRECTION_CUES = (
    "这个方向",
    "该方向",
    "这方向",
    "此方向",
    "这一方向",
    "that direction",
    "this direction",
)
DIRECTIONS = "directions"
EN_DEADLINE_CUES = ("submit", "hand in", "send", "deliver", "deadline", "late", "in time")
ADD_CUES = ("加上", "加", "再加", "plus", "and")
_HOW_MANY_NAMED = re.compile(r"(两|二|三|四|2|3|4)个")
_COUNTS = {"两": 2, "二": 2, "三": 3, "四": 4, "2": 2, "3": 3, "4": 4}
_PERMISSION = re.compile(r"(?:推荐|推|申报|报送|报)\s*(?:\d{1,2}|[一二两三四五六七八九十])")


@dataclass(frozen=True)
class Understood:
    text: str
    topic: str  # the FAQ entry it answers
    clause: Optional[str]
    entities: Dict[str, List[str]]  # what the answer was about (remembered)
    replaces: bool = False  # a correction: forget what the previous answer was about


def _matcher(kb: KnowledgeBase) -> EntityMatcher:
    return memoized(kb, "context_entity_matcher", lambda: EntityMatcher(kb.entity_vocabulary()))


def _own(kb: KnowledgeBase, today: dt.date):
    return lambda name, **values: render_message(kb, name, today, **values)


def remembered(
    last_topic: Optional[str],
    last_entities: Mapping[str, Sequence[str]],
    topic: Optional[str],
    entities: Mapping[str, Sequence[str]],
    replaces: bool = False,
) -> Dict[str, List[str]]:
    """The entities to remember after answering ``topic`` about ``entities``: on the same topic
    they add to what was remembered (a correction replaces its kind), otherwise they start anew."""
    memory: Dict[str, List[str]] = {}
    for kind in KINDS:
        new = list(entities.get(kind) or [])
        old = list(last_entities.get(kind) or []) if topic and topic == last_topic else []
        if replaces and new:
            old = []
        values = list(dict.fromkeys([v for v in old if v not in new] + new))[-MEMORY:]
        if values:
            memory[kind] = values
    return memory


def is_correction(text: str) -> bool:
    return any(cue in normalize(text) for cue in CORRECTION_CUES)


def only_names_entities(kb: KnowledgeBase, text: str) -> bool:
    """The message names a 市州/type/direction and otherwise only says “那…呢”, “说错了，是…”,
    “And …?”, “What about …?”."""
    text = normalize(text)
    matches = _matcher(kb).find(text)
    if not matches:
        return False
    rest = list(text)
    for match in matches:
        rest[match.start : match.end] = [" "] * (match.end - match.start)
    remaining = "".join(rest)
    words = re.findall(r"[a-z][a-z']*", remaining)
    if any(word not in EN_FOLLOW_UP_WORDS for word in words):
        return False
    remaining = re.sub(r"[a-z']+", " ", remaining)
    for word in FOLLOW_UP_WORDS:
        remaining = remaining.replace(word, " ")
    return not re.sub(r"[\W_\d]", "", remaining)


def corrects_entity(kb: KnowledgeBase, text: str) -> bool:
    """“错了，我要问的是韶山那边，湘潭市”: a correction naming a 市州/type and no other topic."""
    text = normalize(text)
    if not is_correction(text) or not _matcher(kb).find(text):
        return False
    return not any(normalize(k) in text for e in kb.faq for k in e.keywords)


def follow_up(
    kb: KnowledgeBase, text: str, entities: Mapping[str, Sequence[str]], last_topic: Optional[str]
) -> Optional[Tuple[str, bool]]:
    """(the topic, whether it corrects) of a message that asks the previous question again about
    another 市州/type/direction; None otherwise."""
    if kb.faq_entry(last_topic or "") is None:
        return None
    if not (only_names_entities(kb, text) or corrects_entity(kb, text)):
        return None
    kinds = [kind for kind in KINDS if entities.get(kind)]
    if not kinds:
        return None
    entry = kb.faq_entry(last_topic or "")
    if not (entry and entry.when and any(getattr(entry.when, kind) for kind in kinds)):
        return None  # the previous answer has nothing particular to say about it
    return entry.id, is_correction(text)


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
    own = _own(kb, today)
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


def _asked_topic(kb: KnowledgeBase, rest: str, english: bool) -> Optional[str]:
    """The FAQ topic a look-up's remaining words ask about (“咨询电话是…吗” → contact)."""
    if english:
        return english_topic(rest, kb.english)
    found = [e.id for e in kb.faq for k in e.keywords if normalize(k) in rest]
    if not found and _HANDING_IN.search(rest) and kb.faq_entry(SUBMISSION_PLACE):
        return SUBMISSION_PLACE  # “材料是交到…吗”: where the materials go
    return found[0] if found else None


def lookup_reply(
    kb: KnowledgeBase, text: str, question: LookupQuestion, today: dt.date
) -> Understood:
    facts = static_facts(kb)
    first = question.lookups[0]
    clause = facts[first.fact].clause if first.fact in facts else None

    def explained(lookup) -> str:
        parts = []
        if question.english and lookup.explanation_en:
            parts.append(render_template(kb, lookup.explanation_en, today))
        parts.append(render_template(kb, lookup.explanation, today))
        return "\n".join(parts)

    asked = _asked_topic(kb, rest_of(kb, text), question.english) if question.claim else None
    if asked and kb.faq_entry(asked):
        answer = answer_faq(kb, asked, {}, today)
        if all(lookup.topic == asked for lookup in question.lookups):
            verdict = render_message(kb, "claim_yes", today)
        else:
            wrong = [lk for lk in question.lookups if lk.topic != asked]
            explanation = "\n".join(explained(lk) for lk in wrong)
            verdict = render_message(kb, "claim_no", today, explanation=explanation)
        body = f"{verdict}\n{answer.text if answer else ''}".strip()
        return Understood(with_english_lead(kb, text, body), asked, kb.faq_entry(asked).clause, {})
    explanation = "\n".join(explained(lookup) for lookup in question.lookups)
    body = render_message(
        kb,
        "lookup",
        today,
        explanation=explanation,
        source=source_note(kb, clause) if clause else "",
    )
    return Understood(with_english_lead(kb, text, body), first.topic, clause, {})


def understood(
    kb: KnowledgeBase,
    text: str,
    entities: Mapping[str, Sequence[str]],
    last_topic: Optional[str],
    last_entities: Mapping[str, Sequence[str]],
    today: dt.date,
) -> Optional[Understood]:
    """The reply the conversation so far and the facts give ``text``; None: the intent's own."""
    question = normalize(text)
    looked_up = lookup_question(kb, question)
    if looked_up:
        return lookup_reply(kb, question, looked_up, today)
    quota = quota_reply(kb, question, entities, last_topic, last_entities, today)
    if quota:
        derived, cities = quota
        entry = kb.faq_entry(QUOTA)
        clause = entry.clause if entry else kb.cities_file.quota_clause
        if derived.message == JOINED:
            body = derived.values["text"]
        else:
            body = render_message(kb, derived.message, today, **derived.values)
        body = f"{body}\n{source_note(kb, clause)}"
        remembered_cities = {CITY: [c.name for c in cities]} if cities else {}
        return Understood(
            with_english_lead(kb, question, body), QUOTA, clause, remembered_cities, bool(cities)
        )
    checked = (
        english_deadline_check(kb, question, today)
        or all_types_can_apply(kb, question, entities, today)
        or copies_reply(kb, question, today)
    )
    if checked:
        return checked
    pointed = this_direction(kb, question, entities, last_topic, last_entities, today)
    if pointed:
        return pointed
    asked_again = follow_up(kb, question, entities, last_topic)
    if asked_again:
        topic, corrects = asked_again
        kinds = {k: list(entities.get(k) or []) for k in KINDS if entities.get(k)}
        reply = faq_reply(kb, topic, question, kinds, today)
        if reply is not None:
            return Understood(reply.text, topic, reply.clause, kinds, corrects)
    return attribute_follow_up(kb, question, last_topic, today)


def english_deadline_check(kb: KnowledgeBase, text: str, today: dt.date) -> Optional[Understood]:
    """“Could we still submit on November 30, 2021?”: the date against the deadline."""
    if not is_english(text) or not any(cue in text for cue in EN_DEADLINE_CUES):
        return None
    deadline = kb.notice.deadline.date
    dates = dates_written(text, deadline.year)
    entry = kb.faq_entry("deadline")
    if len(dates) != 1 or entry is None:
        return None
    name = "deadline_check_yes" if dates[0] <= deadline else "deadline_check_no"
    body = render_message(kb, name, today, asked_date=chinese_date(dates[0]))
    body = f"{body}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def all_types_can_apply(
    kb: KnowledgeBase, text: str, entities: Mapping[str, Sequence[str]], today: dt.date
) -> Optional[Understood]:
    """“园区、企业、高校、科研院所，这几类是不是都能报”: yes, and who may apply."""
    types = entities.get(APPLICANT_TYPE) or []
    entry = kb.faq_entry("eligibility")
    if len(types) < 2 or entry is None or not any(cue in text for cue in ALL_CAN_CUES):
        return None
    answer = answer_faq(kb, entry.id, {}, today)
    body = f"{render_message(kb, 'claim_yes', today)}\n{answer.text if answer else ''}".strip()
    remembered_types = {APPLICANT_TYPE: list(types)}
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, remembered_types
    )


def this_direction(
    kb: KnowledgeBase,
    text: str,
    entities: Mapping[str, Sequence[str]],
    last_topic: Optional[str],
    last_entities: Mapping[str, Sequence[str]],
    today: dt.date,
) -> Optional[Understood]:
    """“那这个方向主要支持哪些人群” after “高校报什么方向”: the direction answered before."""
    if last_topic != DIRECTIONS or entities.get(DIRECTION):
        return None
    if not any(cue in text for cue in THIS_DIRECTION_CUES):
        return None
    directions = list(last_entities.get(DIRECTION) or [])
    kind = kb.applicant_type((last_entities.get(APPLICANT_TYPE) or [None])[-1])
    if not directions and kind and kind.default_direction:
        directions = [kind.default_direction]
    if len(directions) != 1:
        return None
    reply = faq_reply(kb, DIRECTIONS, text, {DIRECTION: directions}, today)
    if reply is None:
        return None
    return Understood(reply.text, DIRECTIONS, reply.clause, {DIRECTION: directions})


def copies_reply(kb: KnowledgeBase, text: str, today: dt.date) -> Optional[Understood]:
    """“纸质材料交一份就行吗”: yes or no, then the copies the notice asks for."""
    derived = copies_claim(kb, text)
    entry = kb.faq_entry("copies")
    if derived is None or entry is None:
        return None
    body = render_message(kb, derived.message, today, **derived.values)
    body = f"{body}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def attribute_follow_up(
    kb: KnowledgeBase, text: str, last_topic: Optional[str], today: dt.date
) -> Optional[Understood]:
    """“在几楼” after “材料交到哪里”: the previous answer again (it holds the detail)."""
    question = normalize(text)
    cues = ATTRIBUTE_CUES.get(last_topic or "")
    entry = kb.faq_entry(last_topic or "")
    if not cues or entry is None or len(question) > MAX_ATTRIBUTE_FOLLOW_UP:
        return None
    if not any(cue in question for cue in cues):
        return None
    answer = answer_faq(kb, entry.id, {}, today)
    if answer is None:
        return None
    text = with_english_lead(kb, question, answer.text, entry.id, today)
    return Understood(text, entry.id, entry.clause, {})
