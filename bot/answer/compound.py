"""Split a message that asks several things into its questions, in the order asked.

“纸质版要几份？电子版又发到哪” → two questions; “企业和高校分别报什么方向” →
“企业报什么方向”, “高校报什么方向”. A self-introduction or greeting is not a
question: it stays in front of the question that follows it, so that what it
says (a 市州, a type of applicant) is still understood.
"""

from __future__ import annotations

import re
from typing import List, Optional

from bot.answer.clauses import QUESTION_WORDS
from bot.answer.derived import TOTAL_CUES
from bot.answer.normalize import normalize
from bot.answer.reading import read
from bot.kb.models import KnowledgeBase

MAX_PARTS = 4
QUESTION_CUES = (*QUESTION_WORDS, "?", "乜", "why", "what", "when", "where", "how", "which", "who")
# A sentence end, or a word that starts a new question (kept with the new part).
_SENTENCE = re.compile(r"[?？。！!；;\n]+")
_CONNECTIVE = re.compile(
    r"[，,、\s]*(另外|此外|还有就是|还有|还想问|再问一下|再问下|顺便问一下|顺便问下|顺便问|以及|并且想问|同时想问|然后)"
)
_AND = re.compile(r"(?<=[^\s])(和|跟|与|以及)(?=[^\s])")
_RESPECTIVELY = re.compile(
    r"^(?P<head>(?:.*[，,])?)(?P<a>[^，,。？?\s]{1,8}?)(?:和|跟|与|及|、)"
    r"(?P<b>[^，,。？?\s]{1,8}?)(?P<tail>分别.+|各自.+|(?:是|要|需要|在|有|能|可以|可|应该|怎么|如何|多少|几|哪|交|发|报).*)$"
)
# Cantonese “A同(埋)B分别系乜”: 同 is “and” before a 分别/各自 (not 同时, 同一, 同样…).
_CANTONESE_AND = re.compile(r"同埋?(?![时一样意步等])(?=[^，,。？?\s]{1,8}?(?:分别|各自))")
# “加起来”“有什么区别”: the two things are asked about together, not one by one.
TOGETHER_CUES = (*TOTAL_CUES, "区别", "不同", "关系", "一样", "相同", "比较", "哪个好")


def is_question(text: str) -> bool:
    lowered = text.lower()
    return any(cue in lowered for cue in QUESTION_CUES)


def _split_respectively(text: str) -> List[str]:
    """“A和B分别/是/要…？” → the same question about A, then about B."""
    match = _RESPECTIVELY.match(_CANTONESE_AND.sub("和", text))
    if not match or any(cue in text for cue in TOGETHER_CUES) or not is_question(match["tail"]):
        return [text]
    head, tail = match["head"], re.sub(r"^(分别|各自)", "", match["tail"])
    return [f"{head}{match['a']}{tail}", f"{head}{match['b']}{tail}"]


def _split_and(text: str) -> List[str]:
    """“截止时间是什么时候和材料交到哪里”: 和 joins two questions only if both sides ask."""
    for match in _AND.finditer(text):
        left, right = text[: match.start()], text[match.end() :]
        if is_question(left) and is_question(right) and len(left) >= 4 and len(right) >= 4:
            return [left, right]
    return [text]


def questions_in(text: str, kb: Optional[KnowledgeBase] = None) -> List[str]:
    """The questions a message is handed to the assistant as, one turn each (every channel:
    ``channels/questions.py``; the in-process assistant: ``bot/ops/in_process.py``).

    The message is read whole first (``bot.answer.reading``: greetings, introductions, reasons
    and thanks set apart, keyword lists and comma-separated questions apart), then each question
    is split as before (“A和B分别…”, “…以及…”); at most ``MAX_PARTS`` questions."""
    normalised = normalize(text or "")
    parts: List[str] = []
    for question in read(normalised, kb).questions:
        parts += split_questions(question)
    return parts[:MAX_PARTS] or [normalised]


def split_questions(text: str) -> List[str]:
    """The questions of ``text`` in order; ``[text]`` when it asks one thing."""
    pieces: List[str] = []
    for sentence in _SENTENCE.split(text):
        marked = _CONNECTIVE.sub("\x00", sentence)
        for piece in marked.split("\x00"):
            piece = piece.strip(" ，,、")
            if piece:
                pieces.append(piece)
    parts: List[str] = []
    context = ""
    for piece in pieces:
        if not is_question(piece):
            context = f"{context}{piece}，"
            continue
        for question in _split_respectively(piece):
            for sub in _split_and(question):
                parts.append(f"{context}{sub}")
        context = ""
    if context and parts:
        parts[-1] = f"{parts[-1]}，{context.rstrip('，')}"
    if len(parts) <= 1 or len(parts) > MAX_PARTS:
        return [text]
    return parts
