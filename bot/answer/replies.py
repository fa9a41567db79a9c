"""Compose the reply to one question from the knowledge base (pure functions).

The NLU decides *what* was asked (a FAQ topic, or a route set by
``bot.answer.routing``: a clause of the notice, something the notice does not cover);
this module decides what to say: the FAQ answer, a fact derived from facts
(totals, yes/no), a policy document, a quoted clause, or the honest reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from bot.answer.derived import deadline_check, quota_breakdown, quota_check, quota_total
from bot.answer.english import english_dates, is_english
from bot.answer.normalize import normalize
from bot.kb.answers import answer_faq, human_contacts, source_note
from bot.kb.facts import (
    FactValue,
    chinese_date,
    deadline_status,
    memoized,
    render,
    static_facts,
)
from bot.kb.models import KnowledgeBase
from bot.names import NOT_IN_NOTICE

NOTICE_CLAUSE = "notice_clause"
BLOCKED = "blocked"
MAX_ECHOED_TERMS = 2
# A follow-up that asks about an attribute of the previous answer (“电子版也是这个时间吗”
# after the deadline) stays with the previous topic.
ATTRIBUTE_CUES = {"deadline": ("时间", "截止", "期限", "日期", "几号", "哪天", "同一天", "同时")}
FOLLOW_UP_MARKERS = ("也", "同样", "一样", "那", "还是")


@dataclass(frozen=True)
class Reply:
    text: str
    topic: Optional[str]  # FAQ id, "notice_clause", "not_in_notice"
    clause: Optional[str] = None


def follow_up_topic(
    intent: Optional[str], last_topic: Optional[str], question: str
) -> Optional[str]:
    cues = ATTRIBUTE_CUES.get(last_topic or "")
    if (
        cues
        and intent != last_topic
        and any(cue in question for cue in cues)
        and any(marker in question for marker in FOLLOW_UP_MARKERS)
    ):
        return last_topic
    return intent


def render_message(kb: KnowledgeBase, name: str, today: dt.date, /, **values: str) -> str:
    """The fixed sentence ``name`` of messages.yml with facts, contacts, deadline status and
    ``values`` (computed once per knowledge base, day, name and values: the channels and
    the actions render the same few sentences on every message)."""
    key = ("render_message", name, today, tuple(sorted(values.items())))
    return memoized(kb, key, lambda: _render_message(kb, name, today, values))


def _render_message(kb: KnowledgeBase, name: str, today: dt.date, values: Dict[str, str]) -> str:
    return render_template(kb, kb.message(name), today, **values)


def render_template(kb: KnowledgeBase, template: str, today: dt.date, /, **values: str) -> str:
    """A staff-written ``template`` (messages.yml, lookups.yml) with the static facts,
    ``{contacts}``, ``{deadline_status}`` and ``values``."""
    facts: Dict[str, FactValue] = dict(static_facts(kb))
    facts["contacts"] = FactValue(human_contacts(kb), kb.notice.contacts.clause)
    facts["deadline_status"] = FactValue(deadline_status(kb, today), kb.notice.deadline.clause)
    for key, value in values.items():
        facts[key] = FactValue(value, "")
    return render(template, facts).strip()


def with_english_lead(
    kb: KnowledgeBase,
    question: str,
    text: str,
    topic: Optional[str] = None,
    today: Optional[dt.date] = None,
) -> str:
    """An English question's reply: the notice is in Chinese, the fact in English (the
    ``topic``'s answer of knowledge/english.yml, dates in English), then the Chinese answer."""
    if not (kb.english and is_english(question)):
        return text
    template = next(
        (t.answer for t in kb.english.topics if topic and t.faq == topic and t.answer), None
    )
    if template is None:
        return f"{kb.english.lead}\n{text}"
    dates = english_dates(kb.notice.deadline.date, kb.notice.notice.published)
    plain = render_template(kb, template, today or dt.date.today(), **dates)
    return f"{kb.english.lead}\n{plain}\n{text}"


def blocked_words(kb: KnowledgeBase) -> List[str]:
    """knowledge/blocked_words.yml, normalised as questions are."""
    return [normalize(w) for w in (kb.blocked_words.words if kb.blocked_words else []) if w.strip()]


