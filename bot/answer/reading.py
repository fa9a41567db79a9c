"""Read the whole message: which of its clauses ask, and which only say who asks, why, or thanks.

Applicants write “老师您好，我是邵阳经开区管委会的小刘，领导交代下周要把材料送上去，想跟您确认下
省里收材料的地点和窗口，麻烦了”. Only one clause asks; the others are greetings, a
self-introduction, a reason and thanks. :func:`read` splits a (normalised) message into
clauses and sorts them:

* ``ask`` — a clause with a question cue (``什么``, ``几``, ``吗`` …) or a request
  (``请问``, ``想确认``, ``告诉我``);
* ``courtesy`` — greetings, thanks, apologies, politeness (nothing left once those words go);
* ``preamble`` — “想问两个问题”, “简单问一句”: announces questions, asks nothing;
* ``condition`` — “园区申报的话”, “关于电子版”: sets the subject of the question after it;
* ``aside`` — a self-introduction, a reason or a story (“我现在在去长沙的路上”).

The questions of the message are its ``ask`` clauses. Two neighbouring ones are one
question when the second only points back (“…，是哪天”, “可以吗”) or both name the
same FAQ topic; otherwise each is its own question (up to :data:`MAX_QUESTIONS`). A
clause that is not a question is kept in front of a question that needs it (“材料的地址和截止
时间，能告诉我吗”); an aside is set apart, but the 市州 / applicant type / direction it names
is carried to the question (“我们是益阳的一家公司 … 报什么方向” → “公司,报什么方向”).

A bare keyword list (“邮箱 份数 联系人”, “截止？份数？邮箱？”, “1.截止时间 2.报送地点”) is one
question per topic word; a 市州 or applicant type in the list goes with the topic word after it
(“长沙 株洲 名额” → “长沙名额”, “株洲名额”).

The router (``bot.answer.routing``) reads the same way: a word used in passing — in the
introduction, the reason, the thanks — never becomes the subject of a “the notice does not say
X” reply (:func:`asked_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from bot.answer.entities import EntityMatcher
from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase

MAX_QUESTIONS = 4
ASK, COURTESY, PREAMBLE, ASIDE, CONDITION = "ask", "courtesy", "preamble", "aside", "condition"

QUESTION_CUES = (
    "什么",
    "哪",
    "几",
    "多少",
    "吗",
    "么",
    "呢",
    "怎么",
    "怎样",
    "如何",
    "是否",
    "能否",
    "可否",
    "能不能",
    "可不可以",
    "有没有",
    "要不要",
    "是不是",
    "需不需要",
    "谁",
    "多久",
    "啥",
    "咋",
    "乜",
    "干嘛",
    "还是",
    "?",
)
ENGLISH_CUES = ("what", "when", "where", "how", "which", "who", "why", "is ", "are ", "can ", "do ")
REQUEST_CUES = (
    "请问",
    "想问",
    "问问",
    "想了解",
    "了解一下",
    "想确认",
    "确认一下",
    "确认下",
    "请教",
    "咨询",
    "想知道",
    "告诉我",
    "说一下",
    "发一下",
    "介绍一下",
    "弄清楚",
    "搞清楚",
    "问清楚",
    "弄明白",
    "搞明白",
)
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
# Words that greet, thank, apologise or are merely polite: a clause of nothing else asks nothing.
_COURTESY = re.compile(
    r"您好|你好|大家好|早上好|上午好|下午好|晚上好|老师们|老师|领导|各位|同志|hi|hello|在吗|在不在|"
    r"打扰了|打扰一下|打扰您了|打扰|冒昧|不好意思|抱歉|劳驾|拜托了|拜托|麻烦您了|麻烦了|麻烦您|麻烦你|麻烦|"
    r"辛苦了|辛苦啦|辛苦|万分感谢|非常感谢|十分感谢|感谢您|感谢|多谢|谢谢您|谢谢你|谢谢啦|谢谢|先谢|"
    r"这么晚|这么早|深夜|不胜感激|感激不尽|望海涵|海涵|请多指教|指教|祝您?工作顺利|工作顺利|百忙之中|盼复|回复一下|回复|"
    r"解答一下|解答|请问一下|问一下|请教一下|在线等|急|好的|好|收到|嗯|哦|噢|啊|呀|哈|啦|了|的|吧|"
    r"一起告诉我|告诉我|一起|您|你|一下|下|[!~.,。…\s\d]"
)
# “想问两个问题”, “简单问一句”, “有几个问题想咨询”: announces the questions that follow.
_PREAMBLE = re.compile(
    r"^(?:我|我们)?(?:想|要|还想|再)?(?:简单|顺便|再)?(?:问|请教|咨询)(?:您|你)?(?:一下)?"
    r"(?:两|三|四|几|一|二|1|2|3|4)?(?:个|件|句)?(?:问题|事情|事儿|事|句)|"
    r"^(?:有|还有)(?:两|三|四|几|一|二|1|2|3|4)(?:个|件)(?:问题|事情|事)"
)
_INTRODUCTION = re.compile(
    r"^(?:我是|我们是|我这边是|我这里是|我们这边是|本人|我在|我们在|我们单位|我们公司|我们学校|"
    r"我们园区|我们所|我们企业|我们这边|我司|我校|我院|本单位|领导让我|老板让我|替|帮)"
)
# Words that only point back at another clause: “是哪天”, “可以吗”, “能告诉我吗”.
_POINTER = re.compile(
    r"请问|想问|想了解|想确认|确认|告诉我|告诉|知道|了解|一下|这个|那个|这|那|是|的|了|呢|吗|么|"
    r"啊|呀|吧|能不能|可不可以|可以|能否|能|行不行|行|对不对|对|有没有|有|我们|我|你们|您|你|"
    r"哪里|哪儿|哪个|哪些|哪|什么|啥|几|多少|谁|怎么|如何|[?!.,\s]"
)
_CONDITION = re.compile(r"的话$|^(?:如果|假如|要是|关于|对于|至于)")
# “因为…”, “连门朝哪开都不知道”: a reason or a figure of speech, even with a question word in it.
_NOT_ASKING = re.compile(r"^(?:因为|由于|为了|因)|(?:都|也)不(?:知道|清楚|懂|会)$")
# A reason for asking: “领导让我问”, “催得紧”, “我们写计划用”, “好分工”.
_REASON = re.compile(
    r"让我|叫我|交代|安排我|催|着急|急着|赶时间|好分工|好安排|提前规划|提前准备|做预算|写计划|汇报|"
    r"提前问|刚接手|刚来|新来|不太懂|不熟|第一次|出差|用的$|用$|拿不准|不确定$|不清楚$|不明白$|没底"
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
# A clause that opens another question: “另外电子版邮箱是”, “还有纸质的几份”.
_NEW_QUESTION = re.compile(
    r"^(?:另外|此外|还有|以及|顺便问一下|顺便问下|顺便问|再问一下|再问下)|.{2,}是$"
)
# A segment about the applicant's own things is no topic word of a list.
_SAYS_OWN = re.compile(r"我|咱|本人|本单位|\[")
_NOT_CUES = re.compile(r"这么|那么|多么|什么的")
_A_NOT_A = re.compile(r"(\w)不\1")
_ENGLISH_JOINER = re.compile(r"^(?:and|also|then|plus|or)\s+")
_CLAUSE_END = re.compile(r"(?:[,，。;；!！?？:：\n]|\.(?!\w))+")
# A list item's marker: “1.” “2、” “(3)” “一是” “二、” “第一,”.
_MARKER = re.compile(
    r"(?:^|(?<=[\s,;:]))(?:\(?[1-9][.、)]|[一二三四][是、]|第[一二三四1-4](?:个|点|是|,)?)\s*"
)
_LIST_SEPARATORS = re.compile(r"[\s,，、/;；?？。.!！:：]+")
# “A、B、C分别是啥”: the shared tail of a list of topics.
_LIST_TAIL = re.compile(
    r"(?:分别|各自|都|一起)?(?:是|是个|是多少|是什么|是啥|在哪|呢|多少|啥|什么|告诉我)+$"
)
KIND_OF_ENTITY = ("city", "applicant_type", "direction")


@dataclass(frozen=True)
class Clause:
    text: str
    kind: str


@dataclass(frozen=True)
class Reading:
    """A message as read: the questions it asks (each a text for the assistant) and what was
    set apart (greetings, introductions, reasons, thanks)."""

    questions: Tuple[str, ...]
    set_aside: Tuple[str, ...] = ()


class Vocabulary:
    """What the reading needs from knowledge/: topic words and the entity words."""

    def __init__(self, kb: Optional[KnowledgeBase] = None):
        self.topic_keywords: List[Tuple[str, str]] = []
        self.faq_text = ""
        self.entities: Optional[EntityMatcher] = None
        if kb is not None:
            self.topic_keywords = [
                (normalize(k), e.id) for e in kb.faq for k in e.keywords if normalize(k)
            ]
            english = kb.english.topics if kb.english else []
            self.topic_keywords += [
                (normalize(k), t.faq) for t in english for k in t.keywords if normalize(k)
            ]
            self.faq_text = "\n".join(
                normalize(q, limit=None) for e in kb.faq for q in [e.question, *e.similar]
            )
            self.entities = EntityMatcher(kb.entity_vocabulary())

    def topics_of(self, text: str) -> List[str]:
        """FAQ topics whose keywords the text contains, in keyword order."""
        found: List[str] = []
        for keyword, topic in self.topic_keywords:
            if keyword in text and topic not in found:
                found.append(topic)
        return found

    def entity_words(self, text: str) -> List[Tuple[str, str]]:
        """(kind, surface word) of the 市州 / applicant types / directions the text names."""
        if self.entities is None:
            return []
        return [(m.entity, m.text) for m in self.entities.find(text) if m.entity in KIND_OF_ENTITY]

    def is_topic_word(self, segment: str) -> bool:
        """A short segment that names a topic: a FAQ keyword, or words of the FAQ's questions."""
        if self.topics_of(segment):
            return True
        return len(segment) >= 2 and segment in self.faq_text

    def is_entity_only(self, segment: str) -> bool:
        words = self.entity_words(segment)
        return bool(words) and sum(len(w) for _, w in words) >= len(segment) - 2


