"""The assistant's answers without a server: ``python -m bot eval --in-process`` and the
parity test.

A message goes the way a channel sends it (``channels/privacy.mask_text``, then one question at
a time: ``bot.answer.compound.questions_in``); each question is parsed by the trained model —
Rasa's own pipeline, the question router with the live knowledge included — and answered by
the one decision (``bot.answer.decision.decide``) with the conversation's context (the topic
of the last answer). What a Rasa dialogue adds on top (the self-check form's later questions,
feedback) is not played: such a turn says so instead of answering.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional

from bot.answer.compound import questions_in
from bot.answer.decision import Context, Decision, decide
from bot.answer.replies import render_message
from bot.kb.models import KnowledgeBase
from bot.names import LAST_ENTITIES, LAST_TOPIC, SELFCHECK
from channels.privacy import mask_text

Parse = Callable[[List[str]], List[Dict]]


@dataclass(frozen=True)
class Answer:
    """The reply to one question of a message; ``decision`` is ``None`` for a dialogue step."""

    text: str
    intent: Optional[str]  # what the model (and the router) named
    decision: Optional[Decision]


NOT_PLAYED = "（{intent}：对话中的一步，在进程内不演示；请对运行中的助手评测）"


class InProcessAssistant:
    """One context per sender, as the tracker keeps the ``last_topic`` and ``last_entities``
    slots."""

    def __init__(
        self, knowledge: Callable[[], KnowledgeBase], parse: Parse, today: Callable[[], dt.date]
    ):
        self._knowledge = knowledge
        self._parse = parse
        self._today = today
        self._contexts: Dict[str, Context] = {}

    def knowledge(self) -> KnowledgeBase:
        return self._knowledge()

    def say(self, sender: str, text: str) -> List[str]:
        """The replies to one message, in order."""
        return [answer.text for answer in self.answers(sender, text)]

    def answers(self, sender: str, text: str) -> List[Answer]:
        """One answer per question of the message, in order: what was decided and why."""
        kb, today = self._knowledge(), self._today()
        answers = []
        questions = questions_in(mask_text(text), kb)
        several = len(questions) > 1
        for number, message in enumerate(self._parse(questions), 1):
            context = self._contexts.get(sender, Context())
            part = replace(context, question_part=number if several else 0)
            decision = decide(kb, message, part, today)
            intent = (message.get("intent") or {}).get("name")
            if decision is None:
                step = self._dialogue_step(kb, intent, today)
                answers.append(Answer(step, intent, None))
                self._contexts[sender] = replace(context, in_form=intent == SELFCHECK)
                continue
            answers.append(Answer(decision.text, intent, decision))
            if LAST_TOPIC in decision.slots:
                context = replace(context, last_topic=decision.slots[LAST_TOPIC])
            if LAST_ENTITIES in decision.slots:
                context = replace(context, last_entities=decision.slots[LAST_ENTITIES] or {})
            self._contexts[sender] = context
        return answers

    @staticmethod
    def _dialogue_step(kb: KnowledgeBase, intent: str, today: dt.date) -> str:
        if intent == SELFCHECK:  # the form's first question (actions/selfcheck.py)
            types = "、".join(t.name for t in kb.applicant_types)
            intro = render_message(kb, "selfcheck_intro", today)
            return f"{intro}\n{render_message(kb, 'selfcheck_ask_type', today, types=types)}"
        return NOT_PLAYED.format(intent=intent)
