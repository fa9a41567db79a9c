"""Yes/no checks over the facts, answered yes or no first, and their first words in English.

“11月28号是我们企业交的时间吗” → 不是 (the 市州 submit by the deadline); “只要市里推荐了，省里就一定
认定吗” → 不一定; “纸质材料交一份就行吗” → 不行; “企业和高校的方向一样吗” → 不一样; “园区、企业、
高校、科研院所都能报吗” → 是的; “Could we still submit on November 30?” → Too late. An English
question gets the verdict in English first (:func:`english_verdict`, messages.yml ``en_*``).
A value of the notice put forward (“咨询电话是0731-89990919吗”) is confirmed or corrected, and a
value asked about is explained (:func:`lookup_reply`, knowledge/lookups.yml).
Asked by :func:`bot.answer.context.understood`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

from bot.answer.english import english_dates, english_topic, is_english
from bot.answer.lookup import CLAIM_MARKS, NOT_CLAIMS, LookupQuestion, dates_written, rest_of
from bot.answer.normalize import normalize
from bot.answer.premises import copies_claim
from bot.answer.replies import render_message, render_template, with_english_lead
from bot.kb.answers import answer_faq, source_note
from bot.kb.facts import chinese_date, static_facts
from bot.kb.models import KnowledgeBase
from bot.names import APPLICANT_TYPE, DIRECTION

# “园区、企业、高校、科研院所，这几类是不是都能报”
ALL_CAN_CUES = ("都能", "都可以", "是不是都", "都有资格", "都可", "all of them", "all apply")


# “11月28号是我们企业交的时间吗”: the deadline is the 市州's, not the applicant's
THIS_DAY_CUES = (
    "这个日子",
    "这个时间",
    "这个日期",
    "这一天",
    "这天",
    "这个截止",
    "截止时间",
    "截止日期",
    "截止",
)


APPLICANT_CUES = ("我们", "企业", "单位", "自己", "我司", "学校", "园区", "申报单位")


HANDING_CUES = ("交", "报", "送", "提交")


WHOSE_TIME_CUES = ("交的", "报的", "送的", "的时间", "还是", "的截止")


# “评审以后定的吗”, “推荐了就一定认定吗”: the selection, yes or not necessarily
SELECTION_CUES = ("评审", "认定", "评上", "入选", "选上", "确定名单", "定名单", "名单", "择优")


GUARANTEE_CUES = ("一定", "肯定", "都能", "都会", "保证", "必然", "就能", "就会")
# another way to pick put forward (“是不是先到先得来定名单”): the notice selects the best
OTHER_WAYS_TO_PICK = (
    "先后顺序",
    "先到先得",
    "先来后到",
    "抽签",
    "摇号",
    "谁先交",
    "排队",
    "按时间先后",
)


DIRECTIONS = "directions"


SUPPORT_CHECK_CUES = ("吗", "吧", "是不是", "算不算", "属不属于", "对不对", "对吗")


DIRECTION_SAME_CUES = ("一样", "相同", "同一个", "一致", "same")


EN_DEADLINE_CUES = ("submit", "hand in", "send", "deliver", "deadline", "late", "in time")

# “截止日期是11月30号对吧”, “The deadline is November 30, right?”: a day put forward as the deadline
DEADLINE_WORDS = ("截止", "最后期限", "deadline", "due date", "closing date")
EN_CONFIRM_CUES = ("right", "correct", "isn't it", "is it", "true")
PUBLISHED_WORDS = ("印发", "发布", "发文", "下发", "落款", "出台", "issued", "published")
# the notice's dates a day may be put forward as: (words naming it, FAQ entry, date, messages)
DATE_CLAIMS = (
    (DEADLINE_WORDS, "deadline", lambda kb: kb.notice.deadline.date, "deadline_claim"),
    (PUBLISHED_WORDS, "notice_info", lambda kb: kb.notice.notice.published, "published_claim"),
)


@dataclass(frozen=True)
class Understood:
    text: str
    topic: str  # the FAQ entry it answers
    clause: Optional[str]
    entities: Dict[str, List[str]]  # what the answer was about (remembered)
    replaces: bool = False  # a correction: forget what the previous answer was about


# the English first words of a yes/no or derived reply (messages.yml en_*), by the Chinese one
ENGLISH_VERDICTS = {
    **dict.fromkeys(
        (
            "claim_yes",
            "quota_check_yes",
            "quota_claim_yes",
            "quota_same_yes",
            "copies_claim_yes",
            "directions_same_yes",
            "deadline_claim_yes",
            "published_claim_yes",
            "direction_supports_yes",
        ),
        "en_yes",
    ),
    **dict.fromkeys(
        (
            "claim_no",
            "quota_check_no",
            "quota_claim_no",
            "quota_same_no",
            "quota_not_all_same",
            "copies_claim_no",
            "directions_same_no",
            "deadline_who_no",
            "deadline_claim_no",
            "published_claim_no",
            "selection_other_way_no",
            "direction_supports_no",
        ),
        "en_no",
    ),
    "quota_total": "en_quota_total",
    "quota_ceiling": "en_quota_ceiling",
    "quota_difference": "en_quota_difference",
    "quota_more_than_others": "en_quota_difference",
    "quota_fewer_than_others": "en_quota_difference",
    "deadline_check_yes": "en_in_time",
    "deadline_check_no": "en_too_late",
    "selection_not_guaranteed": "en_not_guaranteed",
}


def english_verdict(kb: KnowledgeBase, text: str, name: str, today: dt.date, **values: str) -> str:
    """For an English question, the verdict of the Chinese sentence ``name`` in English and a
    line break (“Yes.”, “Together: at most 10.”); otherwise nothing."""
    english = ENGLISH_VERDICTS.get(name)
    if english is None or not is_english(text):
        return ""
    dates = english_dates(kb.notice.deadline.date, kb.notice.notice.published)
    wanted = {k: v for k, v in {**values, **dates}.items() if k in ENGLISH_VALUES.get(english, ())}
    return render_message(kb, english, today, **wanted) + "\n"


ENGLISH_VALUES = {
    "en_quota_total": ("total",),
    "en_quota_difference": ("difference",),
    "en_in_time": ("deadline_en",),
    "en_too_late": ("deadline_en",),
}


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
    body = english_verdict(kb, text, name, today)
    body += render_message(kb, name, today, asked_date=chinese_date(dates[0]))
    body = f"{body}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def date_claim(kb: KnowledgeBase, text: str, today: dt.date) -> Optional[Understood]:
    """“截止日期是11月30号对吧”, “通知是11月28号印发的吧” → 不是, then the notice's date. Not
    “11月30号交还来得及吗”: a day to hand in on (``deadline_check`` compares it)."""
    kinds = [kind for kind in DATE_CLAIMS if any(word in text for word in kind[0])]
    if len(kinds) != 1:
        return None
    _, topic, date_of, message = kinds[0]
    entry = kb.faq_entry(topic)
    if entry is None:
        return None
    if is_english(text):
        confirms = any(cue in text for cue in EN_CONFIRM_CUES)
    else:
        confirms = any(mark in text for mark in CLAIM_MARKS)
    if not confirms or any(word in text for word in NOT_CLAIMS):
        return None
    date = date_of(kb)
    dates = set(dates_written(text, date.year))
    if len(dates) != 1:
        return None
    (asked,) = dates
    name = f"{message}_yes" if asked == date else f"{message}_no"
    body = english_verdict(kb, text, name, today)
    body += render_message(kb, name, today, asked_date=chinese_date(asked))
    body = f"{body}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def direction_supports(
    kb: KnowledgeBase, text: str, entities: Mapping[str, Sequence[str]], today: dt.date
) -> Optional[Understood]:
    """“退役军人算不算创业就业方向支持的对象” → 是的; “农民工是全球化创业方向的吧” → 不是 (the
    direction whose ``supports`` name them)."""
    named = {d.id: d for d in map(kb.direction, entities.get(DIRECTION) or []) if d}
    if len(named) != 1 or not any(cue in text for cue in SUPPORT_CHECK_CUES):
        return None
    found = [(len(w), w, d) for d in kb.directions for w in d.supports if w in text]
    if not found:
        return None
    _, group, supporting = max(found, key=lambda item: item[0])
    (asked,) = named.values()
    name = "direction_supports_yes" if supporting.id == asked.id else "direction_supports_no"
    values = dict(group=group, direction=asked.name, supporting=supporting.name)
    values["description"] = f"{supporting.focus}。{supporting.description}".replace("\n", "")
    said = english_verdict(kb, text, name, today) + render_message(kb, name, today, **values)
    body = f"{said}\n{source_note(kb, supporting.clause)}"
    return Understood(
        with_english_lead(kb, text, body, DIRECTIONS, today),
        DIRECTIONS,
        supporting.clause,
        {DIRECTION: [supporting.id]},
    )


def directions_compared(
    kb: KnowledgeBase, text: str, entities: Mapping[str, Sequence[str]], today: dt.date
) -> Optional[Understood]:
    """“企业和高校的方向一样吗”: yes or no, then each type's direction."""
    types = [t for t in (kb.applicant_type(v) for v in entities.get(APPLICANT_TYPE) or []) if t]
    entry = kb.faq_entry(DIRECTIONS)
    if len(types) < 2 or entry is None or not any(cue in text for cue in DIRECTION_SAME_CUES):
        return None
    if not any(word in text for word in ("方向", "direction")):
        return None
    same = len({t.default_direction for t in types}) == 1 and types[0].default_direction
    name = "directions_same_yes" if same else "directions_same_no"
    verdict = english_verdict(kb, text, name, today) + render_message(kb, name, today)
    kinds = {APPLICANT_TYPE: [t.id for t in types]}
    answer = answer_faq(kb, entry.id, kinds, today)
    body = f"{verdict}\n{answer.text if answer else ''}".strip()
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, kinds
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
    verdict = english_verdict(kb, text, "claim_yes", today) + render_message(kb, "claim_yes", today)
    body = f"{verdict}\n{answer.text if answer else ''}".strip()
    remembered_types = {APPLICANT_TYPE: list(types)}
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, remembered_types
    )


