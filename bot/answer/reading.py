"""Read the whole message: which of its clauses ask, and which only say who asks, why, or thanks.

Applicants write “老师您好，我是邵阳经开区管委会的小刘，领导交代下周要把材料送上去，想跟您确认下
省里收材料的地点和窗口，麻烦了”. Only one clause asks; the others are greetings, a
self-introduction, a reason and thanks. :func:`read` splits a (normalised) message into
clauses and sorts them (``bot.answer.clauses``: ask, courtesy, preamble, condition, aside).

The questions of the message are its ``ask`` clauses. Two neighbouring ones are one
question when the second only points back (“…，是哪天”, “可以吗”) or both name the
same FAQ topic; otherwise each is its own question (up to :data:`MAX_QUESTIONS`). A
clause that is not a question is kept in front of a question that needs it (“材料的地址和截止
时间，能告诉我吗”); an aside is set apart, but the 市州 / applicant type / direction it names
is carried to the question (“我们是益阳的一家公司 … 报什么方向” → “公司,报什么方向”).

A bare keyword list (“邮箱 份数 联系人”, “截止？份数？邮箱？”, “1.截止时间 2.报送地点”) is one
question per topic word (``bot.answer.keyword_list``). What the reading knows from knowledge/ —
topic keywords, 市州 / type / direction words — is ``bot.answer.vocabulary``.

The router (``bot.answer.routing``) reads the same way: a word used in passing — in the
introduction, the reason, the thanks — never becomes the subject of a “the notice does not say
X” reply (:func:`asked_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from bot.answer.clauses import (
    ASIDE,
    ASK,
    CLAUSE_END,
    CONDITION,
    CONDITION_WORDS,
    COURTESY,
    POINTER_WORDS,
    PREAMBLE,
    REQUEST_CUES,
    Clause,
    clauses,
    has_question_cue,
    is_set_apart,
    points_back,
)
from bot.answer.keyword_list import keyword_list
from bot.answer.vocabulary import Vocabulary, vocabulary
from bot.kb.models import KnowledgeBase

MAX_QUESTIONS = 4
# Questions whose answer depends on the 市州 or the applicant type: an aside's 市州 / type goes
# with them (“我们是益阳的一家公司 … 报什么方向”), not with a question about the deadline.
CARRY_CUES = (
    "方向",
    "名额",
    "推荐",
    "推几",
    "报几",
    "几个",
    "几家",
    "多少个",
    "多少家",
    "条件",
    "资格",
    "能报",
    "可以报",
    "能不能报",
    "能申报",
    "可以申报",
    "能否申报",
    "适合",
)
# The question points at the clause before it: “这个是在哪一部分提的”, “跟通知哪块对得上”.
_REFERS = re.compile(
    r"^这个是|^这是|这块|这条|这一条|哪块|哪一部分|哪部分|哪一条|原话|原文|算不算|属不属于|对得上|符合|"
    r"^那这|^这样|提到|提及|说到|讲到|写到|涉及|有说|说了"
)
# “老板让我问一下…”, “领导想知道…”: who wants the answer, before the question itself.
_ASK_PREFIX = re.compile(
    r"^[^,]{0,6}?(?:让我|叫我|要我|想让我|托我)(?:问一下|问问|问下|问|咨询一下|咨询|了解一下|了解|确认一下|确认)?"
)
# Someone else's question, told as the reason for asking when the applicant asks after it:
# “司机师傅问具体开到哪里,麻烦告诉一下收材料的地址”.
_REPORTED = re.compile(r"^.{0,6}?(?:师傅|同事|司机|朋友|家人|他们|他|她)(?:问|想知道|在问)")
# “不是电子版，我是问纸质的送到哪儿”: what the question is NOT about (a correction's first half).
_DENIED = re.compile(r"^(?:我|我们)?(?:并|也)?(?:不是|不要|不问|没问|没有问)")
# “附件一共几个,都叫什么名字”: a clause without a subject of its own, about the one before.
_LEANS_BACK = re.compile(r"^(?:都|分别|各自|各|具体|全都|全部)")
# a sentence's end, where a message is split into questions later (``bot.answer.compound``)
_SENTENCE_END = re.compile(r"[?？。！!；;\n]+\s*$")
_SENTENCE_BREAK = re.compile(r"[?？。！!；;\n]")


@dataclass(frozen=True)
class Reading:
    """A message as read: the questions it asks (each a text for the assistant) and what was
    set apart (greetings, introductions, reasons, thanks)."""

    questions: Tuple[str, ...]
    set_aside: Tuple[str, ...] = ()


def _same_question(first: str, second: str, words: Vocabulary) -> bool:
    """Two neighbouring asking clauses that make one question: the second only points back
    (“是哪天”, “有模板吗”), the first only asks to be told, or both name the same topic."""
    if points_back(second) or points_back(first) or not has_question_cue(first):
        return True
    if len(POINTER_WORDS.sub("", second)) <= 3 and not words.names_something(second):
        return True
    if _LEANS_BACK.match(second) and not words.names_something(second):
        return True  # “…,都叫什么名字”
    if second.startswith("还是") or (second.isascii() and len(second.split()) <= 2):
        return True  # “…还是…”, “when was it published, by whom”
    shared = set(words.topics_of(first)) & set(words.topics_of(second))
    return bool(shared)


def _carried_entities(kept: List[str], asides: List[str], words: Vocabulary) -> str:
    """The 市州 / types / directions an aside names that the questions do not."""
    if not any(cue in kept[0] for cue in CARRY_CUES) or words.entity_words(kept[0]):
        return ""
    named: set = set()
    asides = [a for a in asides if is_set_apart(a)]
    carried: List[str] = []
    for aside in asides:
        for kind, word in words.entity_words(aside):
            if kind not in named and word not in carried:
                carried.append(word)
                named.add(kind)
    return "、".join(carried)


def _continues(previous: str, text: str, words: Vocabulary) -> bool:
    """``text`` goes on with the question of ``previous`` (“园区申报的话,方向怎么选”)."""
    return bool(CONDITION_WORDS.search(previous)) or _same_question(previous, text, words)


@dataclass
class _Question:
    clauses: List[str]  # what the assistant reads
    asked: List[
        str
    ]  # what the question itself asks (a “not in the notice” subject comes from here)


def _grouped(found: List[Clause], words: Vocabulary) -> Tuple[List[_Question], List[str]]:
    """The clauses of each question, in order, and the clauses set apart."""
    groups: List[_Question] = []
    waiting: List[str] = []  # asides since the last question
    told: List[str] = []  # introductions and reasons since the last question
    asides: List[str] = []
    for index, clause in enumerate(found):
        if _REPORTED.search(clause.text) and any(c.kind == ASK for c in found[index + 1 :]):
            asides.append(clause.text)  # another's question, the reason for the one after it
            continue
        if clause.kind in (COURTESY, PREAMBLE):
            asides.append(clause.text)
            continue
        if clause.kind == ASIDE and _DENIED.match(clause.text):
            asides.append(clause.text)  # “不是电子版”: not what is asked
            continue
        if clause.kind == ASIDE and is_set_apart(clause.text):
            asides.append(clause.text)
            told.append(clause.text)
            continue
        if clause.kind == ASIDE:
            waiting.append(clause.text)
            continue
        text = clause.text
        if clause.kind == CONDITION:
            groups.append(_Question([*waiting, text], [text]))
        elif groups and not waiting and _continues(groups[-1].clauses[-1], text, words):
            groups[-1].clauses.append(text)
            groups[-1].asked.append(text)
        elif _REFERS.search(text):  # “我们是专精特新企业,通知里有提到吗”: about what was said
            # what it refers to: the story just before it, else what was told about oneself
            said = [] if waiting else told
            groups.append(_Question([*said, *waiting, text], [*said, *waiting, text]))
            asides = [a for a in asides if a not in said]
        else:
            text = _ASK_PREFIX.sub("", text) or text
            leaning = points_back(text) or text.startswith("还是")
            asked = [w for w in waiting if leaning or words.topics_of(w)]
            # a question that names its subject does not need the story before it
            needs_story = leaning or len(POINTER_WORDS.sub("", text)) < 6
            story = waiting if needs_story or not words.names_something(text) else asked
            groups.append(_Question([*story, text], [*asked, text]))
        waiting = []
        told = []
    if waiting and groups:  # after the last question: a reason or a remark, kept for context
        groups[-1].clauses += waiting
    return groups, asides


_OBJECTS = re.compile(r"和|及|以及|、|与|跟|还有")


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", CLAUSE_END.sub("", text))


def _split_objects(question: str, words: Vocabulary) -> List[str]:
    """“我想先确认一下截止日期和交材料的地方” → one question per object, when each names its
    own FAQ topic (“长沙和株洲…” names 市州, split later by ``bot.answer.compound``)."""
    if has_question_cue(question) and not any(cue in question for cue in REQUEST_CUES):
        return [question]
    pieces = [p for p in _OBJECTS.split(question) if p]
    if len(pieces) < 2 or len(pieces) > MAX_QUESTIONS:
        return [question]
    topics = [words.topics_of(p) for p in pieces]
    if not all(topics) or len({t[0] for t in topics}) < len(pieces):
        return [question]
    return pieces


_ENGLISH_OF = re.compile(
    r"^(?P<head>.*?\b(?:for|of|in|to))\s+(?P<a>.+?)\s+and\s+(?:(?:for|of|in|to)\s+)?(?P<b>.+)$"
)
_ENGLISH_TOGETHER = re.compile(
    r"\b(?:combined|together|total|altogether|in all|sum|compare|difference)\b"
)
_ENGLISH_HEAD = re.compile(r"^(?:.*?\b)?(?:is|are|was|were|do|does|did|can|should|must|will)\b\s*")


def _split_english_and(question: str, words: Vocabulary) -> List[str]:
    """“what are the directions for companies and for research institutes” → one question
    each; “what is the email and the phone number” → “what is the phone number” too. Only when
    the two sides name different topics or different 市州 / types."""
    if not question.isascii() or " and " not in question:
        return [question]
    if _ENGLISH_TOGETHER.search(question):
        return [question]
    match = _ENGLISH_OF.match(question)
    short = match and all(len(match[k].split()) <= 3 for k in ("a", "b"))
    if short and words.topics_of(match["head"]):  # “the directions for A and for B”
        return [f"{match['head']} {match['a']}", f"{match['head']} {match['b']}"]
    left, right = question.split(" and ", 1)
    head = _ENGLISH_HEAD.match(left)
    if not head or not right.strip():
        return [question]
    first, second = words.topics_of(left), words.topics_of(right)
    if not first or not second or set(first) & set(second):
        return [question]
    asks = has_question_cue(right)
    return [left, right if asks else f"{head.group(0)}{right}"]


def read(text: str, kb: Optional[KnowledgeBase] = None) -> Reading:
    """The questions of ``text`` (normalised) and what was set apart; ``(text,)`` when
    nothing needs reading (one plain question, or no clause that asks)."""
    words = vocabulary(kb)
    listed = keyword_list(text, words)
    if listed:
        return Reading(tuple(listed[:MAX_QUESTIONS]))
    found = clauses(text)
    if not any(c.kind == ASK for c in found):
        english = _split_english_and(CLAUSE_END.sub("", text), words)
        return Reading(tuple(english) if len(english) > 1 else (text,))
    groups, asides = _grouped(found, words)
    questions = [",".join(group.clauses) for group in groups]
    if len(questions) == 1:
        questions = _split_objects(questions[0], words)
    questions = [part for q in questions for part in _split_english_and(q, words)]
    questions = questions[:MAX_QUESTIONS]
    carried = _carried_entities(questions, asides, words)
    if carried:
        questions[0] = f"{carried},{questions[0]}"
    if len(questions) == 1 and _bare(questions[0]) == _bare(text):
        ending = _SENTENCE_END.search(text)
        if _SENTENCE_BREAK.search(text[: ending.start()] if ending else text):
            # “附件一共几个?都叫什么名字”: read as one question, kept one
            return Reading((questions[0] + (ending.group(0) if ending else ""),))
        return Reading((text,))  # nothing set apart: the message as it was written
    return Reading(tuple(questions), tuple(asides))


def asked_text(text: str, kb: Optional[KnowledgeBase] = None) -> str:
    """Only the clauses of ``text`` that ask (with the clauses they lean on); the whole text
    when none does. What a “the notice does not say X” reply may take X from."""
    found = clauses(text)
    if not any(c.kind == ASK for c in found):
        return text
    groups, _ = _grouped(found, vocabulary(kb))
    return ",".join(",".join(group.asked) for group in groups) or text
