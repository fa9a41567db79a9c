"""The guided self-check: form validation, result, stop/restart/show again (its questions:
selfcheck_questions).

Slots (all in domain.yml): sc_type, sc_city, sc_direction, then ``sc_answer`` asked once per
question of the chosen direction (knowledge/indicators.yml); answers collect in the dict slot
``selfcheck_answers``. Parsing and wording live in the pure modules parsing / selfcheck_flow /
selfcheck_result.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge, say, today
from actions.parsing import (
    find_values,
    is_correction,
    is_skip,
    parse_applicant_type,
    parse_city,
    parse_direction,
)
from actions.selfcheck_flow import (
    MAX_FAILURES,
    SKIPPED,
    pending_items,
    reask_text,
    record_answer,
)
from actions.selfcheck_questions import direction_names, type_names
from actions.selfcheck_result import SelfcheckState, city_label, compose_result, reference_code
from bot.answer.decision import entities_of
from bot.kb.answers import answer_faq
from bot.names import (
    ACTION_SELFCHECK_RESET,
    ACTION_SELFCHECK_RESULT,
    ACTION_SELFCHECK_SHOW,
    ACTION_SELFCHECK_STOP,
    DIRECTION,
    ENTITY_OF_SLOT,
    FORM_SLOTS,
    REQUESTED_SLOT,
    SC_ANSWER,
    SC_CITY,
    SC_DIRECTION,
    SC_FAILURES,
    SC_REASK,
    SC_RESULT,
    SC_RESULT_CODE,
    SC_TYPE,
    SELFCHECK_ANSWERS,
    SELFCHECK_FORM,
    VALIDATE_SELFCHECK_FORM,
)
from bot.rasa.config import fallback_threshold

CODE = re.compile(r"zc-?([0-9a-z]{4})", re.IGNORECASE)
# a question asked along with an answer is answered when the NLU is as sure as it must be
# to answer at all (the FallbackClassifier threshold of config.yml)
ANSWER_ALONG_CONFIDENCE = fallback_threshold()


def answer_question_asked_along(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """“长沙能推荐几个？” at the 市州 question answers it and asks something: reply to both."""
    intent = tracker.latest_message.get("intent") or {}
    kb = knowledge()
    if kb.faq_entry(intent.get("name")) and intent.get("confidence", 0) >= ANSWER_ALONG_CONFIDENCE:
        answer = answer_faq(kb, intent["name"], entities_of(tracker.latest_message), today())
        dispatcher.utter_message(text=answer.text)


def reset_events() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet(REQUESTED_SLOT, None)]


def said(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def failed(tracker: Tracker, slot: str, reask: str) -> Dict[str, Any]:
    """The slot stays empty; the ask action sends ``reask`` instead of the plain question."""
    failures = int(tracker.get_slot(SC_FAILURES) or 0) + 1
    return {slot: None, SC_FAILURES: failures, SC_REASK: reask}


def accepted(slot: str, value: Any, **more: Any) -> Dict[str, Any]:
    return {slot: value, SC_FAILURES: 0, SC_REASK: None, **more}


def type_reask(failures: int) -> str:
    kb = knowledge()
    text = say("selfcheck_reask_type", types=type_names())
    if failures >= MAX_FAILURES:
        examples = "；".join(
            say("selfcheck_type_example", type=t.name, synonyms="、".join(t.synonyms[1:4]))
            for t in kb.applicant_types
        )
        text += "\n" + say("selfcheck_explain_type", examples=examples)
    return text


def city_reask(failures: int) -> str:
    text = say("selfcheck_reask_city")
    if failures >= MAX_FAILURES:
        text += "\n" + say("selfcheck_explain_city")
    return text


def direction_reask(failures: int, default_name: str | None) -> str:
    text = say("selfcheck_reask_direction", directions=direction_names())
    if default_name:
        text += say("selfcheck_reask_direction_default", direction=default_name)
    if failures >= MAX_FAILURES:
        text += "\n" + say("selfcheck_explain_direction")
    return text


class ValidateSelfcheckForm(FormValidationAction):
    """Validates each answer; ``required_slots`` adds one ``sc_answer`` turn per open question."""

    def name(self) -> str:
        return VALIDATE_SELFCHECK_FORM

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict,
    ) -> List[str]:
        direction = tracker.get_slot(SC_DIRECTION)
        if direction and not pending_items(
            knowledge(), direction, tracker.get_slot(SELFCHECK_ANSWERS)
        ):
            return [slot for slot in domain_slots if slot != SC_ANSWER]
        return domain_slots

    def _mentioned(self, slot: str, tracker: Tracker) -> Dict[str, Any]:
        """A type / 市州 / direction named at the start or as a correction (“不对，我们是企业”)."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested == slot:
            return {}
        if requested is not None and not is_correction(said(tracker)):
            return {}
        values = find_values(knowledge(), said(tracker), ENTITY_OF_SLOT[slot])
        if len(values) == 1 and values[0] != tracker.get_slot(slot):
            return {slot: values[0]}
        return {}

    async def extract_sc_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        return self._mentioned(SC_TYPE, tracker)

    async def extract_sc_city(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        return self._mentioned(SC_CITY, tracker)

    async def extract_sc_direction(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        return self._mentioned(SC_DIRECTION, tracker)

    def validate_sc_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if value is None:
            return {SC_TYPE: None}
        kb = knowledge()
        kind = kb.applicant_type(value) or kb.applicant_type(parse_applicant_type(kb, value))
        if kind is None:
            return failed(tracker, SC_TYPE, type_reask(int(tracker.get_slot(SC_FAILURES) or 0) + 1))
        more: Dict[str, Any] = {}
        if tracker.get_slot(REQUESTED_SLOT) not in (None, SC_TYPE) and not find_values(
            kb, said(tracker), DIRECTION
        ):
            more[SC_DIRECTION] = None  # a new type means the direction must be chosen again
            dispatcher.utter_message(text=say("selfcheck_type_changed", type=kind.name))
        answer_question_asked_along(dispatcher, tracker)
        return accepted(SC_TYPE, kind.id, **more)

    def validate_sc_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if value is None:
            return {SC_CITY: None}
        if is_skip(value):
            return accepted(SC_CITY, SKIPPED)
        city = parse_city(knowledge(), value)
        if city is None:
            return failed(tracker, SC_CITY, city_reask(int(tracker.get_slot(SC_FAILURES) or 0) + 1))
        if tracker.get_slot(REQUESTED_SLOT) not in (None, SC_CITY):
            dispatcher.utter_message(text=say("selfcheck_city_changed", city=city))
        answer_question_asked_along(dispatcher, tracker)
        return accepted(SC_CITY, city)

    def validate_sc_direction(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if value is None:
            return {SC_DIRECTION: None}
        kb = knowledge()
        kind = kb.applicant_type(tracker.get_slot(SC_TYPE))
        default = kb.direction(kind.default_direction if kind else None)
        chosen = kb.direction(value) or kb.direction(
            parse_direction(kb, value, default.id if default else None)
        )
        if chosen is None:
            failures = int(tracker.get_slot(SC_FAILURES) or 0) + 1
            return failed(
                tracker,
                SC_DIRECTION,
                direction_reask(failures, default.name if default else None),
            )
        if default and chosen.id != default.id:
            dispatcher.utter_message(
                text=say(
                    "selfcheck_direction_warning",
                    type=kind.name if kind else "",
                    default=default.name,
                    chosen=chosen.name,
                )
            )
        return accepted(SC_DIRECTION, chosen.id)

    def validate_sc_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        kb = knowledge()
        answers = dict(tracker.get_slot(SELFCHECK_ANSWERS) or {})
        pending = pending_items(kb, tracker.get_slot(SC_DIRECTION), answers)
        if value is None or not pending:
            return {SC_ANSWER: None}
        if is_correction(value) and any(find_values(kb, value, e) for e in ENTITY_OF_SLOT.values()):
            return {SC_ANSWER: None}  # handled by extract_sc_*; ask the same question again
        entry = record_answer(pending[0], value)
        if entry is None:
            failures = int(tracker.get_slot(SC_FAILURES) or 0) + 1
            return failed(tracker, SC_ANSWER, reask_text(kb, pending[0], failures, value, today()))
        answers[pending[0].id] = entry
        return accepted(SC_ANSWER, None, selfcheck_answers=answers)


def state_of(tracker: Tracker) -> SelfcheckState:
    return SelfcheckState(
        tracker.get_slot(SC_TYPE),
        city_label(tracker.get_slot(SC_CITY)),
        tracker.get_slot(SC_DIRECTION),
        dict(tracker.get_slot(SELFCHECK_ANSWERS) or {}),
    )


class ActionSelfcheckResult(Action):
    """Sends the written result, keeps it under a reference code, and clears the form slots."""

    def name(self) -> str:
        return ACTION_SELFCHECK_RESULT

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        code = reference_code(
            f"{tracker.sender_id}:{len(tracker.events)}:{tracker.latest_message.get('message_id')}"
        )
        messages = compose_result(knowledge(), state_of(tracker), today(), code)
        for message in messages:
            dispatcher.utter_message(text=message)
        return reset_events() + [SlotSet(SC_RESULT_CODE, code), SlotSet(SC_RESULT, messages)]


class ActionSelfcheckShow(Action):
    """“查看自测结果 ZC-1A2B” / “再看一下自测结果”: re-sends the result of this conversation."""

    def name(self) -> str:
        return ACTION_SELFCHECK_SHOW

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        code, messages = tracker.get_slot(SC_RESULT_CODE), tracker.get_slot(SC_RESULT) or []
        asked = CODE.search(said(tracker))
        if not messages:
            dispatcher.utter_message(text=say("selfcheck_no_result"))
        elif asked and f"ZC-{asked.group(1).upper()}" != code:
            wanted = f"ZC-{asked.group(1).upper()}"
            dispatcher.utter_message(
                text=say("selfcheck_code_not_found", asked=wanted, code=code or "")
            )
        else:
            for message in messages:
                dispatcher.utter_message(text=message)
        return []


class ActionSelfcheckStop(Action):
    def name(self) -> str:
        return ACTION_SELFCHECK_STOP

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        if tracker.active_loop.get("name") == SELFCHECK_FORM:
            dispatcher.utter_message(text=say("selfcheck_stopped"))
        else:
            dispatcher.utter_message(text=say("selfcheck_stop_idle"))
        return [ActiveLoop(None)] + reset_events()


class ActionSelfcheckReset(Action):
    def name(self) -> str:
        return ACTION_SELFCHECK_RESET

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text=say("selfcheck_reset"))
        return reset_events()