def _echoable(term: str, blocked: Sequence[str] = ()) -> bool:
    """Only short Chinese words, none from the blocked list, are ever repeated back."""
    return (
        2 <= len(term) <= 8
        and all("\u4e00" <= ch <= "\u9fff" for ch in term)
        and not any(word in term or term in word for word in blocked)
    )


def not_in_notice_reply(
    kb: KnowledgeBase, question: str, entities: Dict[str, List[str]], today: dt.date
) -> Reply:
    if is_english(question):
        return Reply(render_message(kb, "english_not_in_notice", today), NOT_IN_NOTICE)
    asked = render_message(kb, "asked_default", today)
    silent_ids = entities.get("silent_topic") or []
    topics = {t.id: t for t in (kb.not_in_notice.topics if kb.not_in_notice else [])}
    if silent_ids and silent_ids[0] in topics:
        asked = topics[silent_ids[0]].name
    else:
        blocked = blocked_words(kb)
        terms = [t for t in entities.get("unknown_term") or [] if _echoable(t, blocked)]
        if terms:
            asked = "、".join(f"“{t}”" for t in terms[:MAX_ECHOED_TERMS])
    return Reply(render_message(kb, NOT_IN_NOTICE, today, asked=asked), NOT_IN_NOTICE)


def blocked_reply(
    kb: KnowledgeBase, entities: Dict[str, List[str]], today: dt.date
) -> Optional[Reply]:
    if not entities.get(BLOCKED):
        return None
    return Reply(render_message(kb, BLOCKED, today), BLOCKED)


def clause_reply(
    kb: KnowledgeBase, entities: Dict[str, List[str]], today: dt.date
) -> Optional[Reply]:
    numbers = entities.get(NOTICE_CLAUSE) or []
    quotes = entities.get("notice_quote") or []
    clause = kb.clause(numbers[0]) if numbers else None
    if clause is None or not quotes or not all(q in clause.text for q in quotes):
        return None  # only ever quote the notice's own words
    text = render_message(
        kb,
        NOTICE_CLAUSE,
        today,
        clause=clause.clause + (f"（{clause.title}）" if clause.title else ""),
        quote="".join(quotes),
        source=source_note(kb, clause.clause),
    )
    return Reply(text, NOTICE_CLAUSE, clause.clause)


def _derived_reply(
    kb: KnowledgeBase, topic: str, question: str, entities: Dict[str, List[str]], today: dt.date
) -> Optional[str]:
    cities = entities.get("city") or []
    if topic == "quota":
        total = quota_total(kb, question, cities)
        if total:
            values = quota_breakdown(kb, total.cities)
            return render_message(kb, "quota_total", today, total=str(total.total), **values)
        check = quota_check(kb, question, cities)
        if check:
            name = "quota_check_yes" if check.allowed else "quota_check_no"
            return render_message(
                kb,
                name,
                today,
                city=check.city.name,
                quota=str(check.city.quota),
                asked=str(check.asked),
            )
    if topic == "deadline":
        check = deadline_check(kb, question)
        if check:
            name = "deadline_check_yes" if check.in_time else "deadline_check_no"
            asked = (
                chinese_date(check.asked)
                if check.exact_day
                else f"{check.asked.year}年{check.asked.month}月"
            )
            return render_message(kb, name, today, asked_date=asked)
    return None


def _documents_reply(kb: KnowledgeBase, numbers: Sequence[str], today: dt.date) -> Optional[str]:
    documents = [d for d in kb.notice.policy_basis.documents if d.number in numbers]
    if not documents:
        return None
    parts = [
        render_message(kb, "policy_document", today, title=d.title, number=d.number)
        for d in documents
    ]
    return "\n".join(parts)


def faq_reply(
    kb: KnowledgeBase, topic: str, question: str, entities: Dict[str, List[str]], today: dt.date
) -> Optional[Reply]:
    entry = kb.faq_entry(topic)
    if entry is None:
        return None
    special = _derived_reply(kb, topic, question, entities, today)
    if special is None and topic == "policy_basis":
        special = _documents_reply(kb, entities.get("policy_document") or [], today)
    if special is not None:
        text = f"{special}\n{source_note(kb, entry.clause)}"
    else:
        answer = answer_faq(kb, topic, entities, today)
        text = answer.text if answer else ""
    return Reply(with_english_lead(kb, question, text, topic, today), topic, entry.clause)
