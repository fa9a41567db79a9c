"""The fixed sentences code asks for (knowledge/messages.yml) and the values each may use.

``kb check`` holds messages.yml to this list: every message here must exist, may use the
static facts, ``{contacts}``, ``{deadline_status}`` and its own values, and must use the
values marked required. The messages in ``NO_COMMON`` make ``{contacts}`` or
``{deadline_status}`` themselves, so they may not use them.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, Tuple

COMMON_VALUES = frozenset({"contacts", "deadline_status"})


def _v(
    allowed: Iterable[str] = (), required: Iterable[str] = ()
) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    return frozenset(allowed) | frozenset(required), frozenset(required)


_NONE = _v()
_SELFCHECK_RESULT_WORDS = (
    "verdict_meets",
    "verdict_below",
    "verdict_compare",
    "verdict_unanswered",
    "said_yes",
    "said_no",
    "not_filled",
    "profile_no_city",
    "profile_no_direction",
    "answers_title",
    "summary_none",
    "op_ge",
    "op_gt",
    "op_le",
    "op_lt",
    "op_eq",
    "no_threshold_note",
    "no_indicators",
    "unknown_city",
    "no_result",
    "stopped",
    "stop_idle",
    "reset",
    "intro",
    "ask_city",
    "hint_count",
    "hint_money",
    "hint_percent",
    "hint_yes_no",
    "all_answered",
    "reask_city",
    "explain_city",
    "explain_direction",
)
MESSAGE_KINDS = ("image", "video", "shortvideo", "location", "link", "file", "music", "other")

# message name → (values it may use, values it must use)
MESSAGE_VALUES: Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]] = {
    "not_in_notice": _v(required={"asked"}),
    "english_not_in_notice": _NONE,
    "notice_clause": _v({"source"}, {"clause", "quote"}),
    "policy_document": _v(required={"title", "number"}),
    "quota_total": _v({"cities", "breakdown"}, {"total"}),
    "quota_check_yes": _v({"city", "asked"}, {"quota"}),
    "quota_check_no": _v({"city", "asked"}, {"quota"}),
    "deadline_check_yes": _v({"asked_date"}, {"deadline"}),
    "deadline_check_no": _v({"asked_date"}, {"deadline"}),
    "deadline_claim_yes": _v({"asked_date"}, {"deadline"}),
    "deadline_claim_no": _v({"asked_date"}, {"deadline"}),
    "published_claim_yes": _v({"asked_date"}, {"published"}),
    "published_claim_no": _v({"asked_date"}, {"published"}),
    "selection_other_way_no": _NONE,
    "direction_supports_yes": _v({"description"}, {"group", "direction"}),
    "direction_supports_no": _v({"description"}, {"group", "direction", "supporting"}),
    "quota_not_all_same": _v(required={"grouped"}),
    "quota_same_yes": _v({"cities"}, {"quota"}),
    "quota_same_no": _v(required={"breakdown"}),
    "quota_difference": _v({"breakdown"}, {"more", "less", "difference"}),
    "quota_most": _v({"quota"}, {"cities"}),
    "quota_least": _v({"quota"}, {"cities"}),
    "quota_with_value": _v({"cities", "count"}, {"quota"}),
    "quota_why": _NONE,
    "quota_more_than_others": _v({"city", "breakdown"}, {"difference"}),
    "quota_fewer_than_others": _v({"city", "breakdown"}, {"difference"}),
    "copies_claim_yes": _NONE,
    "directions_same_yes": _NONE,
    "deadline_who_no": _v(required={"deadline"}),
    "deadline_who_which": _v(required={"deadline"}),
    "selection_not_guaranteed": _NONE,
    "directions_same_no": _NONE,
    "copies_claim_no": _v({"asked"}),
    "quota_with_value_none": _v(required={"quota"}),
    "quota_ceiling": _v(required={"limit"}),
    "quota_claim_yes": _v({"city"}, {"quota"}),
    "quota_claim_no": _v({"city", "asked"}, {"quota"}),
    "lookup": _v({"source"}, {"explanation"}),
    "claim_yes": _NONE,
    "claim_no": _v(required={"explanation"}),
    "en_yes": _NONE,
    "en_no": _NONE,
    "en_quota_total": _v(required={"total"}),
    "en_quota_ceiling": _NONE,
    "en_quota_difference": _v(required={"difference"}),
    "en_in_time": _v(required={"deadline_en"}),
    "en_too_late": _v(required={"deadline_en"}),
    "en_not_guaranteed": _NONE,
    "identity": _NONE,
    "rate_limited": _NONE,
    "unavailable": _NONE,
    "blocked": _NONE,
    # contacts, sources, deadline status
    "contacts": _NONE,
    "source_note": _v(required={"clause"}),
    "source_note_short": _v(required={"clause"}),
    "asked_default": _NONE,
    "deadline_status_open": _v({"today"}, {"days"}),
    "deadline_status_today": _v({"today"}),
    "deadline_status_closed": _v({"today"}),
    # how facts are put together
    "fact_attachment": _v(required={"number", "attachment_title"}),
    "fact_direction_default": _v(required={"type", "direction"}),
    "fact_type_with_parks": _v(required={"type"}),
    "fact_quota_item": _v(required={"city", "quota"}),
    "fact_quota_others": _v(required={"quota"}),
    "fact_quota_group": _v(required={"cities", "quota"}),
    "type_direction_advice_default": _v({"focus"}, {"direction"}),
    "type_direction_advice_free": _NONE,
    "type_direction_free": _NONE,
    # the conversation
    "welcome": _v({"topics"}),
    "capabilities": _v({"topics"}),
    "fallback": _v({"topics"}),
    "fallback_suggest": _v(required={"choices"}),
    "human_handoff": _NONE,
    "goodbye": _NONE,
    "thanks": _NONE,
    # did the answer help? (bot/feedback.py)
    "feedback_yes": _NONE,
    "feedback_no": _NONE,
    "feedback_prompt": _NONE,
    "feedback_thanks_yes": _NONE,
    "feedback_thanks_no": _NONE,
    # the self-check
    **{f"selfcheck_{name}": _NONE for name in _SELFCHECK_RESULT_WORDS},
    "selfcheck_ask_type": _v(required={"types"}),
    "selfcheck_ask_direction_free": _v(required={"directions"}),
    "selfcheck_ask_direction_default": _v({"focus", "directions", "type"}, {"direction"}),
    "selfcheck_known": _v(required={"known"}),
    "selfcheck_known_type": _v(required={"type"}),
    "selfcheck_known_city": _v(required={"city"}),
    "selfcheck_question": _v({"number", "total", "hint"}, {"question"}),
    "selfcheck_indicator_question": _v({"unit_note"}, {"name"}),
    "selfcheck_indicator_unit": _v(required={"unit"}),
    "selfcheck_indicator_yes_no": _v(required={"name"}),
    "selfcheck_reask_type": _v(required={"types"}),
    "selfcheck_explain_type": _v({"examples"}),
    "selfcheck_type_example": _v({"synonyms"}, {"type"}),
    "selfcheck_reask_direction": _v(required={"directions"}),
    "selfcheck_reask_direction_default": _v(required={"direction"}),
    "selfcheck_reask_yes_no": _v({"said"}, {"hint"}),
    "selfcheck_reask_number": _v({"said"}, {"hint"}),
    "selfcheck_explain_answer": _v({"help"}),
    "selfcheck_type_changed": _v(required={"type"}),
    "selfcheck_city_changed": _v(required={"city"}),
    "selfcheck_direction_warning": _v({"type", "default"}, {"chosen"}),
    "selfcheck_result_title": _v(required={"code"}),
    "selfcheck_profile_type": _v(required={"type"}),
    "selfcheck_profile_city": _v({"quota", "clause"}, {"city"}),
    "selfcheck_profile_direction_free": _v(required={"direction"}),
    "selfcheck_profile_direction_default": _v({"type", "default"}, {"direction"}),
    "selfcheck_profile_direction_other": _v({"type", "default"}, {"direction"}),
    "selfcheck_summary": _v({"total"}, {"summary"}),
    "selfcheck_summary_item": _v(required={"verdict", "count"}),
    "selfcheck_line_unanswered": _v({"number"}, {"title", "verdict"}),
    "selfcheck_line_check": _v({"number", "clause_note", "said"}, {"title", "verdict"}),
    "selfcheck_clause_note": _v(required={"clause"}),
    "selfcheck_line_indicator": _v({"number", "said"}, {"title", "verdict"}),
    "selfcheck_threshold_note": _v({"op", "unit", "source"}, {"value"}),
    "selfcheck_materials": _v({"city_name"}, {"code"}),
    "selfcheck_code_not_found": _v({"asked"}, {"code"}),
    # the channels
    "wechat_welcome": _NONE,
    "wechat_non_text": _v({"what"}),
    **{f"message_kind_{kind}": _NONE for kind in MESSAGE_KINDS},
    "wechat_voice_off": _NONE,
    "wechat_empty_text": _NONE,
    "wechat_unknown_menu": _NONE,
    "wechat_ask_again": _NONE,
    "channel_sorry": _NONE,
    "wechat_trimmed": _NONE,
    "wechat_choice_hint": _NONE,
    "choose_prompt": _NONE,
    "telegram_non_text": _NONE,
    "telegram_expired_button": _NONE,
}

# These make {contacts} / {deadline_status} (or are rendered inside them): they cannot use them.
NO_COMMON = frozenset(
    {
        "contacts",
        "deadline_status_open",
        "deadline_status_today",
        "deadline_status_closed",
        "source_note",
        "fact_attachment",
        "fact_direction_default",
        "fact_type_with_parks",
        "fact_quota_item",
        "fact_quota_others",
        "type_direction_advice_default",
        "type_direction_advice_free",
        "type_direction_free",
    }
)
# Rendered while the static facts are being built: they may use only their own values.
NO_FACTS = frozenset(
    {
        "fact_attachment",
        "fact_direction_default",
        "fact_type_with_parks",
        "fact_quota_item",
        "fact_quota_others",
    }
)
