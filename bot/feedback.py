"""“Did it help?” — the feedback an applicant gives on one answer.

After a FAQ answer or a quoted notice clause the action server attaches two buttons
(``有帮助`` / ``没帮助``, words in knowledge/messages.yml). Every channel turns the
applicant's choice — a Telegram callback, a REST button payload, a WeChat
``weixin://bizmsgmenu`` link (which makes WeChat send the word back as a text) or the
word typed by hand — into one intent trigger::

    /feedback{"helpful":"yes","answer":"<channel message id of the answered question>"}

Rasa handles it like any message (intent ``feedback``, a rule replies with thanks) and the
question-log broker, the only writer of the log, marks the answered turn ``helpful``
(``bot/questionlog/store.py``). ``answer`` is optional: without it the sender's latest
answer that offered the buttons is meant.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from bot import names

INTENT = names.FEEDBACK
ACTION = names.ACTION_FEEDBACK
HELPFUL_ENTITY = names.HELPFUL
ANSWER_ENTITY = names.ANSWER
ENTITIES = (HELPFUL_ENTITY, ANSWER_ENTITY)
YES, NO = "yes", "no"
VALUES = (YES, NO)
# names in knowledge/messages.yml: the button words, the thanks, WeChat's line before the links
WORD_MESSAGES = {YES: "feedback_yes", NO: "feedback_no"}
THANKS_MESSAGES = {YES: "feedback_thanks_yes", NO: "feedback_thanks_no"}
PROMPT_MESSAGE = "feedback_prompt"
ANSWER_ID_LEN = 128  # question_log.channel_message_id

_TRIGGER = re.compile(r"^\s*/" + INTENT + r"(\{.*\})?\s*$", re.DOTALL)
# what may surround a typed word: spaces and sentence punctuation (“有帮助！”)
_TRIM = " \t\r\n。.！!，,~～、；;"


@dataclass(frozen=True)
class Feedback:
    helpful: str  # YES / NO
    answer: Optional[str] = None  # channel message id of the answered question, if known

    @property
    def is_helpful(self) -> bool:
        return self.helpful == YES


def trigger(helpful: str, answer: Optional[str] = None) -> str:
    """The intent trigger a button sends (compact: Telegram callback_data holds 64 bytes)."""
    if helpful not in VALUES:
        raise ValueError(helpful)
    values: Dict[str, str] = {HELPFUL_ENTITY: helpful}
    if answer:
        values[ANSWER_ENTITY] = str(answer)[:ANSWER_ID_LEN]
    return "/" + INTENT + json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def is_trigger(text: Any) -> bool:
    return isinstance(text, str) and _TRIGGER.match(text) is not None


def parse_trigger(text: Any) -> Optional[Feedback]:
    """The feedback a trigger carries; ``None`` for anything else (or a malformed trigger)."""
    if not isinstance(text, str):
        return None
    match = _TRIGGER.match(text)
    if match is None:
        return None
    try:
        values = json.loads(match.group(1) or "{}")
    except ValueError:
        return None
    return from_values(values) if isinstance(values, Mapping) else None


def from_values(values: Mapping[str, Any]) -> Optional[Feedback]:
    helpful = values.get(HELPFUL_ENTITY)
    if helpful not in VALUES:
        return None
    answer = values.get(ANSWER_ENTITY)
    answer = str(answer)[:ANSWER_ID_LEN] if answer not in (None, "") else None
    return Feedback(helpful, answer)


def from_entities(entities: Any) -> Optional[Feedback]:
    """The feedback in Rasa's parse data entities (``[{"entity": "helpful", "value": …}]``)."""
    if not isinstance(entities, list):
        return None
    values = {
        e.get("entity"): e.get("value")
        for e in entities
        if isinstance(e, Mapping) and e.get("entity") in ENTITIES
    }
    return from_values(values)


def typed_word(text: Any, words: Mapping[str, str]) -> Optional[str]:
    """YES / NO when ``text`` is just one of the button words (typed or sent by a link)."""
    if not isinstance(text, str):
        return None
    said = text.strip(_TRIM)
    for value, word in words.items():
        if word and said == word.strip(_TRIM):
            return value
    return None


def buttons(words: Mapping[str, str], answer: Optional[str] = None) -> List[Dict[str, str]]:
    """Rasa buttons for the two choices (``words``: YES/NO → the word shown)."""
    return [{"title": words[value], "payload": trigger(value, answer)} for value in VALUES]


def is_feedback_button(button: Any) -> bool:
    return isinstance(button, Mapping) and is_trigger(button.get("payload"))
