"""Cross-file rules for knowledge/lookups.yml (reverse look-ups), worded for staff.

Every value a look-up recognises is taken from the notice's facts: the fact must exist, every
``also`` part must occur in that fact's text, every label in the notice's text, and the
explanations may cite only facts that exist. A ``topic`` that is no (longer a) FAQ entry is
no problem: the look-up then only explains the value (a FAQ entry can be deleted in the
spreadsheet, which does not show this file).
"""

from __future__ import annotations

from typing import List

from bot.kb.facts import placeholders, static_facts
from bot.kb.models import KnowledgeBase
from bot.kb.problems import Problem

FILE = "lookups.yml"
# names an explanation may use beyond the static facts (bot.answer.replies.render_template)
EXTRA_NAMES = frozenset({"contacts", "deadline_status"})


def lookup_problems(kb: KnowledgeBase) -> List[Problem]:
    if kb.lookups is None:
        return []
    facts = static_facts(kb)
    allowed = set(facts) | EXTRA_NAMES
    problems: List[Problem] = []
    seen: dict = {}
    for lookup in kb.lookups.lookups:
        where = f"lookups › {lookup.fact}"
        fact = facts.get(lookup.fact)
        if fact is None:
            problems.append(
                Problem(FILE, where, f"fact “{lookup.fact}”不是已有的事实名称（见 kb facts）")
            )
        for part in lookup.also:
            if fact is not None and part not in fact.text:
                problems.append(
                    Problem(FILE, where, f"also 里的“{part}”不在事实原文“{fact.text}”中")
                )
            if part in seen and seen[part] != lookup.fact:
                problems.append(
                    Problem(FILE, where, f"“{part}”同时写在 {seen[part]} 和 {lookup.fact} 下")
                )
            seen.setdefault(part, lookup.fact)
        notice_text = "".join(c.text for c in kb.clauses)
        for label in lookup.labels:
            if label not in notice_text:
                problems.append(
                    Problem(FILE, where, f"labels 里的“{label}”在通知原文和页脚里都找不到")
                )
        if lookup.labels_need and not lookup.labels:
            problems.append(Problem(FILE, where, "写了 labels_need 却没有 labels"))
        for text, label in (
            (lookup.explanation, "explanation"),
            (lookup.explanation_en, "explanation_en"),
        ):
            for name in sorted(placeholders(text or "") - allowed):
                problems.append(Problem(FILE, where, f"{label} 引用了不存在的事实 {{{name}}}"))
    return problems
