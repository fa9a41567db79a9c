"""Actions that answer questions from the knowledge base: each asks the one decision
(``bot.answer.decision.decide``) and says what it decided."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge, today
from bot import feedback as fb
from bot.answer.decision import QUESTION_PART, Context, decide
from bot.answer.replies import render_message
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
    LAST_ENTITIES,
    LAST_TOPIC,
    SELFCHECK,
    SELFCHECK_FORM,
)


def answered_message_id(latest_message: Dict[str, Any]) -> Optional[str]:
    """The id the question log keeps for the message being answered (see questionlog/turns.py)."""
    metadata = latest_message.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    found = metadata.get("channel_message_id") or latest_message.get("message_id")
    return str(found) if found else None


def question_part(latest_message: Dict[str, Any]) -> int:
    """Which question of a message that asks several this is (channels/questions.py), 0 if one."""
    metadata = latest_message.get("metadata")
    part = metadata.get(QUESTION_PART) if isinstance(metadata, dict) else None
    return part if isinstance(part, int) else 0


def context_of(tracker: Tracker) -> Context:
    memory = tracker.get_slot(LAST_ENTITIES)
    return Context(
        last_topic=tracker.get_slot(LAST_TOPIC),
        last_entities=memory if isinstance(memory, dict) else {},
        in_form=bool(tracker.active_loop_name),
        message_id=answered_message_id(tracker.latest_message),
        question_part=question_part(tracker.latest_message),
    )


def say_decision(
    dispatcher: CollectingDispatcher, tracker: Tracker, action: str
) -> List[Dict[Text, Any]]:
    """Decide the reply to the latest message as ``action`` and send it; the slot events."""
    decision = decide(knowledge(), tracker.latest_message, context_of(tracker), today(), action)
    if decision is None:  # not reachable from the answering actions: every one has a branch
        return []
    dispatcher.utter_message(text=decision.text, buttons=list(decision.buttons) or None)
    return [SlotSet(slot, value) for slot, value in decision.slots.items()]


class SaysTheDecision:
    """Mixed into an ``Action`` whose whole reply is the decision for its own name (not an
    ``Action`` itself, so that rasa-sdk registers only the named ones)."""

    action_name = ""

    def name(self) -> Text:
        return self.action_name

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return say_decision(dispatcher, tracker, self.action_name)


class ActionAnswer(SaysTheDecision, Action):
    """Answers the FAQ topic asked (or continued by a follow-up like “那株洲呢？”)."""

    action_name = ACTION_ANSWER


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


class ActionFallbackAnswer(Action):
    """Honest fallback: what the assistant can answer and whom to ask instead. Never a guess."""

    def name(self) -> Text:
        return ACTION_FALLBACK_ANSWER

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.active_loop_name != SELFCHECK_FORM:
            return say_decision(dispatcher, tracker, ACTION_FALLBACK_ANSWER)
        # The self-check refused the message (a question, or asking for the self-check while
        # in it): the policies have nothing else to offer, and without going back to the form
        # Rasa would predict this fallback again and again until its circuit breaker stops the
        # conversation. Answer (unless it asked for the self-check: the form's question
        # explains that), then the form asks its question again.
        asked_for_it = (tracker.latest_message.get("intent") or {}).get("name") == SELFCHECK
        events = [] if asked_for_it else say_decision(dispatcher, tracker, ACTION_FALLBACK_ANSWER)
        return [*events, FollowupAction(SELFCHECK_FORM)]


class ActionNotInNotice(SaysTheDecision, Action):
    """What the notice does not regulate: say so, name it, give the contacts. Never a neighbour."""

    action_name = ACTION_NOT_IN_NOTICE


class ActionIdentity(SaysTheDecision, Action):
    action_name = ACTION_IDENTITY


class ActionWelcome(SaysTheDecision, Action):
    action_name = ACTION_WELCOME


class ActionCapabilities(SaysTheDecision, Action):
    action_name = ACTION_CAPABILITIES


class ActionHumanHandoff(SaysTheDecision, Action):
    action_name = ACTION_HUMAN_HANDOFF


class ActionGoodbye(SaysTheDecision, Action):
    action_name = ACTION_GOODBYE


class ActionThanks(SaysTheDecision, Action):
    action_name = ACTION_THANKS
