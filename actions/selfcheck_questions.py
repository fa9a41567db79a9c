"""The self-check's questions: ``action_ask_<slot>`` for each slot of the form (a pending re-ask
wins over the plain question; the first question says what the opening message already told)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge, say, today
from actions.selfcheck_flow import items_for, pending_items, question_text
from bot.names import (
    SC_ANSWER,
    SC_CITY,
    SC_DIRECTION,
    SC_REASK,
    SC_TYPE,
    SELFCHECK,
    SELFCHECK_ANSWERS,
    ask_action,
)


def type_names() -> str:
    return "、".join(t.name for t in knowledge().applicant_types)


def direction_names() -> str:
    return "、".join(f"{i}. {d.name}" for i, d in enumerate(knowledge().directions, 1))


class AskSelfcheckSlot(Action):
    """Base for action_ask_<slot>: a pending re-ask wins over the plain question."""

    slot = ""

    def name(self) -> str:
        return ask_action(self.slot)

    def question(self, tracker: Tracker) -> str:
        raise NotImplementedError

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        reask = tracker.get_slot(SC_REASK)
        if not reask:
            text = self.question(tracker)
            if self.slot != SC_TYPE and just_started(tracker):
                text = f"{say('selfcheck_intro')}\n{already_known(tracker)}\n{text}"
        elif self.slot == SC_ANSWER:
            text = f"{reask}\n{self.question(tracker)}"
        else:
            text = reask
        dispatcher.utter_message(text=text)
        return [SlotSet(SC_REASK, None)]


def just_started(tracker: Tracker) -> bool:
    """The message that started the self-check already answered the first question(s)."""
    return (tracker.latest_message.get("intent") or {}).get("name") == SELFCHECK


def already_known(tracker: Tracker) -> str:
    kb = knowledge()
    kind = kb.applicant_type(tracker.get_slot(SC_TYPE))
    known = [say("selfcheck_known_type", type=kind.name)] if kind else []
    if tracker.get_slot(SC_CITY):
        known.append(say("selfcheck_known_city", city=tracker.get_slot(SC_CITY)))
    return say("selfcheck_known", known="，".join(known)) if known else ""


class ActionAskScType(AskSelfcheckSlot):
    slot = SC_TYPE

    def question(self, tracker: Tracker) -> str:
        return f"{say('selfcheck_intro')}\n{say('selfcheck_ask_type', types=type_names())}"


class ActionAskScCity(AskSelfcheckSlot):
    slot = SC_CITY

    def question(self, tracker: Tracker) -> str:
        return say("selfcheck_ask_city")


class ActionAskScDirection(AskSelfcheckSlot):
    slot = SC_DIRECTION

    def question(self, tracker: Tracker) -> str:
        kb = knowledge()
        kind = kb.applicant_type(tracker.get_slot(SC_TYPE))
        default = kb.direction(kind.default_direction if kind else None)
        if default is None:
            return say("selfcheck_ask_direction_free", directions=direction_names())
        return say(
            "selfcheck_ask_direction_default",
            type=kind.name if kind else "",
            direction=default.name,
            focus=default.focus,
            directions=direction_names(),
        )


class ActionAskScAnswer(AskSelfcheckSlot):
    slot = SC_ANSWER

    def question(self, tracker: Tracker) -> str:
        kb = knowledge()
        answers = tracker.get_slot(SELFCHECK_ANSWERS) or {}
        pending = pending_items(kb, tracker.get_slot(SC_DIRECTION), answers)
        if not pending:
            return say("selfcheck_all_answered")
        total = len(items_for(kb, tracker.get_slot(SC_DIRECTION)))
        return question_text(kb, pending[0], total - len(pending) + 1, total, today())
