"""A bare keyword list — “邮箱 份数 联系人”, “截止？份数？邮箱？”, “1.截止时间 2.报送地点” — read as
one question per topic word; a 市州 or applicant type in the list goes with the topic word after
it (“长沙 株洲 名额” → “长沙名额”, “株洲名额”). ``bot.answer.reading`` tries this first.
"""

from __future__ import annotations

import re
from typing import List, Optional

from bot.answer.clauses import (
    LIST_MARKER,
    POINTER_WORDS,
    PREAMBLE_WORDS,
    has_question_cue,
    is_courtesy,
)
from bot.answer.vocabulary import Vocabulary

# what a bare list word is about (“方向 条件 流程”: 申报方向, 申报条件, 申报流程)
SUBJECT = "申报"
# A segment about the applicant's own things is no topic word of a list.
_SAYS_OWN = re.compile(r"我|咱|本人|本单位|\[")
_LIST_SEPARATORS = re.compile(r"[\s,，、/;；?？。.!！:：]+")
# “A、B、C分别是啥”: the shared tail of a list of topics.
_LIST_TAIL = re.compile(
    r"(?:分别|各自|都|一起)?(?:是|是个|是多少|是什么|是啥|在哪|呢|多少|啥|什么|告诉我)+$"
)


def _asks_about_previous(segment: str, words: Vocabulary) -> bool:
    """A short question that names nothing (“有模板吗”) asks about the segment before it."""
    short = len(POINTER_WORDS.sub("", segment)) <= 3
    return has_question_cue(segment) and short and not words.names_something(segment)


def keyword_list(text: str, words: Vocabulary) -> Optional[List[str]]:
    """“邮箱 份数 联系人” → one question per topic word; None when ``text`` is not such a list."""
    stripped = LIST_MARKER.sub(",", text)
    segments = [s for s in _LIST_SEPARATORS.split(stripped) if s]
    segments = [s for s in segments if not is_courtesy(s) and not PREAMBLE_WORDS.fullmatch(s)]
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
        elif not named and not pending and not tail and f"{SUBJECT}{segment}" in words.faq_text:
            # a bare word the FAQ's questions say of the call (“申报条件”, “申报流程”) is asked
            # so: “条件” alone reads as “check our conditions”
            segment = f"{SUBJECT}{segment}"
        own_tail = "" if has_question_cue(segment) else tail  # “邮箱多少?电话多少”: asks itself
        parts += [f"{entity}{segment}{own_tail}" for entity in pending] or [f"{segment}{own_tail}"]
        pending = []
    if pending and parts:  # “名额 长沙 株洲”: the last topic word goes with them
        last = parts.pop()
        parts += [f"{entity}{last}" for entity in pending]
    if topics < 2 and len(parts) < 2:
        return None
    return parts
