"""The fixed sentences code asks for (knowledge/messages.yml) and the values each may use.

``kb check`` holds messages.yml to this list: every message here must exist, may use the
static facts, ``{contacts}``, ``{deadline_status}`` and its own values, and must use the
values marked required.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

COMMON_VALUES = frozenset({"contacts", "deadline_status"})

# message name → (values it may use, values it must use)
MESSAGE_VALUES: Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]] = {
    "not_in_notice": (frozenset({"asked"}), frozenset({"asked"})),
    "english_not_in_notice": (frozenset(), frozenset()),
    "notice_clause": (frozenset({"clause", "quote", "source"}), frozenset({"clause", "quote"})),
    "policy_document": (frozenset({"title", "number"}), frozenset({"title", "number"})),
    "quota_total": (frozenset({"cities", "total", "breakdown"}), frozenset({"total"})),
    "quota_check_yes": (frozenset({"city", "quota", "asked"}), frozenset({"quota"})),
    "quota_check_no": (frozenset({"city", "quota", "asked"}), frozenset({"quota"})),
    "deadline_check_yes": (frozenset({"asked_date"}), frozenset({"deadline"})),
    "deadline_check_no": (frozenset({"asked_date"}), frozenset({"deadline"})),
    "identity": (frozenset(), frozenset()),
    "rate_limited": (frozenset(), frozenset()),
    "unavailable": (frozenset(), frozenset()),
    "blocked": (frozenset(), frozenset()),
}
