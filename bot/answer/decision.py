"""The one decision: knowledge + the parsed message + the conversation so far → the reply.

Every answer the assistant gives to a question about the notice is decided here, by
:func:`decide`. The Rasa actions (``actions/answers.py``) call it with the message Rasa parsed
and the tracker's slots; ``python -m bot kb try`` and the console's test chat
(``bot/ops/preview.py``) and ``python -m bot eval --in-process`` call it with the same
model's parse. What they show is therefore what applicants get.

The parse is Rasa's (``tracker.latest_message`` / ``Agent.parse_message``): the intent model,
the entity extractor and the question router (``bot.answer.routing``) have already run. The
rules (``nlu/data/rules.yml``) pick one action per intent; :data:`ACTION_OF_INTENT` is the same
table (``tests/bot/answer/test_decision.py`` checks the two agree), so a caller that has no
Rasa dialogue (kb try, eval) reaches the same branch as the action Rasa runs.

Multi-turn dialogue (the self-check form and its answers, feedback) is not decided here:
:func:`decide` returns ``None`` for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bot import feedback as fb
from bot.answer.clarify import fitting_topics, numbered
from bot.answer.context import APPLICATION_WORDS, attribute_follow_up, remembered, understood
from bot.answer.reading import asked_text
from bot.answer.replies import (
    BLOCKED,
    NOTICE_CLAUSE,
    blocked_reply,
    clause_reply,
    faq_reply,
    follow_up_topic,
    not_in_notice_reply,
    render_message,
)
from bot.kb.answers import source_note, topics_overview
from bot.kb.models import KnowledgeBase
from bot.names import (
    ACTION_ANSWER,
    ACTION_CAPABILITIES,
    ACTION_FALLBACK_ANSWER,
    ACTION_GOODBYE,
    ACTION_HUMAN_HANDOFF,
    ACTION_IDENTITY,
    ACTION_NOT_IN_NOTICE,
    ACTION_THANKS,
    ACTION_WELCOME,
    APPLICANT_TYPE,
    BOT_CAPABILITIES,
    BOT_IDENTITY,
    CITY,
    DIRECTION,
    FEEDBACK,
    GOODBYE,
    GREET,
    HUMAN_HANDOFF,
    INFORM,
    LAST_ENTITIES,
    LAST_TOPIC,
    NLU_FALLBACK,
    NOT_IN_NOTICE,
    OUT_OF_SCOPE,
    SELFCHECK,
    SELFCHECK_ANSWER,
    SELFCHECK_RESTART,
    SELFCHECK_RESULT,
    SELFCHECK_STOP,
    THANKS,
)

# message metadata: the number of the question in a message that asks several
QUESTION_PART = "question_part"
# how a reply was chosen (staff read them as bot.ops.preview.MECHANISM_LABELS)
FAQ, CLAUSE, SILENT, FALLBACK, DIALOGUE, REFUSED = (
    "faq",
    "clause",
    "silent",
    "fallback",
    "dialogue",
    "refused",
)

# nlu/data/rules.yml, intent → action (FAQ intents → action_answer: nlu/generated rules)
ACTION_OF_INTENT: Mapping[str, str] = {
    GREET: ACTION_WELCOME,
    BOT_CAPABILITIES: ACTION_CAPABILITIES,
    HUMAN_HANDOFF: ACTION_HUMAN_HANDOFF,
    GOODBYE: ACTION_GOODBYE,
    THANKS: ACTION_THANKS,
    INFORM: ACTION_ANSWER,
    OUT_OF_SCOPE: ACTION_FALLBACK_ANSWER,
    NOT_IN_NOTICE: ACTION_NOT_IN_NOTICE,
    BOT_IDENTITY: ACTION_IDENTITY,
    NLU_FALLBACK: ACTION_FALLBACK_ANSWER,
    SELFCHECK_ANSWER: ACTION_FALLBACK_ANSWER,  # a bare answer outside the self-check
}
# intents whose rules run a dialogue (nlu/data/selfcheck.yml): not decided here
DIALOGUE_INTENTS = frozenset(
    {SELFCHECK, SELFCHECK_STOP, SELFCHECK_RESTART, SELFCHECK_RESULT, FEEDBACK}
)
# actions that say one fixed sentence of knowledge/messages.yml (and how many topics it lists)
FIXED_SENTENCES: Mapping[str, Tuple[str, Optional[int]]] = {
    ACTION_WELCOME: ("welcome", 8),
    ACTION_CAPABILITIES: ("capabilities", None),
    ACTION_HUMAN_HANDOFF: ("human_handoff", 0),
    ACTION_GOODBYE: ("goodbye", 0),
    ACTION_THANKS: ("thanks", 0),
    ACTION_IDENTITY: ("identity", 0),
}
# When a follow-up names only an entity and no topic was asked before.
DEFAULT_TOPIC_FOR_ENTITY = {CITY: "quota", APPLICANT_TYPE: "directions", DIRECTION: "directions"}
SUGGESTION_FLOOR = 0.15  # below this a topic is not worth offering
FALLBACK_TOPICS = 6

# the knowledge entities, and what bot.answer.routing adds
# (see nlu.components.QuestionRouterComponent)
ENTITY_KINDS = (
    CITY,
    APPLICANT_TYPE,
    DIRECTION,
    "silent_topic",
    "unknown_term",
    NOTICE_CLAUSE,
    "notice_quote",
    "policy_document",
    "language",
    BLOCKED,
)


@dataclass(frozen=True)
class Context:
    """What the conversation so far adds to a message."""

    last_topic: Optional[str] = None  # the topic of the last answer (slot ``last_topic``)
    # what the last answers were about, kind → values (slot ``last_entities``: bot.answer.context)
    last_entities: Mapping[str, Sequence[str]] = field(default_factory=dict)
    in_form: bool = False  # the self-check form is active: no feedback buttons
    message_id: Optional[str] = None  # the message answered: feedback buttons carry it
    # the number of this question in a message that asks several (channels/questions.py):
    # from the second on, an answer names its clause with the short source line
    question_part: int = 0


@dataclass(frozen=True)
class Decision:
    text: str
    mechanism: str  # FAQ / 原文条款 / 通知未涉及 / 兜底 / 对话 / 拒答
    topic: Optional[str]  # FAQ id, notice_clause, not_in_notice, or the intent
    clause: Optional[str] = None  # the notice clause the answer rests on
    buttons: Tuple[Dict[str, str], ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)  # slot updates
    choices: Tuple[str, ...] = ()  # questions offered for the applicant to choose from


def entities_of(message: Mapping[str, Any]) -> Dict[str, List[str]]:
    """Entity values of a parsed message, grouped by kind, in order of mention."""
    grouped: Dict[str, List[str]] = {}
    for entity in message.get("entities") or []:
        if entity.get("entity") in ENTITY_KINDS:
            values = grouped.setdefault(entity["entity"], [])
            if entity.get("value") not in values:
                values.append(entity["value"])
    return grouped


def action_for(intent: Optional[str], faq_ids: Sequence[str]) -> Optional[str]:
    """The action the rules run for ``intent``; ``None`` for a dialogue step (self-check…).
    An intent no rule names gets the rules' own fallback (config.yml: RulePolicy's
    ``core_fallback_action_name``), the honest fallback."""
    if intent in faq_ids:
        return ACTION_ANSWER
    if intent in DIALOGUE_INTENTS:
        return None
    return ACTION_OF_INTENT.get(intent or "", ACTION_FALLBACK_ANSWER)


def choose_topic(
    intent: Optional[str], last_topic: Optional[str], entities: Dict[str, List[str]], faq_ids: set
) -> Optional[str]:
    if intent in faq_ids:
        return intent
    if last_topic in faq_ids:
        return last_topic
    for kind, topic in DEFAULT_TOPIC_FOR_ENTITY.items():
        if entities.get(kind) and topic in faq_ids:
            return topic
    return None


def fallback_text(kb: KnowledgeBase, today: dt.date) -> str:
    return render_message(kb, "fallback", today, topics=topics_overview(kb, limit=FALLBACK_TOPICS))


def suggested_questions(kb: KnowledgeBase, message: Mapping[str, Any], limit: int = 3) -> List[str]:
    """Standard questions of the FAQ topics the model found possible but not sure enough to
    answer, and that fit what was asked (``bot.answer.clarify``: a topic the question shares no
    specific word with is no choice).

    Offered for the applicant to choose — the assistant does not pick one itself.
    """
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != NLU_FALLBACK]
    if not ranking or ranking[0].get("name") == OUT_OF_SCOPE:
        return []
    asked = asked_text(message.get("text") or "", kb)
    topics = fitting_topics(kb, asked, ranking, SUGGESTION_FLOOR, limit)
    return [entry.question for entry in map(kb.faq_entry, topics) if entry]


def feedback_buttons(
    kb: KnowledgeBase, context: Context, topic: Optional[str], today: dt.date
) -> Tuple[Dict[str, str], ...]:
    """有帮助 / 没帮助 under an answer — not during the self-check (its next question follows at
    once) and not when the previous answer was on the same topic (a follow-up such as
    “那株洲呢？”): asking again would be noise."""
    if not topic or context.in_form or context.last_topic == topic:
        return ()
    words = {value: render_message(kb, fb.WORD_MESSAGES[value], today) for value in fb.VALUES}
    return tuple(fb.buttons(words, context.message_id))


def off_the_footer(
    kb: KnowledgeBase, intent: Optional[str], last_topic: Optional[str], question: str
) -> Optional[str]:
    """“那申报上的问题呢，打哪个” after the website's own phone: a follow-up about the
    application is no footer question — the application's contacts answer it, never the
    footer's (the entry whose clause is the notice's contacts)."""
    last = kb.faq_entry(last_topic or "")
    if intent != INFORM or last is None or not last.footer:
        return intent
    if not any(word in question for word in APPLICATION_WORDS):
        return intent
    clause = kb.notice.contacts.clause
    return next((e.id for e in kb.faq if e.clause == clause and not e.footer), intent)


def _answer(kb, message, context, today) -> Decision:
    entities = entities_of(message)
    question = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    intent = off_the_footer(kb, intent, context.last_topic, question)
    intent = follow_up_topic(intent, context.last_topic, question)
    topic = choose_topic(intent, context.last_topic, entities, {e.id for e in kb.faq})
    reply = faq_reply(kb, topic, question, entities, today) if topic else None
    if reply is None:
        return Decision(fallback_text(kb, today), FALLBACK, intent, slots={LAST_TOPIC: None})
    return Decision(
        reply.text,
        FAQ,
        reply.topic,
        reply.clause,
        buttons=feedback_buttons(kb, context, reply.topic, today),
        slots={LAST_TOPIC: reply.topic},
    )


def _fallback(kb, message, context, today) -> Decision:
    intent = (message.get("intent") or {}).get("name")
    entities = entities_of(message)
    refused = blocked_reply(kb, entities, today)
    if refused is not None:  # abuse or a sensitive word: a fixed reply, nothing repeated back
        return Decision(refused.text, REFUSED, refused.topic, slots={LAST_TOPIC: refused.topic})
    quoted = clause_reply(kb, entities, today)
    if quoted is not None:  # one clause of the notice says it: quote it, with its number
        return Decision(
            quoted.text,
            CLAUSE,
            NOTICE_CLAUSE,
            quoted.clause,
            buttons=feedback_buttons(kb, context, NOTICE_CLAUSE, today),
            slots={LAST_TOPIC: NOTICE_CLAUSE},
        )
    questions = tuple(suggested_questions(kb, message))
    if not questions:
        return Decision(fallback_text(kb, today), FALLBACK, intent)
    return Decision(
        render_message(kb, "fallback_suggest", today, choices=numbered(questions)),
        FALLBACK,
        intent,
        buttons=tuple({"title": q, "payload": q} for q in questions),
        choices=questions,
    )


def _not_in_notice(kb, message, context, today) -> Decision:
    reply = not_in_notice_reply(kb, message.get("text") or "", entities_of(message), today)
    return Decision(reply.text, SILENT, NOT_IN_NOTICE, slots={LAST_TOPIC: None})


def _fixed_sentence(kb, action: str, intent: Optional[str], today) -> Decision:
    name, limit = FIXED_SENTENCES[action]
    if limit == 0:
        return Decision(render_message(kb, name, today), DIALOGUE, intent)
    topics = topics_overview(kb, limit=limit if limit is not None else len(kb.faq))
    return Decision(render_message(kb, name, today, topics=topics), DIALOGUE, intent)


def with_short_source(kb: KnowledgeBase, decision: Decision, today: dt.date) -> Decision:
    """The decision with its source line shortened (“（依据：通知四、2）”): in a reply to several
    questions the notice's full title is named once, by the first answer."""
    if not decision.clause:
        return decision
    full = source_note(kb, decision.clause)
    short = render_message(kb, "source_note_short", today, clause=decision.clause)
    return replace(decision, text=decision.text.replace(full, short))