_VOCABULARIES: Dict[int, Tuple[KnowledgeBase, Vocabulary]] = {}


def vocabulary(kb: Optional[KnowledgeBase]) -> Vocabulary:
    """The vocabulary of ``kb``, built once per knowledge base object."""
    if kb is None:
        return Vocabulary()
    cached = _VOCABULARIES.get(id(kb))
    if cached is None or cached[0] is not kb:
        if len(_VOCABULARIES) > 4:
            _VOCABULARIES.clear()
        cached = (kb, Vocabulary(kb))
        _VOCABULARIES[id(kb)] = cached
    return cached[1]


def has_question_cue(text: str) -> bool:
    lowered = _NOT_CUES.sub("", text.lower())
    if any(cue in lowered for cue in QUESTION_CUES) or _A_NOT_A.search(lowered):
        return True
    return lowered.isascii() and any(lowered.startswith(cue) for cue in ENGLISH_CUES)


def is_courtesy(text: str) -> bool:
    """Nothing but greetings, thanks, apologies and polite words."""
    rest = _COURTESY.sub("", text.lower())
    return len(rest) <= 1


def points_back(text: str) -> bool:
    """Asks, but names nothing: “是哪天”, “可以吗”, “能告诉我吗” lean on the clause before."""
    return len(_POINTER.sub("", text)) <= 1


