"""Actions that answer questions from the knowledge base."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import entities_of, knowledge, today
from bot import feedback as fb
from bot.answer.replies import (
    NOTICE_CLAUSE,
    blocked_reply,
    clause_reply,
    faq_reply,
    follow_up_topic,
    not_in_notice_reply,
    render_message,
)
from bot.kb.answers import topics_overview
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
    CITY,
    DIRECTION,
    LAST_TOPIC,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
    SELFCHECK,
    SELFCHECK_FORM,
)

# When a follow-up names only an entity and no topic was asked before.
DEFAULT_TOPIC_FOR_ENTITY = {
    CITY: "quota",
    APPLICANT_TYPE: "directions",
    DIRECTION: "directions",
}


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


class ActionAnswer(Action):
    """Answers the FAQ topic asked (or continued by a follow-up like “那株洲呢？”)."""

    def name(self) -> Text:
        return ACTION_ANSWER

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge()
        message = tracker.latest_message
        entities = entities_of(message)
        question = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        last_topic = tracker.get_slot(LAST_TOPIC)
        intent = follow_up_topic(intent, last_topic, question)
        topic = choose_topic(intent, last_topic, entities, {e.id for e in kb.faq})
        reply = faq_reply(kb, topic, question, entities, today()) if topic else None
        if reply is None:
            dispatcher.utter_message(text=fallback_text(kb))
            return [SlotSet(LAST_TOPIC, None)]
        dispatcher.utter_message(
            text=reply.text, buttons=feedback_buttons(kb, tracker, reply.topic) or None
        )
        return [SlotSet(LAST_TOPIC, reply.topic)]


def answered_message_id(latest_message: Dict[str, Any]) -> Optional[str]:
    """The id the question log keeps for the message being answered (see questionlog/turns.py)."""
    metadata = latest_message.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    found = metadata.get("channel_message_id") or latest_message.get("message_id")
    return str(found) if found else None


def feedback_buttons(kb, tracker: Tracker, topic: Optional[str]) -> List[Dict[str, str]]:
    """有帮助 / 没帮助 under an answer — not during the self-check (its next question follows at
    once) and not when the previous answer was on the same topic (a follow-up such as
    “那株洲呢？”): asking again would be noise."""
    if not topic or tracker.active_loop_name or tracker.get_slot(LAST_TOPIC) == topic:
        return []
    words = {value: render_message(kb, fb.WORD_MESSAGES[value], today()) for value in fb.VALUES}
    return fb.buttons(words, answered_message_id(tracker.latest_message))


class ActionFeedback(Action):
    """Thanks for saying whether the answer helped (the question log records it: the broker)."""

    def name(self) -> Text:
        return fb.ACTION

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge()
        given = fb.from_entities(tracker.latest_message.get("entities"))
        words = {value: kb.message(fb.WORD_MESSAGES[value]) for value in fb.VALUES}
        helpful = (
            given.helpful
            if given
            else fb.typed_word(tracker.latest_message.get("text"), words) or fb.YES
        )
        dispatcher.utter_message(text=render_message(kb, fb.THANKS_MESSAGES[helpful], today()))
        return []


SUGGESTION_FLOOR = 0.15  # below this a topic is not worth offering


def fallback_text(kb) -> str:
    return render_message(kb, "fallback", today(), topics=topics_overview(kb, limit=6))


def suggested_questions(kb, latest_message: Dict[str, Any], limit: int = 3) -> List[str]:
    """Standard questions of the FAQ topics the model found possible but not sure enough to answer.

    Offered for the applicant to choose — the assistant does not pick one itself.
    """
    ranking = [
        r for r in latest_message.get("intent_ranking") or [] if r.get("name") != NLU_FALLBACK
    ]
    if not ranking or ranking[0].get("name") == OUT_OF_SCOPE:
        return []
    questions = []
    for candidate in ranking:
        entry = kb.faq_entry(candidate.get("name"))
        if entry and candidate.get("confidence", 0) >= SUGGESTION_FLOOR:
            questions.append(entry.question)
    return questions[:limit]


class ActionFallbackAnswer(Action):
    """Honest fallback: what the assistant can answer and whom to ask instead. Never a guess."""

    def name(self) -> Text:
        return ACTION_FALLBACK_ANSWER

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.active_loop_name != SELFCHECK_FORM:
            return self.answer(dispatcher, tracker)
        # The self-check refused the message (a question, or asking for the self-check while
        # in it): the policies have nothing else to offer, and without going back to the form
        # Rasa would predict this fallback again and again until its circuit breaker stops the
        # conversation. Answer (unless it asked for the self-check: the form's question
        # explains that), then the form asks its question again.
        asked_for_it = (tracker.latest_message.get("intent") or {}).get("name") == SELFCHECK
        events = [] if asked_for_it else self.answer(dispatcher, tracker)
        return [*events, FollowupAction(SELFCHECK_FORM)]

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        kb = knowledge()
        entities = entities_of(tracker.latest_message)
        refused = blocked_reply(kb, entities, today())
        if refused is not None:  # abuse or a sensitive word: a fixed reply, nothing repeated back
            dispatcher.utter_message(text=refused.text)
            return [SlotSet(LAST_TOPIC, refused.topic)]
        quoted = clause_reply(kb, entities, today())
        if quoted is not None:  # one clause of the notice says it: quote it, with its number
            dispatcher.utter_message(
                text=quoted.text, buttons=feedback_buttons(kb, tracker, NOTICE_CLAUSE) or None
            )
            return [SlotSet(LAST_TOPIC, NOTICE_CLAUSE)]
        questions = suggested_questions(kb, tracker.latest_message)
        if not questions:
            dispatcher.utter_message(text=fallback_text(kb))
            return []
        dispatcher.utter_message(
            text=render_message(kb, "fallback_suggest", today()),
            buttons=[{"title": question, "payload": question} for question in questions],
        )
        return []


class ActionNotInNotice(Action):
    """What the notice does not regulate: say so, name it, give the contacts. Never a neighbour."""

    def name(self) -> Text:
        return ACTION_NOT_IN_NOTICE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = tracker.latest_message
        reply = not_in_notice_reply(
            knowledge(), message.get("text") or "", entities_of(message), today()
        )
        dispatcher.utter_message(text=reply.text)
        return [SlotSet(LAST_TOPIC, None)]


class ActionIdentity(Action):
    def name(self) -> Text:
        return ACTION_IDENTITY

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=render_message(knowledge(), "identity", today()))
        return []


class ActionWelcome(Action):
    def name(self) -> Text:
        return ACTION_WELCOME

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge()
        dispatcher.utter_message(
            text=render_message(kb, "welcome", today(), topics=topics_overview(kb, limit=8))
        )
        return []


class ActionCapabilities(Action):
    def name(self) -> Text:
        return ACTION_CAPABILITIES

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kb = knowledge()
        topics = topics_overview(kb, limit=len(kb.faq))
        dispatcher.utter_message(text=render_message(kb, "capabilities", today(), topics=topics))
        return []


class ActionHumanHandoff(Action):
    def name(self) -> Text:
        return ACTION_HUMAN_HANDOFF

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=render_message(knowledge(), "human_handoff", today()))
        return []


class ActionGoodbye(Action):
    def name(self) -> Text:
        return ACTION_GOODBYE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=render_message(knowledge(), "goodbye", today()))
        return []


class ActionThanks(Action):
    def name(self) -> Text:
        return ACTION_THANKS

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=render_message(knowledge(), "thanks", today()))
        return []
