"""The guided self-check: form validation, custom questions, result, stop/restart/show again.

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

from actions.knowledge import entities_of, knowledge, today
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
    items_for,
    pending_items,
    question_text,
    reask_text,
    record_answer,
)
from actions.selfcheck_result import SelfcheckState, city_label, compose_result, reference_code
from bot.kb.answers import answer_faq

FORM_SLOTS = ("sc_type", "sc_city", "sc_direction", "sc_answer", "selfcheck_answers", "sc_failures", "sc_reask")
CODE = re.compile(r"zc-?([0-9a-z]{4})", re.IGNORECASE)
ENTITY_OF_SLOT = {"sc_type": "applicant_type", "sc_city": "city", "sc_direction": "direction"}
ANSWER_ALONG_CONFIDENCE = 0.5  # the NLU fallback threshold (config.yml)


def answer_question_asked_along(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """“长沙能推荐几个？” at the 市州 question answers it and asks something: reply to both."""
    intent = tracker.latest_message.get("intent") or {}
    kb = knowledge()
    if kb.faq_entry(intent.get("name")) and intent.get("confidence", 0) >= ANSWER_ALONG_CONFIDENCE:
        answer = answer_faq(kb, intent["name"], entities_of(tracker.latest_message), today())
        dispatcher.utter_message(text=answer.text)


def reset_events() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


def said(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def failed(tracker: Tracker, slot: str, reask: str) -> Dict[str, Any]:
    """The slot stays empty; the ask action sends ``reask`` instead of the plain question."""
    failures = int(tracker.get_slot("sc_failures") or 0) + 1
    return {slot: None, "sc_failures": failures, "sc_reask": reask}


def accepted(slot: str, value: Any, **more: Any) -> Dict[str, Any]:
    return {slot: value, "sc_failures": 0, "sc_reask": None, **more}


def type_reask(failures: int) -> str:
    kb = knowledge()
    text = "请告诉我申报主体属于哪一类：" + "、".join(t.name for t in kb.applicant_types) + "。例如回复“我们是高新区”或“民营公司”。"
    if failures >= MAX_FAILURES:
        examples = "；".join(f"{t.name}：{'、'.join(t.synonyms[1:4])}等" for t in kb.applicant_types)
        text += f"\n说明：通知中的承担主体分为四类（{examples}）。主体类型决定建设方向，这一题不能跳过；回复“退出”可结束自测。"
    return text


def city_reask(failures: int) -> str:
    text = "请告诉我所在的市州，例如“长沙”“株洲市”或“湘西州”。"
    if failures >= MAX_FAILURES:
        text += "\n说明：湖南共14个市州，各市州推荐名额不同（通知三）。不方便说明可以回复“跳过”。"
    return text


def direction_reask(failures: int, default_name: str | None) -> str:
    names = "、".join(f"{i}. {d.name}" for i, d in enumerate(knowledge().directions, 1))
    text = f"请从四个方向中选一个（回复序号或名称）：{names}。"
    if default_name:
        text += f"按通知默认的{default_name}方向，回复“是”即可。"
    if failures >= MAX_FAILURES:
        text += "\n说明：自测题目按建设方向出题，这一题不能跳过；回复“退出”可结束自测。"
    return text


class ValidateSelfcheckForm(FormValidationAction):
    """Validates each answer; ``required_slots`` adds one ``sc_answer`` turn per open question."""

    def name(self) -> str:
        return "validate_selfcheck_form"

    async def required_slots(self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[str]:
        direction = tracker.get_slot("sc_direction")
        if direction and not pending_items(knowledge(), direction, tracker.get_slot("selfcheck_answers")):
            return [slot for slot in domain_slots if slot != "sc_answer"]
        return domain_slots

    def _mentioned(self, slot: str, tracker: Tracker) -> Dict[str, Any]:
        """A type / 市州 / direction named at the start or as a correction (“不对，我们是企业”)."""
        requested = tracker.get_slot("requested_slot")
        if requested == slot:
            return {}
        if requested is not None and not is_correction(said(tracker)):
            return {}
        values = find_values(knowledge(), said(tracker), ENTITY_OF_SLOT[slot])
        if len(values) == 1 and values[0] != tracker.get_slot(slot):
            return {slot: values[0]}
        return {}

    async def extract_sc_type(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        return self._mentioned("sc_type", tracker)

    async def extract_sc_city(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        return self._mentioned("sc_city", tracker)

    async def extract_sc_direction(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        return self._mentioned("sc_direction", tracker)

    def validate_sc_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        if value is None:
            return {"sc_type": None}
        kb = knowledge()
        kind = kb.applicant_type(value) or kb.applicant_type(parse_applicant_type(kb, value))
        if kind is None:
            return failed(tracker, "sc_type", type_reask(int(tracker.get_slot("sc_failures") or 0) + 1))
        more: Dict[str, Any] = {}
        if tracker.get_slot("requested_slot") not in (None, "sc_type") and not find_values(kb, said(tracker), "direction"):
            more["sc_direction"] = None  # a new type means the direction must be chosen again
            dispatcher.utter_message(text=f"好的，主体类型改为{kind.name}，建设方向需要重新确认。")
        answer_question_asked_along(dispatcher, tracker)
        return accepted("sc_type", kind.id, **more)

    def validate_sc_city(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        if value is None:
            return {"sc_city": None}
        if is_skip(value):
            return accepted("sc_city", SKIPPED)
        city = parse_city(knowledge(), value)
        if city is None:
            return failed(tracker, "sc_city", city_reask(int(tracker.get_slot("sc_failures") or 0) + 1))
        if tracker.get_slot("requested_slot") not in (None, "sc_city"):
            dispatcher.utter_message(text=f"好的，所在市州改为{city}。")
        answer_question_asked_along(dispatcher, tracker)
        return accepted("sc_city", city)

    def validate_sc_direction(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        if value is None:
            return {"sc_direction": None}
        kb = knowledge()
        kind = kb.applicant_type(tracker.get_slot("sc_type"))
        default = kb.direction(kind.default_direction if kind else None)
        chosen = kb.direction(value) or kb.direction(parse_direction(kb, value, default.id if default else None))
        if chosen is None:
            failures = int(tracker.get_slot("sc_failures") or 0) + 1
            return failed(tracker, "sc_direction", direction_reask(failures, default.name if default else None))
        if default and chosen.id != default.id:
            dispatcher.utter_message(
                text=f"⚠️ 提醒：通知规定{kind.name}示范基地“原则上”聚焦{default.name}方向（通知二）。"
                f"选择{chosen.name}方向请先与所在市州发展改革委沟通。下面按{chosen.name}方向自测。"
            )
        return accepted("sc_direction", chosen.id)

    def validate_sc_answer(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        kb = knowledge()
        answers = dict(tracker.get_slot("selfcheck_answers") or {})
        pending = pending_items(kb, tracker.get_slot("sc_direction"), answers)
        if value is None or not pending:
            return {"sc_answer": None}
        if is_correction(value) and any(find_values(kb, value, e) for e in ENTITY_OF_SLOT.values()):
            return {"sc_answer": None}  # handled by extract_sc_*; ask the same question again
        entry = record_answer(pending[0], value)
        if entry is None:
            failures = int(tracker.get_slot("sc_failures") or 0) + 1
            return failed(tracker, "sc_answer", reask_text(pending[0], failures, value))
        answers[pending[0].id] = entry
        return accepted("sc_answer", None, selfcheck_answers=answers)


class AskSelfcheckSlot(Action):
    """Base for action_ask_<slot>: a pending re-ask wins over the plain question."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def question(self, tracker: Tracker) -> str:
        raise NotImplementedError

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        reask = tracker.get_slot("sc_reask")
        if not reask:
            text = self.question(tracker)
            if self.slot != "sc_type" and just_started(tracker):
                text = f"{INTRO}\n{already_known(tracker)}\n{text}"
        elif self.slot == "sc_answer":
            text = f"{reask}\n{self.question(tracker)}"
        else:
            text = reask
        dispatcher.utter_message(text=text)
        return [SlotSet("sc_reask", None)]