def requests(text: str) -> bool:
    """“请问…”, “想确认下省里收材料的地点”: a request with its object after it (“学校让我咨询”
    has none: it tells why one asks)."""
    for cue in REQUEST_CUES:
        at = text.find(cue)
        if at >= 0 and not points_back(text[at + len(cue) :]):
            return True
    return False


def classify(text: str) -> str:
    if is_courtesy(text):
        return COURTESY
    if _NEW_QUESTION.match(text) and len(text) > 4:  # “另外电子版邮箱是”
        return ASK
    if _PREAMBLE.search(text) and points_back(_PREAMBLE.sub("", text)):
        return PREAMBLE
    if _NOT_ASKING.search(text):
        return ASIDE
    if has_question_cue(text):
        return ASK
    if _CONDITION.search(text):
        return CONDITION
    if requests(text):
        return ASK
    return ASIDE


def clauses(text: str) -> List[Clause]:
    pieces = [p.strip() for p in _CLAUSE_END.split(_MARKER.sub(",", text))]
    pieces = [_ENGLISH_JOINER.sub("", p) if p.isascii() else p for p in pieces]
    return [Clause(p, classify(p)) for p in pieces if p]


def _asks_about_previous(segment: str, words: Vocabulary) -> bool:
    """A short question that names nothing (“有模板吗”) asks about the segment before it."""
    short = len(_POINTER.sub("", segment)) <= 3
    return has_question_cue(segment) and short and not _names_something(segment, words)


