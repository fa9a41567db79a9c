"""Which ids a FAQ entry may not take: a FAQ id becomes a Rasa intent name, so it must not be
one of Rasa's own names, a name the hand-written domain or NLU data already uses, or start
the way Rasa's actions and responses do. Worded for staff (``kb check``, ``bot.kb.check``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Optional

import yaml
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS

# Intents the hand-written NLU data already uses; a FAQ id must not take one.
RESERVED_INTENTS = {
    "greet",
    "goodbye",
    "thanks",
    "human_handoff",
    "bot_capabilities",
    "out_of_scope",
    "inform",
    "selfcheck",
    "nlu_fallback",
    "affirm",
    "deny",
    "stop",
    "restart",
    "skip",
    "selfcheck_stop",
    "selfcheck_restart",
    "selfcheck_result",
    "selfcheck_answer",
}
# Rasa's own: a FAQ id becomes an intent name, so it must not be one of these either
RASA_RESERVED = (
    frozenset(DEFAULT_ACTION_NAMES)
    | frozenset(DEFAULT_INTENTS)
    | {
        "nlu_fallback",
        "out_of_scope",
    }
)
RESERVED_PREFIXES = ("action_", "utter_", "validate_")  # what Rasa reads as actions/responses
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"


def _domain_names(path: Path) -> FrozenSet[str]:
    """Intents, actions, forms and responses of the hand-written domain."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return frozenset()
    names = set()
    for section in ("intents", "actions", "forms", "responses"):
        value = data.get(section) or []
        items = value.keys() if isinstance(value, dict) else value
        for item in items:
            if isinstance(item, dict):  # "- intent: {use_entities: …}"
                names.update(str(k) for k in item)
            else:
                names.add(str(item))
    return frozenset(names)


@lru_cache(maxsize=4)
def reserved_names(domain_file: Path = DOMAIN_FILE) -> FrozenSet[str]:
    """Names a FAQ id must not take: Rasa's reserved actions/intents, the project's domain."""
    return RASA_RESERVED | frozenset(RESERVED_INTENTS) | _domain_names(domain_file)


def reserved_id_problem(faq_id: str, domain_file: Path = DOMAIN_FILE) -> Optional[str]:
    if faq_id in reserved_names(domain_file):
        return f"id “{faq_id}”是系统保留的名称（Rasa 或本项目的意图/动作），请换一个"
    if faq_id.startswith(RESERVED_PREFIXES):
        return (
            f"id “{faq_id}”不能以 {'、'.join(RESERVED_PREFIXES)} 开头"
            "（Rasa 会把它当作动作或回复），请换一个"
        )
    return None