def copies_reply(kb: KnowledgeBase, text: str, today: dt.date) -> Optional[Understood]:
    """“纸质材料交一份就行吗”: yes or no, then the copies the notice asks for."""
    derived = copies_claim(kb, text)
    entry = kb.faq_entry("copies")
    if derived is None or entry is None:
        return None
    body = english_verdict(kb, text, derived.message, today)
    body += render_message(kb, derived.message, today, **derived.values)
    body = f"{body}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def whose_deadline(
    kb: KnowledgeBase, text: str, last_topic: Optional[str], today: dt.date
) -> Optional[Understood]:
    """“11月28号前是我们企业交，还是市里报到省里的时间”, “这个日子是我们企业交的时间吗”: the
    deadline is the 市州 commissions', the applicant hands in earlier."""
    entry = kb.faq_entry("deadline")
    if entry is None or not any(cue in text for cue in APPLICANT_CUES):
        return None
    deadline = kb.notice.deadline.date
    named = deadline in dates_written(text, deadline.year)
    pointed = last_topic == entry.id and any(cue in text for cue in THIS_DAY_CUES)
    if not (named or pointed) or not any(cue in text for cue in HANDING_CUES):
        return None
    if not any(cue in text for cue in ("吗", "还是", "是不是", "么")):
        return None
    if not any(cue in text for cue in WHOSE_TIME_CUES):
        return None  # “截止时间我们还能交吗” asks something else
    name = "deadline_who_which" if "还是" in text else "deadline_who_no"
    said = english_verdict(kb, text, name, today) + render_message(kb, name, today)
    body = f"{said}\n{source_note(kb, entry.clause)}"
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