INTRO = "好的，我们来做申报条件自测（一问一答，随时可回复“退出”结束、“跳过”略过某题、“重新开始”重来）。"


def just_started(tracker: Tracker) -> bool:
    """The message that started the self-check already answered the first question(s)."""
    return (tracker.latest_message.get("intent") or {}).get("name") == "selfcheck"


def already_known(tracker: Tracker) -> str:
    kb = knowledge()
    kind = kb.applicant_type(tracker.get_slot("sc_type"))
    known = [f"主体类型：{kind.name}"] if kind else []
    if tracker.get_slot("sc_city"):
        known.append(f"所在市州：{tracker.get_slot('sc_city')}")
    return "已记下 " + "，".join(known) + "（如不对，直接告诉我正确的即可）。" if known else ""


class ActionAskScType(AskSelfcheckSlot):
    slot = "sc_type"

    def question(self, tracker: Tracker) -> str:
        names = "、".join(t.name for t in knowledge().applicant_types)
        return f"{INTRO}\n第一步：申报主体属于哪一类？{names}（例如：“我们是高新区”“民营公司”“大学”“研究院”）"


class ActionAskScCity(AskSelfcheckSlot):
    slot = "sc_city"

    def question(self, tracker: Tracker) -> str:
        return "所在的市州是？（例如：长沙、株洲、湘西州）"