def decide(
    kb: KnowledgeBase,
    message: Mapping[str, Any],
    context: Context = Context(),
    today: Optional[dt.date] = None,
    action: Optional[str] = None,
) -> Optional[Decision]:
    """The reply to a parsed ``message`` (``text``, ``intent``, ``intent_ranking``,
    ``entities``) in ``context``; ``None`` when a dialogue step (self-check, feedback) answers.

    ``action`` is the action Rasa chose, when a Rasa action asks (a rule's fallback can run
    the honest fallback for any intent); without it, the rules' own choice for the intent."""
    today = today or dt.date.today()
    intent = (message.get("intent") or {}).get("name")
    action = action or action_for(intent, [e.id for e in kb.faq])
    if action in ANSWERING_ACTIONS:
        decision = _in_context(kb, message, context, today) or ANSWERING_ACTIONS[action](
            kb, message, context, today
        )
        decision = _remembering(decision, message, context)
        return with_short_source(kb, decision, today) if context.question_part > 1 else decision
    if action in FIXED_SENTENCES:
        detail = _detail_follow_up(kb, message, context, today)
        return detail or _fixed_sentence(kb, action, intent, today)
    return None


def _detail_follow_up(kb, message, context, today) -> Optional[Decision]:
    """“在几楼” after the address, taken for small talk by the model: the address again."""
    found = attribute_follow_up(kb, message.get("text") or "", context.last_topic, today)
    if found is None:
        return None
    return Decision(
        found.text,
        FAQ,
        found.topic,
        found.clause,
        slots={LAST_TOPIC: found.topic, LAST_ENTITIES: dict(context.last_entities)},
    )


