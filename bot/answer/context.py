"""What the conversation so far makes of a message: corrections, follow-ups, look-ups, and
totals, comparisons and yes/no checks over the facts.

- “湘潭能报几个” → “说错了，是衡阳” / “And Xiangtan?” / “那高校呢”: a message that only names a
  市州, a type of applicant or a direction (with “那…呢”, “说错了”, “And …?”) asks the previous
  question about it; a correction replaces the entity, a follow-up adds it.
- “两个加起来呢”, “加上株洲一共多少”, “长沙株洲湘潭三个加起来呢”: totals over the 市州 named
  now and before (``premises``).
- “所有市州名额都一样吗”, “一定要推满吗”, “株洲有4个名额吧”: yes or no first (``premises``).
- “0731-89991015是谁的电话”: what a value of the notice is (``lookup``).
- “这个日子是我们企业交的时间吗”, “企业和高校的方向一样吗”: other yes/no checks (``verdicts``).

:func:`understood` is asked by :func:`bot.answer.decision.decide` before the intent's own
branch; ``None`` leaves the message to it. The entities remembered between turns travel in the
``last_entities`` slot (:func:`remembered`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from bot.answer.entities import EntityMatcher
from bot.answer.lookup import lookup_question
from bot.answer.normalize import normalize
from bot.answer.premises import (
    JOINED,
)
from bot.answer.quota_context import QUOTA, quota_reply
from bot.answer.replies import (
    faq_reply,
    render_message,
    with_english_lead,
)
from bot.answer.verdicts import (
    DIRECTIONS,
    Understood,
    all_types_can_apply,
    copies_reply,
    date_claim,
    direction_supports,
    directions_compared,
    english_deadline_check,
    english_verdict,
    lookup_reply,
    selection_premise,
    whose_deadline,
)
from bot.kb.answers import answer_faq, source_note
from bot.kb.facts import memoized
from bot.kb.models import KnowledgeBase
from bot.names import APPLICANT_TYPE, CITY, DIRECTION

KINDS = (CITY, APPLICANT_TYPE, DIRECTION)
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
    "其实",
)
# words that make a follow-up one about the application, not about the web page
APPLICATION_WORDS = ("申报", "材料", "政策")
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
            "吗",
            "吧",
            "么",
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
            "我们",
            "单位",
            "在",
            "这边",
            "那边",
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


def _matcher(kb: KnowledgeBase) -> EntityMatcher:
    return memoized(kb, "context_entity_matcher", lambda: EntityMatcher(kb.entity_vocabulary()))


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
    if entry is None:
        return None
    # an answer with nothing particular to say about it (the deadline) is the same for it
    return entry.id, is_correction(text)


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
    premise = whose_deadline(kb, question, last_topic, today) or selection_premise(
        kb, question, today
    )
    if premise:
        return premise
    claimed = date_claim(kb, question, today)
    if claimed:
        return claimed
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
            body = english_verdict(kb, question, derived.message, today, **derived.values)
            body += render_message(kb, derived.message, today, **derived.values)
        body = f"{body}\n{source_note(kb, clause)}"
        remembered_cities = {CITY: [c.name for c in cities]} if cities else {}
        return Understood(
            with_english_lead(kb, question, body), QUOTA, clause, remembered_cities, bool(cities)
        )
    checked = (
        english_deadline_check(kb, question, today)
        or direction_supports(kb, question, entities, today)
        or all_types_can_apply(kb, question, entities, today)
        or directions_compared(kb, question, entities, today)
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
