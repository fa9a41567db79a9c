"""bot/rasa/speedups.py: the action server's answer is validated as Rasa validates it — the
same answers accepted, the same error raised — without re-checking the schema every time."""

from __future__ import annotations

import time
from typing import Any, Dict

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction

from bot.rasa import speedups as rasa_speedups
from tests.support.tiers import examples

ORIGINAL = RemoteAction.__dict__["_validate_action_result"]


def rasas_verdict(result: Dict[str, Any]) -> str:
    """Rasa 3.6's own ``_validate_action_result``: "ok" or the error it raises."""
    try:
        assert ORIGINAL(RemoteAction("action_x", None), result) is True
    except jsonschema.ValidationError as error:
        return f"error: {error.message} @ {list(error.absolute_path)}"
    return "ok"


def our_verdict(result: Dict[str, Any]) -> str:
    try:
        assert rasa_speedups.validate_action_result(result) is True
    except jsonschema.ValidationError as error:
        return f"error: {error.message} @ {list(error.absolute_path)}"
    return "ok"


ANSWERS = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "last_topic", "value": "faq_deadline", "timestamp": None},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_answer"},
        ],
        "responses": [{"text": "截止时间是……", "buttons": [{"title": "有帮助", "payload": "/x"}]}],
    },
    {"events": [{"event": "slot", "value": 1}]},  # no slot name
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "x"}]},  # no event type
    {"events": "not a list"},
    {"events": [], "responses": ["not an object"]},
    {"events": [{"event": "user", "text": 3}]},
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_same_answers_pass_and_fail_with_the_same_error(answer):
    assert our_verdict(answer) == rasas_verdict(answer)


def test_an_error_says_what_rasa_says_about_the_action_server():
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        rasa_speedups.validate_action_result({"events": "not a list"})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
EVENT_NAMES = st.sampled_from(
    ["slot", "user", "bot", "action", "active_loop", "followup", "reset_slots", "restart", "x"]
)
EVENT = st.fixed_dictionaries(
    {"event": EVENT_NAMES},
    optional={
        "name": st.none() | st.text(max_size=8),
        "value": JSON,
        "text": st.none() | st.text(max_size=8) | st.integers(),
        "timestamp": st.none() | st.floats(allow_nan=False) | st.text(max_size=3),
    },
)
ANSWER = st.fixed_dictionaries(
    {},
    optional={
        "events": st.lists(EVENT | JSON, max_size=3) | JSON,
        "responses": st.lists(st.dictionaries(st.text(max_size=5), JSON, max_size=2) | JSON) | JSON,
    },
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWER)
def test_any_answer_gets_rasas_verdict(answer):
    assert our_verdict(answer) == rasas_verdict(answer)


@pytest.fixture()
def unpatched(monkeypatch):
    """Rasa as it comes; whatever a test installs is undone after it."""
    from rasa.core.processor import MessageProcessor

    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    monkeypatch.setattr(MessageProcessor, "_parse_message_with_graph", rasa_speedups._rasas_parse)
    return MessageProcessor


def test_install_patches_rasa_once(unpatched):
    assert not rasa_speedups.installed() and not rasa_speedups.parse_cache_installed()
    rasa_speedups.install()
    patched = RemoteAction.__dict__["_validate_action_result"]
    rasa_speedups.install()
    assert rasa_speedups.installed() and RemoteAction.__dict__["_validate_action_result"] is patched
    action = RemoteAction("action_answer", None)
    assert action._validate_action_result({"events": [], "responses": []}) is True
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"event": "slot"}]})


def test_the_schema_is_checked_once_not_per_answer():
    """The point of it: Rasa's own check costs tens of milliseconds per call."""
    answer = ANSWERS[2]
    rasa_speedups.validate_action_result(answer)  # the one schema check
    started = time.perf_counter()
    for _ in range(20):
        rasa_speedups.validate_action_result(answer)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(2):
        rasas_verdict(answer)
    rasas = (time.perf_counter() - started) / 2
    assert ours / 20 < rasas / 5


# -- the parse cache ---------------------------------------------------------------------


class Knowledge:
    """Stands for a loaded knowledge base: only its identity matters."""


def counting_parser(results):
    calls = []

    def parse(text):
        def run():
            calls.append(text)
            return {"text": text, "intent": {"name": results.get(text, "x")}, "entities": []}

        return run

    return parse, calls