def _in_context(kb, message, context, today) -> Optional[Decision]:
    """Corrections, follow-ups, look-ups and what the facts decide (bot.answer.context)."""
    entities = entities_of(message)
    if entities.get(BLOCKED):
        return None
    found = understood(
        kb, message.get("text") or "", entities, context.last_topic, context.last_entities, today
    )
    if found is None:
        return None
    memory = remembered(
        context.last_topic, context.last_entities, found.topic, found.entities, found.replaces
    )
    return Decision(
        found.text,
        FAQ,
        found.topic,
        found.clause,
        buttons=feedback_buttons(kb, context, found.topic, today),
        slots={LAST_TOPIC: found.topic, LAST_ENTITIES: memory},
    )


def _remembering(decision: Decision, message, context: Context) -> Decision:
    """The decision, remembering what its answer was about (slot ``last_entities``)."""
    if LAST_ENTITIES in decision.slots or LAST_TOPIC not in decision.slots:
        return decision
    topic = decision.slots[LAST_TOPIC]
    entities = entities_of(message)
    memory = remembered(context.last_topic, context.last_entities, topic, entities) if topic else {}
    return replace(decision, slots={**decision.slots, LAST_ENTITIES: memory})


ANSWERING_ACTIONS = {
    ACTION_ANSWER: _answer,
    ACTION_FALLBACK_ANSWER: _fallback,
    ACTION_NOT_IN_NOTICE: _not_in_notice,
}