class ActionAskScDirection(AskSelfcheckSlot):
    slot = "sc_direction"

    def question(self, tracker: Tracker) -> str:
        kb = knowledge()
        kind = kb.applicant_type(tracker.get_slot("sc_type"))
        default = kb.direction(kind.default_direction if kind else None)
        names = "、".join(f"{i}. {d.name}" for i, d in enumerate(kb.directions, 1))
        if default is None:
            return f"区域示范基地根据自身特色和优势，从四个重点方向中选择一个（通知二）：{names}。请回复序号或名称。"
        return (
            f"按通知，{kind.name}示范基地原则上聚焦{default.name}方向（{default.focus}，通知二）。\n"
            f"按{default.name}方向自测请回复“是”；如确需选其他方向，请直接说方向名称（{names}）。"
        )


class ActionAskScAnswer(AskSelfcheckSlot):
    slot = "sc_answer"

    def question(self, tracker: Tracker) -> str:
        kb = knowledge()
        answers = tracker.get_slot("selfcheck_answers") or {}
        pending = pending_items(kb, tracker.get_slot("sc_direction"), answers)
        if not pending:
            return "题目已全部答完。"
        total = len(items_for(kb, tracker.get_slot("sc_direction")))
        return question_text(pending[0], total - len(pending) + 1, total)


def state_of(tracker: Tracker) -> SelfcheckState:
    return SelfcheckState(
        tracker.get_slot("sc_type"), city_label(tracker.get_slot("sc_city")),
        tracker.get_slot("sc_direction"), dict(tracker.get_slot("selfcheck_answers") or {}),
    )


class ActionSelfcheckResult(Action):
    """Sends the written result, keeps it under a reference code, and clears the form slots."""

    def name(self) -> str:
        return "action_selfcheck_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        code = reference_code(f"{tracker.sender_id}:{len(tracker.events)}:{tracker.latest_message.get('message_id')}")
        messages = compose_result(knowledge(), state_of(tracker), today(), code)
        for message in messages:
            dispatcher.utter_message(text=message)
        return reset_events() + [SlotSet("sc_result_code", code), SlotSet("sc_result", messages)]


class ActionSelfcheckShow(Action):
    """“查看自测结果 ZC-1A2B” / “再看一下自测结果”: re-sends the result of this conversation."""

    def name(self) -> str:
        return "action_selfcheck_show"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        code, messages = tracker.get_slot("sc_result_code"), tracker.get_slot("sc_result") or []
        asked = CODE.search(said(tracker))
        if not messages:
            dispatcher.utter_message(text="本次对话中还没有自测结果。回复“自测”即可开始申报条件自测。")
        elif asked and f"ZC-{asked.group(1).upper()}" != code:
            dispatcher.utter_message(text=f"没有找到编号 ZC-{asked.group(1).upper()} 的自测结果。本次对话中的自测编号是 {code}，回复“查看自测结果 {code}”即可查看。")
        else:
            for message in messages:
                dispatcher.utter_message(text=message)
        return []


class ActionSelfcheckStop(Action):
    def name(self) -> str:
        return "action_selfcheck_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        if tracker.active_loop.get("name") == "selfcheck_form":
            dispatcher.utter_message(text="好的，已退出自测，本次填写的内容不作保存。需要时回复“自测”可重新开始；也可以继续问我申报的问题。")
        else:
            dispatcher.utter_message(text="好的。需要做申报条件自测时回复“自测”即可；也可以继续问我申报的问题。")
        return [ActiveLoop(None)] + reset_events()


class ActionSelfcheckReset(Action):
    def name(self) -> str:
        return "action_selfcheck_reset"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="好的，重新开始自测，之前的回答已清空。")
        return reset_events()