def test_a_repeated_text_is_parsed_once_and_each_caller_gets_its_own_copy():
    kb = Knowledge()
    cache = rasa_speedups.ParseCache(4, lambda: kb)
    parse, calls = counting_parser({"截止时间": "faq_deadline"})
    first = cache.get_or_parse(("m1", "截止时间"), parse("截止时间"))
    first["intent"]["name"] = "changed by the processor"
    first["entities"].append({"entity": "city", "value": "长沙"})
    second = cache.get_or_parse(("m1", "截止时间"), parse("截止时间"))
    assert second == {"text": "截止时间", "intent": {"name": "faq_deadline"}, "entities": []}
    second["entities"].append("again")
    assert cache.get_or_parse(("m1", "截止时间"), parse("截止时间"))["entities"] == []
    assert calls == ["截止时间"] and (cache.hits, cache.misses) == (2, 1)


def test_another_model_or_a_new_knowledge_base_parses_again():
    current = [Knowledge()]
    cache = rasa_speedups.ParseCache(4, lambda: current[0])
    parse, calls = counting_parser({})
    cache.get_or_parse(("m1", "a"), parse("a"))
    cache.get_or_parse(("m2", "a"), parse("a"))  # a swapped model
    assert calls == ["a", "a"]
    current[0] = Knowledge()  # a staff edit: the NLU components read the new one
    cache.get_or_parse(("m1", "a"), parse("a"))
    assert calls == ["a", "a", "a"] and len(cache) == 1


def test_the_cache_is_bounded_least_recently_used_first():
    kb = Knowledge()
    cache = rasa_speedups.ParseCache(2, lambda: kb)
    parse, calls = counting_parser({})
    for text in ["a", "b", "a", "c", "a", "b"]:
        cache.get_or_parse(("m", text), parse(text))
    assert calls == ["a", "b", "c", "b"] and len(cache) == 2


def test_size_zero_caches_nothing():
    cache = rasa_speedups.ParseCache(0, lambda: pytest.fail("not consulted"))
    parse, calls = counting_parser({})
    cache.get_or_parse(("m", "a"), parse("a"))
    cache.get_or_parse(("m", "a"), parse("a"))
    assert calls == ["a", "a"] and len(cache) == 0


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from(list("abcde")), st.booleans()),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_any_sequence_gets_what_parsing_afresh_gets(steps, size):
    """Messages under two models, with knowledge edits in between (the flag): every answer is
    what the parser says for that model, text and knowledge version, whatever the cache held."""
    version = [0]
    knowledge = {0: Knowledge()}
    cache = rasa_speedups.ParseCache(size, lambda: knowledge[version[0]])

    def truth(model, text):
        return {"text": text, "intent": {"name": f"{model}/{text}/{version[0]}"}}

    for model, text, edit in steps:
        if edit:
            version[0] += 1
            knowledge[version[0]] = Knowledge()
        got = cache.get_or_parse((model, text), lambda m=model, t=text: truth(m, t))
        assert got == truth(model, text)
    assert len(cache) <= size


class Model:
    model_id = "model-1"


class FakeProcessor:
    model_metadata = Model()


def test_rasas_parse_is_cached_only_for_its_output_properties(monkeypatch):
    calls = []

    def rasas(self, message, tracker, only_output_properties=True):
        calls.append((message.text, only_output_properties))
        return {"text": message.text, "intent": {"name": "greet"}, "entities": []}

    kb = Knowledge()
    monkeypatch.setattr(rasa_speedups, "_rasas_parse", rasas)
    monkeypatch.setattr(rasa_speedups, "_parse_cache", rasa_speedups.ParseCache(8, lambda: kb))
    message = type("Message", (), {"text": "你好"})()
    patched = rasa_speedups._parse_message_with_graph
    for _ in range(3):
        assert patched(FakeProcessor(), message, None)["intent"] == {"name": "greet"}
    patched(FakeProcessor(), message, None, only_output_properties=False)
    patched(FakeProcessor(), message, None, only_output_properties=False)
    assert calls == [("你好", True), ("你好", False), ("你好", False)]


def test_install_adds_the_parse_cache_to_rasas_processor(unpatched):
    rasa_speedups.install()
    assert rasa_speedups.parse_cache_installed()
    assert unpatched._parse_message_with_graph is rasa_speedups._parse_message_with_graph
