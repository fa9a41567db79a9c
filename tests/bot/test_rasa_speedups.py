"""bot/rasa_speedups.py: the action server's answer is validated as Rasa validates it — the
same answers accepted, the same error raised — without re-checking the schema every time."""

from __future__ import annotations

import time
from typing import Any, Dict

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups

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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWER)
def test_any_answer_gets_rasas_verdict(answer):
    assert our_verdict(answer) == rasas_verdict(answer)


def test_install_patches_rasa_once(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    assert not rasa_speedups.installed()
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
