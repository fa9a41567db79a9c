"""bot/kb/facts.py: what follows from a knowledge base alone is computed once per loaded
knowledge base — the same results as computing it afresh, a new load brings new ones."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer.replies import _render_message, render_message
from bot.kb import facts as facts_module
from bot.kb.answers import human_contacts
from bot.kb.facts import _deadline_status, _static_facts, deadline_status, memoized, static_facts
from bot.kb.load import load_knowledge
from tests.support.tiers import examples

DAYS = [dt.date(2021, 11, 1), dt.date(2021, 11, 28), dt.date(2021, 12, 1)]


def test_static_facts_are_a_new_dict_each_time(kb):
    first = static_facts(kb)
    assert first == _static_facts(kb)
    first["deadline"] = facts_module.FactValue("changed by a caller", "")
    first["extra"] = facts_module.FactValue("added by a caller", "")
    again = static_facts(kb)
    assert again == _static_facts(kb) and "extra" not in again and again is not first


@pytest.mark.parametrize("today", DAYS)
def test_deadline_status_is_the_days_own(kb, today):
    assert deadline_status(kb, today) == _deadline_status(kb, today)


def test_the_deadline_status_changes_with_the_day(kb):
    assert len({deadline_status(kb, day) for day in DAYS}) == 3


def test_every_message_renders_as_it_would_afresh(kb):
    assert kb.messages_file is not None
    for name in kb.messages_file.messages:
        for today in DAYS:
            assert render_message(kb, name, today) == _render_message(kb, name, today, {})


@settings(max_examples=examples(50), deadline=None)
@given(
    name=st.sampled_from(["rate_limited", "not_in_notice", "unknown_term", "feedback_yes"]),
    values=st.dictionaries(
        st.sampled_from(["topic", "term", "days", "today", "city_name"]),
        st.text(max_size=12),
        max_size=3,
    ),
    day=st.sampled_from(DAYS),
)
def test_values_are_part_of_what_is_remembered(kb, name, values, day):
    assert render_message(kb, name, day, **values) == _render_message(kb, name, day, values)


def test_an_edit_is_a_new_load_with_its_own_results(knowledge_copy):
    before = load_knowledge(knowledge_copy)
    assert "13974" not in human_contacts(before)
    messages = knowledge_copy / "messages.yml"
    text = messages.read_text(encoding="utf-8")
    assert "\n  contacts: |-\n    " in text
    messages.write_text(
        text.replace("\n  contacts: |-\n    ", "\n  contacts: |-\n    热线13974000000；", 1),
        encoding="utf-8",
    )
    after = load_knowledge(knowledge_copy)
    assert "13974000000" in human_contacts(after)
    assert "13974000000" not in human_contacts(before)  # the old load keeps its own
    assert render_message(after, "contacts", DAYS[0]) != render_message(before, "contacts", DAYS[0])


def test_the_memo_is_bounded(kb, monkeypatch):
    monkeypatch.setattr(facts_module, "MEMO_MAX_ENTRIES", 3)
    scratch = type("Scratch", (), {})()
    calls = []
    for n in range(10):
        assert memoized(scratch, n, lambda n=n: calls.append(n) or n * 2) == n * 2
    assert len(scratch.__dict__[facts_module._MEMO_ATTRIBUTE]) <= 3
    assert memoized(scratch, 9, lambda: calls.append("again") or -1) == 18  # still remembered
    assert calls == list(range(10))
