"""bot/names.py, domain.yml, the generated domain and the hand-written rules agree on names."""

from __future__ import annotations

import inspect
import re

import pytest
import yaml
from rasa_sdk import Action

import actions.answers
import actions.selfcheck
import actions.selfcheck_questions
from bot import names
from bot.ops.generate import INTERRUPTING_INTENTS, domain_with_faq_interruptions
from tests.conftest import PROJECT_DIR

DOMAIN = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
RASA_OWN_INTENTS = {names.NLU_FALLBACK}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("intents", set(names.INTENTS)),
        ("entities", set(names.ENTITIES)),
        ("slots", set(names.SLOTS)),
        ("forms", {names.SELFCHECK_FORM}),
        ("actions", set(names.ACTIONS)),
    ],
)
def test_domain_declares_what_bot_names_names(section, expected):
    declared = DOMAIN[section]
    assert set(declared) == expected
    assert len(declared) == len(expected)  # nothing twice


def test_the_form_asks_the_required_slots_in_order():
    form = DOMAIN["forms"][names.SELFCHECK_FORM]
    assert tuple(form["required_slots"]) == names.FORM_REQUIRED_SLOTS


def test_each_entity_fills_its_own_slot_and_the_forms():
    for entity in names.ENTITIES:
        assert DOMAIN["slots"][entity]["mappings"] == [{"type": "from_entity", "entity": entity}]
    for slot, entity in names.ENTITY_OF_SLOT.items():
        first = DOMAIN["slots"][slot]["mappings"][0]
        assert (first["type"], first["entity"]) == ("from_entity", entity)


@pytest.mark.parametrize(
    "module", [actions.answers, actions.selfcheck, actions.selfcheck_questions]
)
def test_every_action_class_is_named_in_bot_names(module):
    classes = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Action) and cls.__module__ == module.__name__
    ]
    assert classes
    for cls in classes:
        if cls.__subclasses__():  # a base of the per-slot ask actions
            continue
        assert cls().name() in (*names.ACTIONS, *names.GENERATED_ACTIONS), cls


def test_the_generated_domain_keeps_the_names_and_adds_faq_intents_to_the_form(kb):
    faq = [entry.id for entry in kb.faq]
    generated = domain_with_faq_interruptions([*faq, *INTERRUPTING_INTENTS])
    for section in ("intents", "entities", "slots", "forms", "actions"):
        assert generated[section] == DOMAIN[section] or section == "slots"
    assert set(generated["slots"]) == set(names.SLOTS)
    for slot in names.FORM_REQUIRED_SLOTS:
        free_text = [m for m in generated["slots"][slot]["mappings"] if m["type"] == "from_text"]
        assert free_text and all(set(faq) <= set(m["not_intent"]) for m in free_text)
    assert not set(faq) & {*names.INTENTS, *names.ACTIONS, *names.SLOTS}


@pytest.mark.parametrize("path", sorted((PROJECT_DIR / "nlu" / "data").glob("*.yml")))
def test_hand_written_rules_and_stories_use_known_names(path):
    text = path.read_text(encoding="utf-8")
    used_actions = set(re.findall(r"^\s*- action: *([a-z_]+)", text, re.M))
    used_intents = set(re.findall(r"^\s*- intent: *([a-z_]+)", text, re.M))
    assert used_actions <= {*names.ACTIONS, names.SELFCHECK_FORM}
    assert used_intents <= {*names.INTENTS, *RASA_OWN_INTENTS}