def selection_premise(kb: KnowledgeBase, text: str, today: dt.date) -> Optional[Understood]:
    """“只要市里推荐了，省里就一定认定吗” → 不一定; “结果是省发改委评审以后定的吗” → 是的;
    “是不是先到先得来定名单” → 不是."""
    entry = kb.faq_entry("selection")
    if entry is None or not any(cue in text for cue in SELECTION_CUES):
        return None
    if not any(cue in text for cue in ("吗", "么", "是不是", "对吧")):
        return None
    if any(cue in text for cue in GUARANTEE_CUES):
        verdict = "selection_not_guaranteed"
    elif any(way in text for way in OTHER_WAYS_TO_PICK):
        verdict = "selection_other_way_no"
    elif (
        "评审" in text
        and any(w in text for w in ("省发改委", "省发展改革委", "省里"))
        and any(w in text for w in ("定的", "确定", "决定", "定名单", "选出"))
    ):
        verdict = "claim_yes"
    else:
        return None
    answer = answer_faq(kb, entry.id, {}, today)
    said = english_verdict(kb, text, verdict, today) + render_message(kb, verdict, today)
    body = f"{said}\n{answer.text if answer else ''}".strip()
    return Understood(
        with_english_lead(kb, text, body, entry.id, today), entry.id, entry.clause, {}
    )


# “材料是交到…吗”, “申报材料送…对不对”: a place put forward for the materials
_HANDING_IN = re.compile(r"(材料|文件|纸质).{0,3}(交|送|寄|报)|(交|送|寄|报)(到|至|给|去)")


SUBMISSION_PLACE = "submission_address"


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
            name, values = "claim_yes", {}
        else:
            wrong = [lk for lk in question.lookups if lk.topic != asked]
            name, values = "claim_no", {"explanation": "\n".join(explained(lk) for lk in wrong)}
        verdict = render_message(kb, name, today, **values)
        body = f"{verdict}\n{answer.text if answer else ''}".strip()
        said = english_verdict(kb, text, name, today)
        lead = with_english_lead(kb, text, body, asked, today, verdict=said)
        return Understood(lead, asked, kb.faq_entry(asked).clause, {})
    explanation = "\n".join(explained(lookup) for lookup in question.lookups)
    body = render_message(
        kb,
        "lookup",
        today,
        explanation=explanation,
        source=source_note(kb, clause) if clause else "",
    )
    return Understood(with_english_lead(kb, text, body), first.topic, clause, {})