def _keyword_list(text: str, words: Vocabulary) -> Optional[List[str]]:
    """“邮箱 份数 联系人” → one question per topic word; None when ``text`` is not such a list."""
    stripped = _MARKER.sub(",", text)
    segments = [s for s in _LIST_SEPARATORS.split(stripped) if s]
    segments = [s for s in segments if not is_courtesy(s) and not _PREAMBLE.fullmatch(s)]
    if len(segments) < 2 or any(len(s) > 10 or _SAYS_OWN.search(s) for s in segments):
        return None  # “我的电话是…,截止时间”: a statement, not a list of topics
    tail = ""
    match = _LIST_TAIL.search(segments[-1])
    if match and match.start() > 0:
        tail = re.sub(r"^(?:分别|各自|都|一起)", "", match.group(0))
        segments[-1] = segments[-1][: match.start()]
    parts: List[str] = []
    pending: List[str] = []  # 市州 / types waiting for their topic word
    topics = 0
    last_topics: List[str] = []
    for segment in segments:
        if words.is_entity_only(segment):
            pending.append(segment)
            continue
        if not words.is_topic_word(segment):
            return None
        if parts and not pending and _asks_about_previous(segment, words):
            parts[-1] = f"{parts[-1]},{segment}"  # “实施方案怎么写,有模板吗”
            continue
        named = words.topics_of(segment)
        if parts and not pending and named and set(named) <= set(last_topics):
            parts[-1] = f"{parts[-1]},{segment}"  # “截止时间,还来得及吗”: one topic
            continue
        last_topics = named
        topics += 1
        if segment.isascii() and " " not in segment:
            segment = f"the {segment}"  # an English word alone is read as English, too
        parts += [f"{entity}{segment}{tail}" for entity in pending] or [f"{segment}{tail}"]
        pending = []
    if pending and parts:  # “名额 长沙 株洲”: the last topic word goes with them
        last = parts.pop()
        parts += [f"{entity}{last}" for entity in pending]
    if topics < 2 and len(parts) < 2:
        return None
    return parts


def _names_something(text: str, words: Vocabulary) -> bool:
    return bool(words.topics_of(text) or words.entity_words(text))


def _same_question(first: str, second: str, words: Vocabulary) -> bool:
    """Two neighbouring asking clauses that make one question: the second only points back
    (“是哪天”, “有模板吗”), the first only asks to be told, or both name the same topic."""
    if points_back(second) or points_back(first) or not has_question_cue(first):
        return True
    if len(_POINTER.sub("", second)) <= 3 and not _names_something(second, words):
        return True
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
    return bool(_CONDITION.search(previous)) or _same_question(previous, text, words)


def is_set_apart(text: str) -> bool:
    """An aside that only tells who asks or why (“我是…的小刘”, “领导催得紧”): the assistant does
    not need it; any other aside (“我们12月3号才能送过去”) may be what the question is about."""
    return bool(_INTRODUCTION.search(text) or _NOT_ASKING.search(text) or _REASON.search(text))


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
    for clause in found:
        if clause.kind in (COURTESY, PREAMBLE):
            asides.append(clause.text)
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
            said = [t for t in told if t not in waiting]
            groups.append(_Question([*said, *waiting, text], [*said, *waiting, text]))
            asides = [a for a in asides if a not in said]
        else:
            text = _ASK_PREFIX.sub("", text) or text
            leaning = points_back(text) or text.startswith("还是")
            asked = [w for w in waiting if leaning or words.topics_of(w)]
            # a question that names its subject does not need the story before it
            needs_story = leaning or len(_POINTER.sub("", text)) < 6
            story = waiting if needs_story or not _names_something(text, words) else asked
            groups.append(_Question([*story, text], [*asked, text]))
        waiting = []
        told = []
    if waiting and groups:  # after the last question: a reason or a remark, kept for context
        groups[-1].clauses += waiting
    return groups, asides


_OBJECTS = re.compile(r"和|及|以及|、|与|跟|还有")


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", _CLAUSE_END.sub("", text))


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
    listed = _keyword_list(text, words)
    if listed:
        return Reading(tuple(listed[:MAX_QUESTIONS]))
    found = clauses(text)
    if not any(c.kind == ASK for c in found):
        english = _split_english_and(_CLAUSE_END.sub("", text), words)
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
