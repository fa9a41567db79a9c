"""validate_selfcheck_form, one validator per slot, on real rasa_sdk Trackers built from events."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.selfcheck import ValidateSelfcheckForm
from actions.selfcheck_flow import SKIPPED, items_for
from actions.selfcheck_questions import ActionAskScAnswer, ActionAskScDirection

FORM = "selfcheck_form"
DOMAIN = {
    "forms": {FORM: {"required_slots": ["sc_type", "sc_city", "sc_direction", "sc_answer"]}},
    "slots": {},
}


def tracker(
    text: str,
    requested: Optional[str],
    slots: Optional[Dict[str, Any]] = None,
    candidates: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """The tracker the form hands to the validation action: the user's message, then the slot
    candidates."""
    values = {"requested_slot": requested, **(slots or {}), **(candidates or {})}
    events: List[Dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {
            "event": "user",
            "text": text,
            "parse_data": {"text": text, "intent": {"name": "selfcheck_answer"}, "entities": []},
        },
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": FORM},
    ] + [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    return Tracker(
        "test",
        values,
        {"text": text, "intent": {"name": "selfcheck_answer"}, "entities": []},
        events,
        False,
        None,
        {"name": FORM},
        FORM,
    )


@pytest.fixture()
def form():
    return ValidateSelfcheckForm()


@pytest.fixture()
def dispatcher():
    return CollectingDispatcher()


@pytest.mark.parametrize(
    "text, value",
    [
        ("我们是一所大学", "university"),
        ("民营公司", "enterprise"),
        ("研究所", "institute"),
        ("经开区", "region"),
        ("university", "university"),
    ],
)
def test_type_accepted(form, dispatcher, text, value):
    result = form.validate_sc_type(text, dispatcher, tracker(text, "sc_type"), DOMAIN)
    assert result["sc_type"] == value and result["sc_failures"] == 0


def test_type_reask_then_explain(form, dispatcher):
    first = form.validate_sc_type("随便", dispatcher, tracker("随便", "sc_type"), DOMAIN)
    assert first["sc_type"] is None and first["sc_failures"] == 1
    assert "例如" in first["sc_reask"] and "说明" not in first["sc_reask"]
    second = form.validate_sc_type(
        "啥", dispatcher, tracker("啥", "sc_type", {"sc_failures": 1}), DOMAIN
    )
    assert (
        second["sc_failures"] == 2 and "说明" in second["sc_reask"] and "退出" in second["sc_reask"]
    )


@pytest.mark.parametrize(
    "text, value",
    [
        ("长沙", "长沙市"),
        ("湘西州", "湘西土家族苗族自治州"),
        ("在株洲", "株洲市"),
        ("跳过", SKIPPED),
    ],
)
def test_city(form, dispatcher, text, value):
    assert (
        form.validate_sc_city(text, dispatcher, tracker(text, "sc_city"), DOMAIN)["sc_city"]
        == value
    )


def test_city_unknown_asks_with_example(form, dispatcher):
    result = form.validate_sc_city("北京", dispatcher, tracker("北京", "sc_city"), DOMAIN)
    assert result["sc_city"] is None and "湘西州" in result["sc_reask"]


def test_default_direction_accepted_without_warning(form, dispatcher):
    result = form.validate_sc_direction(
        "是", dispatcher, tracker("是", "sc_direction", {"sc_type": "university"}), DOMAIN
    )
    assert result["sc_direction"] == "chuangye_jiuye"
    assert dispatcher.messages == []


def test_other_direction_warns(form, dispatcher):
    result = form.validate_sc_direction(
        "精益创业",
        dispatcher,
        tracker("精益创业", "sc_direction", {"sc_type": "enterprise"}),
        DOMAIN,
    )
    assert result["sc_direction"] == "jingyi_chuangye"
    assert (
        "原则上" in dispatcher.messages[0]["text"] and "融通创新" in dispatcher.messages[0]["text"]
    )


def test_region_chooses_freely_and_cannot_say_yes(form, dispatcher):
    ok = form.validate_sc_direction(
        "4", dispatcher, tracker("4", "sc_direction", {"sc_type": "region"}), DOMAIN
    )
    assert ok["sc_direction"] == "quanqiuhua_chuangye" and dispatcher.messages == []
    unclear = form.validate_sc_direction(
        "是", dispatcher, tracker("是", "sc_direction", {"sc_type": "region"}), DOMAIN
    )
    assert unclear["sc_direction"] is None and "1. 创业就业" in unclear["sc_reask"]


def test_answer_records_first_open_question(form, dispatcher, kb):
    slots = {"sc_type": "university", "sc_city": "长沙市", "sc_direction": "chuangye_jiuye"}
    result = form.validate_sc_answer(
        "是的", dispatcher, tracker("是的", "sc_answer", slots), DOMAIN
    )
    first = items_for(kb, "chuangye_jiuye")[0]
    assert result["sc_answer"] is None and result["selfcheck_answers"][first.id]["value"] is True


def test_answer_number_and_skip(form, dispatcher, kb):
    items = items_for(kb, "chuangye_jiuye")
    numbers = [i for i in items if i.kind != "yes_no"]
    answers = {
        i.id: {"value": True, "text": "是", "skipped": False} for i in items if i.kind == "yes_no"
    }
    slots = {
        "sc_type": "university",
        "sc_city": "长沙市",
        "sc_direction": "chuangye_jiuye",
        "selfcheck_answers": answers,
    }
    result = form.validate_sc_answer(
        "约200人", dispatcher, tracker("约200人", "sc_answer", slots), DOMAIN
    )
    assert result["selfcheck_answers"][numbers[0].id]["value"] == 200
    slots["selfcheck_answers"] = result["selfcheck_answers"]
    skipped = form.validate_sc_answer(
        "跳过", dispatcher, tracker("跳过", "sc_answer", slots), DOMAIN
    )
    assert skipped["selfcheck_answers"][numbers[1].id]["skipped"] is True


def test_unusable_answer_reasks_then_offers_skip(form, dispatcher):
    slots = {"sc_type": "university", "sc_city": "长沙市", "sc_direction": "chuangye_jiuye"}
    first = form.validate_sc_answer(
        "不知道", dispatcher, tracker("不知道", "sc_answer", slots), DOMAIN
    )
    assert (
        first["sc_answer"] is None
        and "selfcheck_answers" not in first
        and "是" in first["sc_reask"]
    )
    second = form.validate_sc_answer(
        "随便说说",
        dispatcher,
        tracker("随便说说", "sc_answer", {**slots, "sc_failures": 1}),
        DOMAIN,
    )
    assert "跳过" in second["sc_reask"] and "说明" in second["sc_reask"]


async def test_required_slots_add_questions_until_all_answered(form, dispatcher, kb):
    slots = {"sc_type": "university", "sc_city": "长沙市", "sc_direction": "chuangye_jiuye"}
    domain_slots = DOMAIN["forms"][FORM]["required_slots"]
    assert "sc_answer" in await form.required_slots(
        domain_slots, dispatcher, tracker("", "sc_answer", slots), DOMAIN
    )
    done = {i.id: {"value": True} for i in items_for(kb, "chuangye_jiuye")}
    remaining = await form.required_slots(
        domain_slots,
        dispatcher,
        tracker("", "sc_answer", {**slots, "selfcheck_answers": done}),
        DOMAIN,
    )
    assert remaining == ["sc_type", "sc_city", "sc_direction"]


async def test_run_prefills_from_the_first_message(form, dispatcher):
    events = await form.run(dispatcher, tracker("我们是长沙的一所大学，想自测一下", None), DOMAIN)
    values = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert values["sc_type"] == "university" and values["sc_city"] == "长沙市"
    assert "sc_direction" not in values  # still missing: the form asks for it next


async def test_run_correction_changes_type_and_asks_direction_again(form, dispatcher):
    slots = {"sc_type": "institute", "sc_city": "株洲市", "sc_direction": "jingyi_chuangye"}
    text = "不对，我们是企业"
    events = await form.run(
        dispatcher, tracker(text, "sc_answer", slots, {"sc_answer": text}), DOMAIN
    )
    values = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert values["sc_type"] == "enterprise" and values["sc_direction"] is None  # asked again next
    assert "selfcheck_answers" not in values


async def test_run_last_answer_ends_the_form(form, dispatcher, kb):
    items = items_for(kb, "rongtong_chuangxin")
    answers = {i.id: {"value": True} for i in items[:-1]}
    slots = {
        "sc_type": "enterprise",
        "sc_city": "长沙市",
        "sc_direction": "rongtong_chuangxin",
        "selfcheck_answers": answers,
    }
    events = await form.run(
        dispatcher, tracker("有", "sc_answer", slots, {"sc_answer": "有"}), DOMAIN
    )
    values = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert values["requested_slot"] is None and len(values["selfcheck_answers"]) == len(items)


def test_ask_actions_number_the_question_and_send_reask(dispatcher, kb):
    slots = {
        "sc_type": "university",
        "sc_direction": "chuangye_jiuye",
        "sc_reask": "没能看懂“嗯”。",
    }
    events = ActionAskScAnswer().run(dispatcher, tracker("嗯", "sc_answer", slots), {})
    total = len(items_for(kb, "chuangye_jiuye"))
    assert (
        dispatcher.messages[0]["text"].startswith("没能看懂")
        and f"第1/{total}题" in dispatcher.messages[0]["text"]
    )
    assert events == [{"event": "slot", "timestamp": None, "name": "sc_reask", "value": None}]


def test_ask_direction_names_the_default(dispatcher):
    ActionAskScDirection().run(
        dispatcher, tracker("", "sc_direction", {"sc_type": "institute"}), {}
    )
    assert (
        "精益创业" in dispatcher.messages[0]["text"] and "原则上" in dispatcher.messages[0]["text"]
    )


@pytest.mark.parametrize(
    "intent, slots, expected_start",
    [
        ("selfcheck", {"sc_type": "university"}, "好的，我们来做申报条件自测"),
        ("selfcheck_answer", {"sc_type": "university"}, "所在的市州是？"),
    ],
)
def test_a_self_check_started_with_the_type_still_introduces_itself(intent, slots, expected_start):
    from actions.selfcheck_questions import ActionAskScCity

    message = {"text": "帮我看看我们学校够不够条件", "intent": {"name": intent}, "entities": []}
    current = Tracker(
        "test",
        {"requested_slot": "sc_city", **slots},
        message,
        [],
        False,
        None,
        {"name": FORM},
        FORM,
    )
    dispatcher = CollectingDispatcher()
    ActionAskScCity().run(dispatcher, current, {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith(expected_start)
    assert ("已记下 主体类型：高校" in text) == (intent == "selfcheck")


@pytest.mark.parametrize("confidence, answered", [(0.93, True), (0.3, False)])
def test_a_question_that_also_answers_the_city_gets_both(form, confidence, answered):
    message = {
        "text": "长沙能推荐几个？",
        "intent": {"name": "quota", "confidence": confidence},
        "entities": [{"entity": "city", "value": "长沙市", "start": 0, "end": 2}],
    }
    current = Tracker(
        "test",
        {"requested_slot": "sc_city", "sc_type": "enterprise"},
        message,
        [],
        False,
        None,
        {"name": FORM},
        FORM,
    )
    dispatcher = CollectingDispatcher()
    assert (
        form.validate_sc_city("长沙能推荐几个？", dispatcher, current, DOMAIN)["sc_city"]
        == "长沙市"
    )
    texts = [m["text"] for m in dispatcher.messages]
    assert any("长沙市推荐不超过4个" in t for t in texts) == answered
